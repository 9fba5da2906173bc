import { CHART_RANGES, RANGE_LABEL } from '../lib/history-chart';
import type { HistoryRange } from '../server/history/series';

/** 24 h / 7 days / 30 days / 1 year: the span the charts cover. */
export function HistoryRangePicker({
  range,
  onChange,
}: {
  range: HistoryRange;
  onChange: (range: HistoryRange) => void;
}) {
  return (
    <fieldset className="segmented range-picker" aria-label="Chart range">
      {CHART_RANGES.map((candidate) => (
        <button
          key={candidate}
          type="button"
          aria-pressed={candidate === range}
          onClick={() => onChange(candidate)}
        >
          {RANGE_LABEL[candidate]}
        </button>
      ))}
    </fieldset>
  );
}
