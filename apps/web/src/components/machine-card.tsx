import Link from 'next/link';
import { memo } from 'react';
import { formatAgo, formatBytes, formatCpuLoad, formatCredits, statusTone } from '../lib/format';
import { type MachineSummary, shownStatus } from '../server/views';
import { ReasonLine } from './reason-line';
import { JobProgress, StatusBadge } from './status';

function Activity({ machine }: { machine: MachineSummary }) {
  if (!machine.online) {
    return (
      <div className="reason">
        {machine.status === 'never-connected'
          ? 'Waiting for the agent to connect'
          : `Last seen ${formatAgo(machine.lastSeenAt)}`}
      </div>
    );
  }
  if (machine.job) {
    return (
      <div>
        <div className="sub">
          {machine.job.project} · frame {machine.job.frame}
        </div>
        <JobProgress job={machine.job} status={shownStatus(machine)} afterFrame={machine.afterFrame} />
      </div>
    );
  }
  if (!machine.reason) return <div className="reason">No job right now</div>;
  return <ReasonLine reason={machine.reason} compact />;
}

/** Memoised: a live update re-renders only the cards of the machines that changed. */
export const MachineCard = memo(function MachineCard({
  machine,
  selected,
  onSelect,
}: {
  machine: MachineSummary;
  selected: boolean;
  onSelect: (id: string, selected: boolean) => void;
}) {
  const { hardware, usage, uploads, limits } = machine;
  return (
    <article
      className={`machine tone-${statusTone(shownStatus(machine))}`}
      data-selected={selected}
      data-testid="machine"
      data-machine-id={machine.id}
    >
      <input
        type="checkbox"
        checked={selected}
        onChange={(event) => onSelect(machine.id, event.target.checked)}
        aria-label={`Select ${machine.name}`}
      />
      <div>
        <div className="name">
          <Link href={`/machines/${machine.id}`}>{machine.name}</Link>
        </div>
        <StatusBadge status={shownStatus(machine)} />
      </div>
      <Activity machine={machine} />
      <div className="facts">
        <span title="Compute device">
          {machine.job?.device ?? limits?.computeMethod.toUpperCase() ?? '—'}
        </span>
        {hardware && (
          <span title="Cores used / available">
            {limits?.cores ?? hardware.cores}/{hardware.cores} cores
          </span>
        )}
        {hardware && usage && (
          <span title="Whole-machine CPU load">{formatCpuLoad(usage.cpuPercent, hardware.cores)}</span>
        )}
        {hardware && (
          <span title="Memory of the render (or of the agent when idle) / installed">
            {usage ? `${formatBytes(usage.memoryBytes)} / ` : ''}
            {formatBytes(hardware.ramBytes)}
          </span>
        )}
        {machine.agentVersion && <span title="Agent version">agent {machine.agentVersion}</span>}
        {uploads && uploads.queued + uploads.inFlight > 0 && (
          <span title="Frames waiting to upload">↑ {uploads.queued + uploads.inFlight}</span>
        )}
      </div>
      <div className="credits">
        <div>{formatCredits(machine.creditsToday)}</div>
        <div className="muted">credits today</div>
      </div>
    </article>
  );
});
