'use client';
import type { AgentLifecycle } from '@flock/protocol';
import { describeAgentVersion, describeSupervision, describeUpdateOutcome } from '../lib/updates';
import type { MachineSummary } from '../server/views';

/** The machine's agent and Blender versions, what restarts it, and how its last update went. */
export function MachineAgentCard({ summary }: { summary: MachineSummary }) {
  const lifecycle: AgentLifecycle | null = summary.lifecycle;
  return (
    <section className="card" aria-label="Agent">
      <h2>Agent</h2>
      <dl className="facts">
        <dt>Version</dt>
        <dd>{describeAgentVersion(summary.agentVersion, lifecycle)}</dd>
        <dt>Blender</dt>
        <dd>{summary.blender ?? 'not known until it renders with Blender'}</dd>
        <dt>Service</dt>
        <dd>{describeSupervision(lifecycle)}</dd>
        <dt>Last update</dt>
        <dd data-testid="last-update">
          {lifecycle?.update ? describeUpdateOutcome(lifecycle.update) : 'none since it started'}
        </dd>
      </dl>
    </section>
  );
}
