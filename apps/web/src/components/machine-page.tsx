'use client';
import type { AgentState, ControlCommand, LogLine } from '@flock/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { useState } from 'react';
import { formatAgo, formatBytes, formatCpuLoad, formatCredits, formatDuration } from '../lib/format';
import { useTRPC } from '../lib/trpc';
import type { MachineSummary } from '../server/views';
import { BlockProjectButtons } from './block-project-buttons';
import { BlockedProjectsCard } from './blocked-projects-card';
import { describeOutcomes } from './command-results';
import { LimitsForm } from './limits-form';
import { LogTail } from './log-tail';
import { MachineFarmAccount } from './machine-farm-account';
import { ReasonLine } from './reason-line';
import { JobProgress, LoadingList, StateMessage, StatusBadge } from './status';
import { liveState, Topbar } from './topbar';
import { useToast } from './use-toast';

function Hardware({ machine, summary }: { machine: AgentState['machine'] | null; summary: MachineSummary }) {
  if (!machine) return <p className="muted">Not known until the agent connects.</p>;
  return (
    <dl className="facts">
      <dt>Host</dt>
      <dd>{machine.hostname}</dd>
      <dt>OS</dt>
      <dd>
        {machine.os} ({machine.arch})
      </dd>
      <dt>CPU</dt>
      <dd>
        {machine.cpu.model}, {machine.cpu.cores} cores
      </dd>
      <dt>RAM</dt>
      <dd>{formatBytes(machine.ramBytes)}</dd>
      {summary.usage && (
        <>
          <dt>Load now</dt>
          <dd>
            {formatCpuLoad(summary.usage.cpuPercent, machine.cpu.cores)} ·{' '}
            {formatBytes(summary.usage.memoryBytes)} {summary.job?.phase === 'render' ? 'Blender' : 'agent'}{' '}
            memory
          </dd>
        </>
      )}
      <dt>GPUs</dt>
      <dd>
        {machine.gpus.length
          ? machine.gpus.map((g) => `${g.model} (${formatBytes(g.vramBytes)})`).join(', ')
          : 'none'}
      </dd>
      <dt>Blender</dt>
      <dd>{machine.blender ?? 'synthetic renderer'}</dd>
      <dt>Agent</dt>
      <dd>{summary.agentVersion ?? '—'}</dd>
    </dl>
  );
}

export function MachinePage({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const initial = useQuery(trpc.machines.get.queryOptions({ id }));
  const history = useQuery(trpc.machines.history.queryOptions({ id }));
  const [live, setLive] = useState<{ summary: MachineSummary; state: AgentState | null } | null>(null);
  const [removed, setRemoved] = useState(false);
  const subscription = useSubscription(
    trpc.machines.live.subscriptionOptions(
      { id },
      {
        enabled: initial.isSuccess,
        onData: (update) => {
          if (update.kind === 'state') setLive({ summary: update.summary, state: update.state });
          else if (update.kind === 'removed') setRemoved(true);
          else void queryClient.invalidateQueries({ queryKey: trpc.machines.history.queryKey({ id }) });
        },
      },
    ),
  );
  const command = useMutation(trpc.fleet.command.mutationOptions());
  const remove = useMutation(trpc.machines.remove.mutationOptions({ onSuccess: () => location.assign('/') }));
  const rename = useMutation(trpc.machines.rename.mutationOptions());
  const [toast, showToast] = useToast();

  const summary = live?.summary ?? initial.data?.summary;
  const state = live ? live.state : (initial.data?.state ?? null);
  const machine = state?.machine ?? initial.data?.machine ?? null;
  const send = async (label: string, cmd: ControlCommand) =>
    showToast(describeOutcomes(label, await command.mutateAsync({ ids: [id], command: cmd })));

  const topbar = <Topbar live={liveState(subscription.status, live !== null || initial.isSuccess)} />;
  if (initial.isPending)
    return (
      <>
        {topbar}
        <main className="page">
          <LoadingList rows={4} />
        </main>
      </>
    );
  if (removed || initial.error?.data?.code === 'NOT_FOUND') {
    return (
      <>
        {topbar}
        <main className="page">
          <StateMessage title="No such machine">
            <p>
              It was removed or never paired. <Link href="/">Back to the fleet</Link>
            </p>
          </StateMessage>
        </main>
      </>
    );
  }
  if (!summary) {
    return (
      <>
        {topbar}
        <main className="page">
          <StateMessage title="Could not load this machine" tone="error">
            <p>{initial.error?.message}</p>
            <button type="button" onClick={() => initial.refetch()}>
              Try again
            </button>
          </StateMessage>
        </main>
      </>
    );
  }
  const lastFrame = history.data?.frames[0];
  const offline = !summary.online;
  return (
    <>
      {topbar}
      <main className="page">
        <div className="head">
          <Link href="/">← Fleet</Link>
          <h1 data-testid="machine-name">{summary.name}</h1>
          <StatusBadge status={summary.status} />
          <span className="spacer" style={{ flex: 1 }} />
          <button
            type="button"
            disabled={rename.isPending}
            onClick={() => {
              const name = prompt('New name for this machine', summary.name)?.trim();
              if (name && name !== summary.name) rename.mutate({ id, name });
            }}
          >
            Rename
          </button>
          <button
            type="button"
            className="danger"
            disabled={remove.isPending}
            onClick={() => {
              if (
                confirm(`Remove ${summary.name}? Its agent is disconnected at once and must be paired again.`)
              )
                remove.mutate({ id });
            }}
          >
            Remove machine
          </button>
        </div>
        {offline && (
          <div className="banner">
            This machine is offline (last seen {formatAgo(summary.lastSeenAt)}). Changes are applied when it
            reconnects.
          </div>
        )}
        <div className="grid-2">
          <section className="card" aria-label="Now">
            <h2>Now</h2>
            {summary.job ? (
              <>
                <p>
                  {summary.job.project} · frame {summary.job.frame} · {summary.job.device}
                </p>
                <JobProgress job={summary.job} status={summary.status} />
              </>
            ) : offline || !summary.reason ? (
              <p className="reason">{offline ? 'Offline' : 'No job right now'}</p>
            ) : (
              <ReasonLine reason={summary.reason} />
            )}
            <p className="muted">
              {state
                ? `${state.stats.framesRendered} frames · ${formatCredits(state.stats.creditsSession)} credits this session · uploads waiting ${state.uploads.queued + state.uploads.inFlight}`
                : ''}
            </p>
            <div className="actions" style={{ justifyContent: 'flex-start' }}>
              <button
                type="button"
                disabled={offline || command.isPending}
                onClick={() => send('Pause after frame', { type: 'pause', when: 'after-frame' })}
              >
                Pause after frame
              </button>
              <button
                type="button"
                disabled={offline || command.isPending}
                onClick={() => send('Pause now', { type: 'pause', when: 'now' })}
              >
                Pause now
              </button>
              <button
                type="button"
                disabled={offline || command.isPending}
                onClick={() => send('Resume', { type: 'resume' })}
              >
                Resume
              </button>
              <button
                type="button"
                disabled={offline || command.isPending}
                title="Ends a wait (a back-off, a refused login) and asks the farm again now"
                onClick={() => send('Retry now', { type: 'retry-now' })}
              >
                Retry now
              </button>
              <button
                type="button"
                disabled={offline || command.isPending}
                onClick={() => send('Stop after frame', { type: 'stop', when: 'after-frame' })}
              >
                Stop
              </button>
              <BlockProjectButtons
                job={summary.job}
                disabled={offline || command.isPending}
                onBlockHere={() => send('Block project', { type: 'block-project' })}
                onDone={showToast}
              />
            </div>
          </section>
          <section className="card" aria-label="Last frame">
            <h2>Last frame</h2>
            {lastFrame?.thumbnail ? (
              // biome-ignore lint/performance/noImgElement: a data: URL thumbnail, nothing for next/image to optimise
              <img
                className="thumb"
                src={lastFrame.thumbnail}
                alt={`Frame ${lastFrame.frame} of ${lastFrame.project}`}
                data-testid="thumbnail"
              />
            ) : (
              <p className="muted">{lastFrame ? 'No thumbnail for this frame.' : 'No frame rendered yet.'}</p>
            )}
            {lastFrame && (
              <p className="muted">
                {lastFrame.project} · frame {lastFrame.frame} ·{' '}
                {formatDuration(lastFrame.renderTimeMs / 1000)} · {formatAgo(lastFrame.finishedAt)}
              </p>
            )}
          </section>
        </div>
        <div className="grid-2">
          <section className="card" aria-label="Limits">
            <h2>Limits</h2>
            {summary.limits ? (
              <LimitsForm
                key={JSON.stringify(summary.limits)}
                limits={summary.limits}
                gpus={machine?.gpus ?? []}
                busy={command.isPending}
                onApply={(limits) => send('Limits', { type: 'set-limits', limits })}
              />
            ) : (
              <p className="muted">Known once the agent connects.</p>
            )}
          </section>
          <section className="card" aria-label="Hardware">
            <h2>Hardware</h2>
            <Hardware machine={machine} summary={summary} />
          </section>
        </div>
        <MachineFarmAccount id={id} farmAccount={state?.farmAccount} onDone={showToast} />
        <BlockedProjectsCard
          blocked={summary.blockedProjects}
          offline={offline}
          busy={command.isPending}
          send={send}
          onDone={showToast}
        />
        <section className="card" style={{ marginBottom: 12 }} aria-label="Recent frames">
          <h2>Recent frames</h2>
          {history.data?.frames.length ? (
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
                  {history.data.frames.map((f) => (
                    <tr key={f.id}>
                      <td>{f.project}</td>
                      <td>{f.frame}</td>
                      <td>{formatDuration(f.renderTimeMs / 1000)}</td>
                      <td>{f.credits ?? '—'}</td>
                      <td>{formatAgo(f.finishedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p className="muted">{history.isPending ? 'Loading…' : 'No frames yet.'}</p>
          )}
        </section>
        <section className="card" style={{ marginBottom: 12 }} aria-label="Recent errors">
          <h2>Recent errors</h2>
          {history.data?.errors.length ? (
            history.data.errors.map(({ id: errorId, at, event }) =>
              event.kind === 'error' ? (
                <details key={errorId}>
                  <summary>
                    <span className="log-error">{event.code}</span> {event.message}{' '}
                    <span className="muted">· {formatAgo(at)}</span>
                  </summary>
                  <pre className="logs">{event.logExcerpt || '(no log)'}</pre>
                </details>
              ) : null,
            )
          ) : (
            <p className="muted">No errors. </p>
          )}
        </section>
        <LogTail id={id} recent={state?.recentLog ?? ([] as LogLine[])} online={!offline} />
      </main>
      {toast && (
        <div className="toast" role="status">
          {toast}
        </div>
      )}
    </>
  );
}
