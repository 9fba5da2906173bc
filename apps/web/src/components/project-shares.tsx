import { formatCount, formatCredits } from '../lib/format';
import { projectShares } from '../lib/history-chart';
import type { HistorySeries } from '../server/history/series';

/** The projects rendered over the range, ranked by frames, each with its share as a bar. */
export function ProjectShares({ series }: { series: HistorySeries }) {
  const shares = projectShares(series);
  return (
    <figure className="chart-card" aria-label="Frames per project">
      <figcaption>Projects</figcaption>
      {shares.length === 0 ? (
        <p className="muted">The projects rendered in this range, once there are frames.</p>
      ) : (
        <ol className="shares">
          {shares.map((share) => (
            <li key={share.project} data-testid="project-share">
              <div className="share-label">
                <span className="share-name" title={share.project}>
                  {share.project}
                </span>
                <span className="muted">
                  {formatCount(share.frames, 'frame')} · {formatCredits(share.credits)} credits
                </span>
              </div>
              <div className="share-bar" aria-hidden="true">
                <div style={{ width: `${Math.max(1, share.percent)}%` }} />
              </div>
            </li>
          ))}
        </ol>
      )}
    </figure>
  );
}
