import {
  type AgentLifecycle,
  type AgentState,
  type AgentStatus,
  type BlockedProject,
  type CurrentJob,
  type Hello,
  type Limits,
  type NotRenderingReason,
  REASONS_IN_ERROR,
} from '@flock/protocol';

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
  /** What the user asked to happen once the current frame is done (shown while it is in progress). */
  afterFrame: 'pause' | 'stop' | null;
  /** The agent's own counters since it started (reset when it restarts). */
  creditsSession: number;
  framesRendered: number;
  /** Frames and credits of today (local midnight of the console), from the console's database. */
  framesToday: number;
  creditsToday: number;
  agentVersion: string | null;
  /** Its installed build, what restarts it and its last update; null for agents that do not say. */
  lifecycle: AgentLifecycle | null;
  /** The Blender version of its last render; null until it rendered with one. */
  blender: string | null;
  /** Projects the machine never renders (its own blocks and the fleet's). */
  blockedProjects: BlockedProject[];
  /** The agent's send time of the state shown (for latency measurement). */
  stateAt: number | null;
}

/** Machines in all, online, and in each status group; today's frames and credits. */
export interface FleetTotals extends Record<StatusGroup, number> {
  machines: number;
  online: number;
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

/** Frames delivered and credits granted. */
export interface FrameTotals {
  frames: number;
  credits: number;
}

export function summarize(record: MachineRecord, today?: FrameTotals): MachineSummary {
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
    afterFrame: online ? (state?.afterFrame ?? null) : null,
    creditsSession: state?.stats.creditsSession ?? 0,
    framesRendered: state?.stats.framesRendered ?? 0,
    framesToday: today?.frames ?? 0,
    creditsToday: today?.credits ?? 0,
    agentVersion: record.hello?.agentVersion ?? null,
    lifecycle: state?.lifecycle ?? null,
    blender: machine?.blender ?? null,
    blockedProjects: state?.blockedProjects ?? [],
    stateAt: record.stateAt,
  };
}

/**
 * The overview's status groups: every machine is in exactly one, which its tile counts and its filter
 * shows. Working is downloading, rendering or uploading a frame; asking the farm for one is a group of
 * its own. A machine that is gone is offline, whatever it said last; one waiting for a reason that
 * needs someone (farm unreachable, login refused, disk full, session error) is in error, whatever
 * status it reports (older agents say idle; an agent whose uploads wait for an unreachable farm says
 * uploading).
 */
export const STATUS_GROUPS = ['working', 'requesting', 'idle', 'paused', 'error', 'offline'] as const;
export type StatusGroup = (typeof STATUS_GROUPS)[number];
export type StatusFilter = 'all' | StatusGroup;

const GROUP_OF_STATUS: Record<DisplayStatus, StatusGroup> = {
  starting: 'idle',
  requesting: 'requesting',
  downloading: 'working',
  rendering: 'working',
  uploading: 'working',
  idle: 'idle',
  paused: 'paused',
  stopping: 'paused',
  stopped: 'idle',
  error: 'error',
  offline: 'offline',
  'never-connected': 'offline',
};

export function statusGroupOf(machine: Pick<MachineSummary, 'online' | 'status' | 'reason'>): StatusGroup {
  if (!machine.online) return 'offline';
  if (machine.reason && REASONS_IN_ERROR.has(machine.reason.code)) return 'error';
  // Stopped from the console on purpose: with the paused ones, not among the idle.
  if (machine.reason?.code === 'stopped-by-user') return 'paused';
  return GROUP_OF_STATUS[machine.status];
}

/**
 * The status a machine is shown with (badge, colour): its agent's, except in error, where its group
 * says so whatever the agent reports (an idle agent whose login the farm refuses shows Error).
 */
export function shownStatus(machine: Pick<MachineSummary, 'online' | 'status' | 'reason'>): DisplayStatus {
  return statusGroupOf(machine) === 'error' ? 'error' : machine.status;
}

/** Whether the overview's status filter shows this machine. */
export function inStatusFilter(machine: MachineSummary, filter: StatusFilter): boolean {
  return filter === 'all' || statusGroupOf(machine) === filter;
}

export function totalsOf(summaries: Iterable<MachineSummary>, today: FrameTotals): FleetTotals {
  const totals: FleetTotals = {
    machines: 0,
    online: 0,
    working: 0,
    requesting: 0,
    idle: 0,
    paused: 0,
    error: 0,
    offline: 0,
    framesToday: today.frames,
    creditsToday: today.credits,
  };
  for (const s of summaries) {
    totals.machines++;
    if (s.online) totals.online++;
    totals[statusGroupOf(s)]++;
  }
  return totals;
}
