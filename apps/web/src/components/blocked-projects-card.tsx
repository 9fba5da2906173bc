'use client';
import type { BlockedProject, ControlCommand } from '@flock/protocol';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { formatAgo, formatClockTime } from '../lib/format';
import { useTRPC } from '../lib/trpc';

/** The projects a machine never renders, its own blocks and the fleet's, each with its undo. */
export function BlockedProjectsCard({
  blocked,
  offline,
  busy,
  send,
  onDone,
}: {
  blocked: BlockedProject[];
  offline: boolean;
  busy: boolean;
  send: (label: string, command: ControlCommand) => Promise<void>;
  onDone: (message: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settled = (message: string) => {
    void queryClient.invalidateQueries({ queryKey: trpc.fleetSettings.get.queryKey() });
    onDone(message);
  };
  const unblockForFleet = useMutation(
    trpc.fleetSettings.unblockProject.mutationOptions({
      onSuccess: () => settled('Unblocked for the whole fleet'),
      onError: (error) => onDone(`Unblock failed: ${error.message}`),
    }),
  );
  const blockForFleet = useMutation(
    trpc.fleetSettings.blockProject.mutationOptions({
      onSuccess: (_, { name }) => settled(`${name} blocked for the whole fleet`),
      onError: (error) => onDone(`Block for the fleet failed: ${error.message}`),
    }),
  );
  return (
    <section className="card" style={{ marginBottom: 12 }} aria-label="Blocked projects">
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
                        send('Unblock', { type: 'unblock-project', archiveMd5: project.archiveMd5 })
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
