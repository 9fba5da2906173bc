'use client';
import type { CurrentJob } from '@flock/protocol';
import { useEffect, useState } from 'react';
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

/**
 * Seconds left, counted down here every second from the last ETA the agent sent and when it arrived
 * (the agent sends a new one only with its next progress update).
 */
function useCountdown(seconds: number | null): number | null {
  const [anchor, setAnchor] = useState(() => ({ seconds, at: Date.now() }));
  const [now, setNow] = useState(anchor.at);
  if (anchor.seconds !== seconds) setAnchor({ seconds, at: Date.now() });
  useEffect(() => {
    if (seconds === null) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [seconds]);
  if (anchor.seconds === null) return null;
  return Math.max(0, anchor.seconds - Math.max(0, now - anchor.at) / 1000);
}

const AFTER_FRAME_LABEL = { pause: 'Pausing after this frame', stop: 'Stopping after this frame' } as const;

export function JobProgress({
  job,
  status,
  afterFrame = null,
}: {
  job: CurrentJob;
  status: DisplayStatus;
  /** A pause or stop the user asked for, waiting for this frame to end. */
  afterFrame?: 'pause' | 'stop' | null;
}) {
  const percent = job.progress === null ? null : Math.round(job.progress * 100);
  const eta = useCountdown(job.etaSeconds);
  return (
    <div className={`progress tone-${statusTone(status)}`}>
      <div className="meta">
        <span>
          {PHASE_LABEL[job.phase]}
          {percent !== null && <strong data-testid="percent"> {percent}%</strong>}
        </span>
        <span data-testid="eta">{eta !== null ? `ETA ${formatDuration(eta)}` : ''}</span>
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
      {afterFrame && (
        <div className="after-frame" data-testid="after-frame">
          {AFTER_FRAME_LABEL[afterFrame]}
        </div>
      )}
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
