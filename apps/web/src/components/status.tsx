import type { CurrentJob } from '@flock/protocol';
import { formatDuration, STATUS_LABEL, statusTone } from '../lib/format';
import type { DisplayStatus } from '../server/views';

export function StatusBadge({ status }: { status: DisplayStatus }) {
  return (
    <span className={`badge tone-${statusTone(status)}`} data-testid="status">
      {STATUS_LABEL[status]}
    </span>
  );
}

const PHASE_LABEL: Record<CurrentJob['phase'], string> = {
  download: 'Downloading',
  extract: 'Extracting',
  prepare: 'Preparing',
  render: 'Rendering',
  upload: 'Uploading',
};

export function JobProgress({ job, status }: { job: CurrentJob; status: DisplayStatus }) {
  const percent = job.progress === null ? null : Math.round(job.progress * 100);
  return (
    <div className={`progress tone-${statusTone(status)}`}>
      <div className="meta">
        <span>
          {PHASE_LABEL[job.phase]}
          {percent !== null && <strong data-testid="percent"> {percent}%</strong>}
        </span>
        <span>{job.etaSeconds !== null ? `ETA ${formatDuration(job.etaSeconds)}` : ''}</span>
      </div>
      <div
        className="bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? undefined}
        aria-label={`${PHASE_LABEL[job.phase]} frame ${job.frame}`}
      >
        <div
          className="fill"
          data-indeterminate={percent === null}
          style={percent === null ? undefined : { width: `${percent}%` }}
        />
      </div>
    </div>
  );
}

export function LoadingList({ rows = 3 }: { rows?: number }) {
  return (
    <div className="machines" role="status" aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
        <div key={i} className="skeleton" />
      ))}
    </div>
  );
}

export function StateMessage({
  title,
  children,
  tone,
}: {
  title: string;
  children?: React.ReactNode;
  tone?: 'error';
}) {
  return (
    <div className={`state ${tone ?? ''}`} role={tone === 'error' ? 'alert' : 'status'}>
      <h2>{title}</h2>
      {children}
    </div>
  );
}
