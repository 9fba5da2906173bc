import { formatAgo, formatClockTime, formatDuration } from '../lib/format';
import type { MachineHistory } from '../server/api/routers/machines';

type Frame = MachineHistory['frames'][number];

/** The newest frame's thumbnail and what it was. */
export function LastFrameCard({ frame }: { frame: Frame | undefined }) {
  return (
    <section className="card" aria-label="Last frame">
      <h2>Last frame</h2>
      {frame?.thumbnail ? (
        // biome-ignore lint/performance/noImgElement: a data: URL thumbnail, nothing for next/image to optimise
        <img
          className="thumb"
          src={frame.thumbnail}
          alt={`Frame ${frame.frame} of ${frame.project}`}
          data-testid="thumbnail"
        />
      ) : (
        <p className="muted">{frame ? 'No thumbnail for this frame.' : 'No frame rendered yet.'}</p>
      )}
      {frame && (
        <p className="muted">
          {frame.project} · frame {frame.frame} · {formatDuration(frame.renderTimeMs / 1000)} ·{' '}
          {formatAgo(frame.finishedAt)}
        </p>
      )}
    </section>
  );
}

/** The machine's recent frames, newest first. */
export function RecentFramesCard({ frames, loading }: { frames: Frame[]; loading: boolean }) {
  return (
    <section className="card" aria-label="Recent frames">
      <h2>Recent frames</h2>
      {frames.length ? (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Project</th>
                <th>Frame</th>
                <th>Render time</th>
                <th>Credits</th>
                <th>Finished</th>
              </tr>
            </thead>
            <tbody>
              {frames.map((frame) => (
                <tr key={frame.id}>
                  <td>{frame.project}</td>
                  <td>{frame.frame}</td>
                  <td>{formatDuration(frame.renderTimeMs / 1000)}</td>
                  <td>{frame.credits ?? '—'}</td>
                  <td title={formatClockTime(frame.finishedAt)}>{formatAgo(frame.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">{loading ? 'Loading…' : 'No frames yet.'}</p>
      )}
    </section>
  );
}

type ErrorEntry = MachineHistory['errors'][number];

/** The machine's recent errors, each with the log lines around it folded away. */
export function RecentErrorsCard({ errors }: { errors: ErrorEntry[] }) {
  return (
    <section className="card" aria-label="Recent errors">
      <h2>Recent errors</h2>
      {errors.length ? (
        errors.map(({ id, at, event }) =>
          event.kind === 'error' ? (
            <details key={id}>
              <summary>
                <span className="log-error">{event.code}</span> {event.message}{' '}
                <span className="muted" title={formatClockTime(at)}>
                  · {formatAgo(at)}
                </span>
              </summary>
              <pre className="logs">{event.logExcerpt || '(no log)'}</pre>
            </details>
          ) : null,
        )
      ) : (
        <p className="muted">No errors.</p>
      )}
    </section>
  );
}
