'use client';
import type { AgentState } from '@flock/protocol';
import Link from 'next/link';
import type { MachineSummary } from '../server/views';
import { MachineAuditCard } from './audit-list';
import { BlockedProjectsCard } from './blocked-projects-card';
import { HardwareCard } from './hardware-card';
import { LimitsForm } from './limits-form';
import { LogTail } from './log-tail';
import { MachineAgentCard } from './machine-agent-card';
import { MachineFarmAccount } from './machine-farm-account';
import { MachineHeader } from './machine-header';
import { LastFrameCard, RecentErrorsCard, RecentFramesCard } from './machine-history';
import { MachineNowCard } from './machine-now-card';
import { RoleGate } from './role-gate';
import { type SendCommand, useSendCommand } from './send-command';
import { LoadingList, StateMessage } from './status';
import { type Notify, Toast, useToast } from './toast';
import { Topbar } from './topbar';
import { useMachineLive } from './use-machine-live';

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
  const { send, busy } = useSendCommand([id], notify);
  const { initial, history, summary } = view;
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
      <MachineHeader summary={summary} notify={notify} />
      <div className="grid-2">
        <RoleGate minimum="operator">
          <MachineNowCard summary={summary} send={send} busy={busy} notify={notify} />
        </RoleGate>
        <LastFrameCard frame={history.data?.frames[0]} />
      </div>
      <div className="grid-2">
        <RoleGate minimum="operator">
          <LimitsCard summary={summary} machine={view.machine} send={send} busy={busy} />
        </RoleGate>
        <HardwareCard machine={view.machine} summary={summary} />
      </div>
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
      <RecentFramesCard frames={history.data?.frames ?? []} loading={history.isPending} />
      <RecentErrorsCard errors={history.data?.errors ?? []} />
      <LogTail id={id} recent={view.state?.recentLog ?? []} online={summary.online} />
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
}: {
  summary: MachineSummary;
  machine: AgentState['machine'] | null;
  send: SendCommand;
  busy: boolean;
}) {
  return (
    <section className="card" aria-label="Limits">
      <h2>Limits</h2>
      {summary.limits ? (
        <LimitsForm
          key={JSON.stringify(summary.limits)}
          limits={summary.limits}
          gpus={machine?.gpus ?? []}
          busy={busy}
          onApply={(limits) => void send('Limits', { type: 'set-limits', limits })}
        />
      ) : (
        <p className="muted">Known once the agent connects.</p>
      )}
    </section>
  );
}
