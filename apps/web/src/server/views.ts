import type {
  AgentState,
  AgentStatus,
  BlockedProject,
  CurrentJob,
  Hello,
  Limits,
  NotRenderingReason,
} from '@flock/protocol';
import { isInError } from '../lib/format';

/** What the console shows for a machine; `offline` wins over whatever the agent last reported. */
export type DisplayStatus = AgentStatus | 'offline' | 'never-connected';

export interface MachineSummary {
  id: string;
  name: string;
  online: boolean;
  lastSeenAt: number | null;
  status: DisplayStatus;
  reason: NotRenderingReason | null;
  job: CurrentJob | null;
  hardware: { cpu: string; cores: number; ramBytes: number; gpus: string[] } | null;
  limits: Limits | null;
  usage: AgentState['usage'] | null;
  uploads: AgentState['uploads'] | null;
  creditsSession: number;
  framesRendered: number;
  agentVersion: string | null;
  /** Projects the machine never renders (its own blocks and the fleet's). */
  blockedProjects: BlockedProject[];
  /** The agent's send time of the state shown (for latency measurement). */
  stateAt: number | null;
}

export interface FleetTotals {
  machines: number;
  online: number;
  rendering: number;
  paused: number;
  error: number;
  offline: number;
  framesToday: number;
  creditsToday: number;
}

export interface MachineRecord {
  id: string;
  name: string;
  online: boolean;
  lastSeenAt: number | null;
  hello: Hello | null;
  state: AgentState | null;
  stateAt: number | null;
}

export function summarize(record: MachineRecord): MachineSummary {
  const { state, online } = record;
  const machine = state?.machine ?? record.hello?.machine ?? null;
  return {
    id: record.id,
    name: record.name,
    online,
    lastSeenAt: record.lastSeenAt,
    status: !online
      ? record.lastSeenAt === null
        ? 'never-connected'
        : 'offline'
      : (state?.status ?? 'starting'),
    // A machine that is gone is not rendering anything, whatever it said last.
    reason: online ? (state?.reason ?? null) : null,
    job: online ? (state?.job ?? null) : null,
    hardware: machine && {
      cpu: machine.cpu.model,
      cores: machine.cpu.cores,
      ramBytes: machine.ramBytes,
      gpus: machine.gpus.map((gpu) => gpu.model),
    },
    limits: state?.limits ?? null,
    usage: online ? (state?.usage ?? null) : null,
    uploads: state?.uploads ?? null,
    creditsSession: state?.stats.creditsSession ?? 0,
    framesRendered: state?.stats.framesRendered ?? 0,
    agentVersion: record.hello?.agentVersion ?? null,
    blockedProjects: state?.blockedProjects ?? [],
    stateAt: record.stateAt,
  };
}

const RENDERING: readonly DisplayStatus[] = ['requesting', 'downloading', 'rendering', 'uploading'];

/** The overview's status groups: its tiles count them and its filter shows them. */
export const STATUS_GROUPS = ['working', 'idle', 'paused', 'error', 'offline'] as const;
export type StatusGroup = (typeof STATUS_GROUPS)[number];
export type StatusFilter = 'all' | StatusGroup;

const FILTERS: Record<StatusFilter, (machine: MachineSummary) => boolean> = {
  all: () => true,
  working: (m) => ['requesting', 'downloading', 'rendering', 'uploading'].includes(m.status),
  idle: (m) => m.online && ['idle', 'starting', 'stopped'].includes(m.status) && !isInError(m),
  paused: (m) => m.status === 'paused' || m.status === 'stopping',
  error: isInError,
  offline: (m) => !m.online,
};

/** Whether the overview's status filter shows this machine. */
export function inStatusFilter(machine: MachineSummary, filter: StatusFilter): boolean {
  return FILTERS[filter](machine);
}

export function totalsOf(
  summaries: Iterable<MachineSummary>,
  today: { frames: number; credits: number },
): FleetTotals {
  const totals: FleetTotals = {
    machines: 0,
    online: 0,
    rendering: 0,
    paused: 0,
    error: 0,
    offline: 0,
    framesToday: today.frames,
    creditsToday: today.credits,
  };
  for (const s of summaries) {
    totals.machines++;
    if (s.online) totals.online++;
    else totals.offline++;
    if (RENDERING.includes(s.status)) totals.rendering++;
    if (s.status === 'paused') totals.paused++;
    if (isInError(s)) totals.error++;
  }
  return totals;
}
