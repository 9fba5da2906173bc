'use client';
import type { BlockedProject } from '@flock/protocol';
import { formatAgo, formatClockTime } from '../lib/format';
import type { SendCommand } from './send-command';
import type { Notify } from './toast';
import { useFleetBlocks } from './use-fleet-blocks';

/** The projects a machine never renders, its own blocks and the fleet's, each with its undo. */
export function BlockedProjectsCard({
  blocked,
  offline,
  busy,
  send,
  notify,
}: {
  blocked: BlockedProject[];
  offline: boolean;
  busy: boolean;
  send: SendCommand;
  notify: Notify;
}) {
  const { block: blockForFleet, unblock: unblockForFleet } = useFleetBlocks(notify);
  return (
    <section className="card" aria-label="Blocked projects">
      <h2>Blocked projects</h2>
      {blocked.length === 0 ? (
        <p className="muted">None. “Block this project” while one renders keeps it away from this machine.</p>
      ) : (
        <ul className="blocked-list">
          {blocked.map((project) => (
            <li key={project.archiveMd5} data-testid="blocked-project">
              <div>
                <strong>{project.name}</strong>
                <div className="muted" title={formatClockTime(project.blockedAt)}>
                  blocked {formatAgo(project.blockedAt)} for{' '}
                  {project.scope === 'fleet' ? 'the whole fleet' : 'this machine'}
                </div>
              </div>
              <div className="row-actions">
                {project.scope === 'fleet' ? (
                  <button
                    type="button"
                    disabled={unblockForFleet.isPending}
                    onClick={() => unblockForFleet.mutate({ archiveMd5: project.archiveMd5 })}
                  >
                    Unblock for the fleet
                  </button>
                ) : (
                  <>
                    <button
                      type="button"
                      disabled={offline || busy}
                      onClick={() =>
                        void send('Unblock', { type: 'unblock-project', archiveMd5: project.archiveMd5 })
                      }
                    >
                      Unblock
                    </button>
                    <button
                      type="button"
                      disabled={blockForFleet.isPending}
                      onClick={() =>
                        blockForFleet.mutate({ archiveMd5: project.archiveMd5, name: project.name })
                      }
                    >
                      Block for the fleet
                    </button>
                  </>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      {offline && blocked.some((project) => project.scope === 'machine') && (
        <p className="muted">This machine is offline: its own blocks can be undone once it is back.</p>
      )}
    </section>
  );
}
