'use client';
import { formatCount, formatCredits } from '../lib/format';
import { type MachineSummary, shownStatus } from '../server/views';
import { BlockProjectButtons } from './block-project-buttons';
import { CommandButtons } from './command-buttons';
import { ReasonLine } from './reason-line';
import type { SendCommand } from './send-command';
import { JobProgress } from './status';
import type { Notify } from './toast';

/** What the machine does now (its job, or why it has none), its session so far, and its commands. */
export function MachineNowCard({
  summary,
  send,
  busy,
  notify,
}: {
  summary: MachineSummary;
  send: SendCommand;
  busy: boolean;
  notify: Notify;
}) {
  const offline = !summary.online;
  const { job, reason, uploads } = summary;
  return (
    <section className="card" aria-label="Now">
      <h2>Now</h2>
      {job ? (
        <>
          <p>
            {job.project} · frame {job.frame} · {job.device}
          </p>
          {job.deviceChosen && (
            <p className="error-text">
              Blender renders on {job.device}, not on the chosen {job.deviceChosen}: check that the GPU is
              enabled and its driver loads (the agent's log has Blender's lines).
            </p>
          )}
          <JobProgress job={job} status={shownStatus(summary)} afterFrame={summary.afterFrame} />
        </>
      ) : offline || !reason ? (
        <p className="reason">{offline ? 'Offline' : 'No job right now'}</p>
      ) : (
        <ReasonLine reason={reason} />
      )}
      {uploads && (
        <p className="muted">
          {formatCount(summary.framesToday, 'frame')} · {formatCredits(summary.creditsToday)} credits today
          (this session: {formatCount(summary.framesRendered, 'frame')}) · uploads waiting{' '}
          {uploads.queued + uploads.inFlight}
        </p>
      )}
      <div className="actions start">
        <CommandButtons send={send} disabled={offline || busy} />
        <BlockProjectButtons
          job={job}
          disabled={offline || busy}
          onBlockHere={() => void send('Block project', { type: 'block-project' })}
          notify={notify}
        />
      </div>
    </section>
  );
}
