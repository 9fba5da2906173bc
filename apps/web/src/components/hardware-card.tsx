import type { AgentState } from '@flock/protocol';
import { formatBytes, formatCpuLoad } from '../lib/format';
import type { MachineSummary } from '../server/views';

/** The machine's host, OS, CPU, memory, GPUs, Blender and agent, and its load now. */
export function HardwareCard({
  machine,
  summary,
}: {
  machine: AgentState['machine'] | null;
  summary: MachineSummary;
}) {
  return (
    <section className="card" aria-label="Hardware">
      <h2>Hardware</h2>
      {machine ? (
        <HardwareFacts machine={machine} summary={summary} />
      ) : (
        <p className="muted">Not known until the agent connects.</p>
      )}
    </section>
  );
}

function HardwareFacts({ machine, summary }: { machine: AgentState['machine']; summary: MachineSummary }) {
  const { usage, job, disk } = summary;
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
      {usage && (
        <>
          <dt>Load now</dt>
          <dd>
            {formatCpuLoad(usage.cpuPercent, machine.cpu.cores)} · {formatBytes(usage.memoryBytes)}{' '}
            {job?.phase === 'render' ? 'Blender' : 'agent'} memory
          </dd>
        </>
      )}
      {disk && (
        <>
          <dt>Cache disk</dt>
          <dd>
            {formatBytes(disk.freeBytes)} free of {formatBytes(disk.totalBytes)}
          </dd>
        </>
      )}
      <dt>GPUs</dt>
      <dd>
        {machine.gpus.length
          ? machine.gpus.map((gpu) => `${gpu.model} (${formatBytes(gpu.vramBytes)})`).join(', ')
          : 'none'}
      </dd>
      <dt>Blender</dt>
      <dd>{machine.blender ?? 'synthetic renderer'}</dd>
      <dt>Agent</dt>
      <dd>{summary.agentVersion ?? '—'}</dd>
    </dl>
  );
}
