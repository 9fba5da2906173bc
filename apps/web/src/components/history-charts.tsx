'use client';
import { useState } from 'react';
import { formatClockTime } from '../lib/format';
import { bucketUnit, isEmptyHistory, RANGE_LABEL } from '../lib/history-chart';
import type { HistoryRange } from '../server/history/series';
import { HistoryFigures } from './history-figures';
import { HistoryRangePicker } from './history-range-picker';
import { StateMessage } from './status';
import { useHistorySeries } from './use-history-series';

/** The failure and what to do about it: the console's own failure, or no answer from it at all. */
function whatToDo(error: { message: string; data?: { httpStatus?: number } | null }): string {
  const failure = error.message.replace(/\.$/, '');
  return (error.data?.httpStatus ?? 0) >= 500
    ? `${failure}. The console's log says why; try again in a moment.`
    : `${failure}. Check that the console is running and this device can reach it, then try again.`;
}

/**
 * Frames, credits, render time, utilisation, errors and projects over 24 h / 7 d / 30 d / 1 y, for the
 * whole fleet or one machine; read again (throttled) when `liveSignal` changes.
 */
export function HistoryCharts({ machineId, liveSignal }: { machineId?: string; liveSignal: unknown }) {
  const [range, setRange] = useState<HistoryRange>('24h');
  const query = useHistorySeries(range, machineId, liveSignal);
  const scope = machineId ? 'this machine' : 'your machines';
  return (
    <section className="card history" aria-label="History" data-testid="history">
      <div className="card-head">
        <h2>History</h2>
        <HistoryRangePicker range={range} onChange={setRange} />
      </div>
      {query.isPending && (
        <div className="skeleton chart-skeleton" role="status" aria-label="Loading the history" />
      )}
      {query.isError && !query.data && (
        <StateMessage title="Could not load the history" tone="error">
          <p>{whatToDo(query.error)}</p>
          <button type="button" onClick={() => void query.refetch()}>
            Try again
          </button>
        </StateMessage>
      )}
      {query.isError && query.data && (
        <div className="banner error" role="alert">
          Could not refresh the charts ({query.error.message}); they show the figures of{' '}
          {formatClockTime(query.dataUpdatedAt)}.
        </div>
      )}
      {query.data && isEmptyHistory(query.data) && (
        <StateMessage title={`Nothing in the last ${RANGE_LABEL[query.data.range]} yet`}>
          <p>
            Frames, credits, render time, utilisation and errors {bucketUnit(query.data.bucketMs)} appear here
            once {scope} {machineId ? 'comes' : 'come'} online and render{machineId ? 's' : ''}.
          </p>
        </StateMessage>
      )}
      {query.data && !isEmptyHistory(query.data) && <HistoryFigures series={query.data} />}
    </section>
  );
}
