'use client';
import type { AgentState } from '@flock/protocol';
import Link from 'next/link';
import { useEffect, useState } from 'react';
import type { MachineSummary } from '../server/views';
import { MachineAuditCard } from './audit-list';
import { BlockedProjectsCard } from './blocked-projects-card';
import { HardwareCard } from './hardware-card';
import { HistoryCharts } from './history-charts';
import { LimitsForm } from './limits-form';
import { LogTail } from './log-tail';
import { MachineAgentCard } from './machine-agent-card';
import { MachineFarmAccount } from './machine-farm-account';
import { MachineHeader } from './machine-header';
import { LastFrameCard, RecentErrorsCard, RecentFramesCard } from './machine-history';
import { MachineNowCard } from './machine-now-card';
import { MachineTimelineCard } from './machine-timeline';
import { RoleGate } from './role-gate';
import { RulesPanel } from './rules-panel';
import { type SendCommand, useSendCommand } from './send-command';
import { LoadingList, StateMessage } from './status';
import { MachineTagsEditor } from './tags';
import { type Notify, Toast, useToast } from './toast';
import { Topbar } from './topbar';
import { useMachineLive } from './use-machine-live';

const FEED_BANNER_DELAY_MS = 2000;

/** True once `condition` has held for `ms` without a break. */
function useLasting(condition: boolean, ms: number): boolean {
  const [lasted, setLasted] = useState(false);
  useEffect(() => {
    setLasted(false);
    if (!condition) return;
    const timer = setTimeout(() => setLasted(true), ms);
    return () => clearTimeout(timer);
  }, [condition, ms]);
  return condition && lasted;
}

/** One machine, live: what it does, its limits, hardware, blocked projects, frames, errors and log. */
export function MachinePage({ id }: { id: string }) {
  const view = useMachineLive(id);
  const [toast, notify] = useToast();
  return (
    <>
      <Topbar live={view.feed} />
      <main className="page">
        <MachineView id={id} view={view} notify={notify} />
      </main>
      <Toast message={toast} />
    </>
  );
}

function MachineView({
  id,
  view,
  notify,
}: {
  id: string;
  view: ReturnType<typeof useMachineLive>;
  notify: Notify;
}) {
  const { send, busy: sending } = useSendCommand([id], notify);
  const { initial, history, summary } = view;
  // Without the live feed the page may be out of date: no actions until it is back. The banner waits
  // a moment, so the feed's own connecting at page load does not flash it.
  const feedDown = view.feed !== 'live';
  const feedDownAWhile = useLasting(feedDown, FEED_BANNER_DELAY_MS);
  const busy = sending || feedDown;
  if (initial.isPending) return <LoadingList rows={4} />;
  if (view.removed || initial.error?.data?.code === 'NOT_FOUND') {
    return (
      <StateMessage title="No such machine">
        <p>
          It was removed or never paired. <Link href="/">Back to the fleet</Link>
        </p>
      </StateMessage>
    );
  }
  if (!summary) {
    return (
      <StateMessage title="Could not load this machine" tone="error">
        <p>{initial.error?.message}</p>
        <button type="button" onClick={() => initial.refetch()}>
          Try again
        </button>
      </StateMessage>
    );
  }
  return (
    <>
      {feedDownAWhile && (
        <div className="banner error" role="alert" data-testid="feed-down">
          {view.feed === 'reconnecting'
            ? 'Connection to the console lost, reconnecting…'
            : 'Not connected to the console.'}{' '}
          What this page shows may be out of date; its actions are off until the connection is back.
        </div>
      )}
      <MachineHeader summary={summary} disabled={feedDown} notify={notify} />
      <MachineTagsEditor id={summary.id} tags={summary.tags} disabled={feedDown} notify={notify} />
      <div className="grid-2">
        <RoleGate minimum="operator">
          <MachineNowCard summary={summary} send={send} busy={busy} notify={notify} />
        </RoleGate>
        <LastFrameCard frame={history.data?.frames[0]} />
      </div>
      <div className="grid-2">
        <RoleGate minimum="operator">
          <LimitsCard
            summary={summary}
            machine={view.machine}
            send={send}
            busy={sending}
            disabled={feedDown}
          />
        </RoleGate>
        <HardwareCard machine={view.machine} summary={summary} />
      </div>
      <RulesPanel
        machineId={id}
        state={view.state ?? null}
        online={summary.online && !feedDown}
        send={send}
        busy={busy}
        notify={notify}
      />
      <MachineFarmAccount id={id} farmAccount={view.state?.farmAccount} notify={notify} />
      <MachineAgentCard summary={summary} />
      <RoleGate minimum="operator">
        <BlockedProjectsCard
          blocked={summary.blockedProjects}
          offline={!summary.online}
          busy={busy}
          send={send}
          notify={notify}
        />
      </RoleGate>
      <HistoryCharts machineId={id} liveSignal={view.eventsSeen} />
      <MachineTimelineCard machineId={id} summary={summary} />
      <RecentFramesCard frames={history.data?.frames ?? []} loading={history.isPending} />
      <RecentErrorsCard errors={history.data?.errors ?? []} />
      <LogTail id={id} recent={view.state?.recentLog ?? []} online={summary.online && !feedDown} />
      <MachineAuditCard machineId={id} />
    </>
  );
}

/** The machine's limits, applied at once (or when it reconnects). */
function LimitsCard({
  summary,
  machine,
  send,
  busy,
  disabled,
}: {
  summary: MachineSummary;
  machine: AgentState['machine'] | null;
  send: SendCommand;
  busy: boolean;
  disabled: boolean;
}) {
  return (
    <section className="card" aria-label="Limits">
      <h2>Limits</h2>
      {summary.limits ? (
        <LimitsForm
          key={JSON.stringify(summary.limits)}
          limits={summary.limits}
          gpus={machine?.gpus ?? []}
          {...(machine ? { maxCores: machine.cpu.cores } : {})}
          busy={busy}
          disabled={disabled}
          onApply={(limits) => void send('Limits', { type: 'set-limits', limits })}
        />
      ) : (
        <p className="muted">Known once the agent connects.</p>
      )}
    </section>
  );
}
