import { AgentStatusSchema, type NotRenderingReason, NotRenderingReasonSchema } from '@flock/protocol';
import { describe, expect, it } from 'vitest';
import {
  type DisplayStatus,
  inStatusFilter,
  type MachineSummary,
  STATUS_GROUPS,
  type StatusGroup,
  shownStatus,
  totalsOf,
} from '../src/server/views';

const REASON_CODES = NotRenderingReasonSchema.shape.code.options;

function machine(status: DisplayStatus, reasonCode: NotRenderingReason['code'] | null): MachineSummary {
  const online = status !== 'offline' && status !== 'never-connected';
  return {
    id: `${status}-${reasonCode}`,
    name: `${status} ${reasonCode ?? 'no reason'}`,
    online,
    lastSeenAt: status === 'never-connected' ? null : 1,
    status,
    reason: reasonCode && { code: reasonCode, message: 'why', until: null },
    job: null,
    hardware: null,
    limits: null,
    usage: null,
    uploads: null,
    afterFrame: null,
    creditsSession: 0,
    framesToday: 0,
    creditsToday: 0,
    framesRendered: 0,
    agentVersion: null,
    lifecycle: null,
    blender: null,
    blockedProjects: [],
    stateAt: null,
  };
}

/** Every machine the console can show: each status an agent reports, with each reason or none; offline ones. */
const everyMachine: MachineSummary[] = [
  ...AgentStatusSchema.options.flatMap((status) =>
    [null, ...REASON_CODES].map((code) => machine(status, code)),
  ),
  machine('offline', null),
  machine('never-connected', null),
];

const groupsShowing = (m: MachineSummary) => STATUS_GROUPS.filter((group) => inStatusFilter(m, group));
const tilesCounting = (m: MachineSummary) =>
  STATUS_GROUPS.filter((group) => totalsOf([m], { frames: 0, credits: 0 })[group] === 1);

describe('status groups: the overview filter and its tiles', () => {
  it('put every status with every reason in exactly one group, the same for the filter and the tiles', () => {
    for (const m of everyMachine) {
      const shown = groupsShowing(m);
      expect(shown, m.name).toHaveLength(1);
      expect(tilesCounting(m), m.name).toEqual(shown);
      expect(inStatusFilter(m, 'all'), m.name).toBe(true);
    }
  });

  it('count a stopping machine as paused, on the tile as in the filter', () => {
    const stopping = machine('stopping', 'stopping');
    expect(inStatusFilter(stopping, 'paused')).toBe(true);
    expect(totalsOf([stopping], { frames: 0, credits: 0 }).paused).toBe(1);
  });

  it('put a machine waiting for a reason that needs someone in error only, whatever status it reports', () => {
    const cases: [DisplayStatus, NotRenderingReason['code'], StatusGroup][] = [
      ['uploading', 'farm-unreachable', 'error'], // its frames wait for a farm that does not answer
      ['idle', 'login-refused', 'error'], // an older agent says idle for a refused login
      ['idle', 'disk-full', 'error'],
      ['error', 'other', 'error'],
      ['paused', 'paused-by-user', 'paused'],
      ['idle', 'no-job', 'idle'],
      ['stopped', 'max-frames-reached', 'idle'],
      ['requesting', 'backing-off', 'requesting'],
    ];
    for (const [status, code, group] of cases) {
      const m = machine(status, code);
      expect(groupsShowing(m), m.name).toEqual([group]);
      expect(tilesCounting(m), m.name).toEqual([group]);
    }
  });

  it('count as working only a machine that downloads, renders or uploads a frame; asking for one is its own', () => {
    const groupOf = (status: DisplayStatus) => groupsShowing(machine(status, null));
    expect(['downloading', 'rendering', 'uploading'].map((s) => groupOf(s as DisplayStatus))).toEqual([
      ['working'],
      ['working'],
      ['working'],
    ]);
    expect(groupOf('requesting')).toEqual(['requesting']);
    expect(totalsOf([machine('requesting', null)], { frames: 0, credits: 0 }).working).toBe(0);
  });

  it('show a machine by its group where they differ: in error, whatever status its agent reports', () => {
    expect(shownStatus(machine('idle', 'login-refused'))).toBe('error');
    expect(shownStatus(machine('uploading', 'farm-unreachable'))).toBe('error');
    expect(shownStatus(machine('rendering', null))).toBe('rendering');
    expect(shownStatus(machine('idle', 'no-job'))).toBe('idle');
    expect(
      shownStatus({ ...machine('rendering', 'farm-unreachable'), online: false, status: 'offline' }),
    ).toBe('offline');
  });

  it('count an offline machine as offline only, whatever it last reported', () => {
    for (const status of ['offline', 'never-connected'] as const) {
      const m = { ...machine('rendering', 'farm-unreachable'), online: false, status };
      expect(groupsShowing(m)).toEqual(['offline']);
      expect(tilesCounting(m)).toEqual(['offline']);
    }
  });

  it('add up: the groups of a whole fleet sum to its machines, the online ones to its online count', () => {
    const totals = totalsOf(everyMachine, { frames: 3, credits: 7 });
    const grouped = STATUS_GROUPS.reduce((sum, group) => sum + totals[group], 0);
    expect(grouped).toBe(everyMachine.length);
    expect(totals.machines).toBe(everyMachine.length);
    expect(totals.online).toBe(everyMachine.length - totals.offline);
    expect(totals).toMatchObject({ framesToday: 3, creditsToday: 7 });
  });
});
