import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AgentState,
  AgentStateSchema,
  type AgentToConsole,
  applyPatch,
  type ConsoleToAgent,
  decodeAgentMessage,
  decodeConsoleMessage,
  diffState,
  encodeMessage,
  formatLocalTime,
  isEmptyPatch,
  LINK_MAX_MESSAGE_CHARS,
  LINK_PROTOCOL_VERSION,
  reasonTimes,
} from '../src/link';
import { pngHeader } from './thumbnail-bytes';

const state: AgentState = {
  machine: {
    hostname: 'render-01',
    os: 'Debian 12',
    arch: 'x64',
    cpu: { model: 'EPYC', cores: 8 },
    ramBytes: 16 * 2 ** 30,
    gpus: [{ id: 'CUDA_0', model: 'RTX 3060', vramBytes: 12 * 2 ** 30 }],
    blender: '3.4.1',
  },
  session: { server: 'http://127.0.0.1:8080', login: 'demo', connected: true, startedAt: 1_700_000_000_000 },
  status: 'rendering',
  reason: null,
  job: {
    id: '42',
    project: 'Sheep',
    frame: 7,
    phase: 'render',
    progress: 0.5,
    etaSeconds: 30,
    device: 'CPU',
    startedAt: 1_700_000_100_000,
    archiveMd5: '0123456789abcdef0123456789abcdef',
  },
  limits: {
    computeMethod: 'cpu',
    gpu: null,
    cores: 4,
    memoryBytes: null,
    maxFrameTimeSeconds: null,
    priority: 19,
    requestTime: 'mon-fri 18:00-08:00',
  },
  usage: { cpuPercent: 390, memoryBytes: 2 ** 30 },
  disk: { freeBytes: 40 * 2 ** 30, totalBytes: 500 * 2 ** 30 },
  uploads: { queued: 1, inFlight: 1 },
  stats: { framesRendered: 3, framesFailed: 0, creditsSession: 120, renderTimeMsTotal: 90_000 },
  lastFramePath: '/tmp/frame.png',
  blockedProjects: [
    {
      archiveMd5: 'fedcba9876543210fedcba9876543210',
      name: 'Spam',
      blockedAt: 1_700_000_050_000,
      scope: 'fleet',
    },
  ],
  recentLog: [{ at: 1_700_000_100_000, level: 'info', message: 'rendering frame 7' }],
};

const agentMessages: AgentToConsole[] = [
  {
    type: 'hello',
    protocol: LINK_PROTOCOL_VERSION,
    machineId: 'm1',
    agentVersion: '0.1.0',
    bootId: 'b1',
    machine: state.machine,
  },
  { type: 'snapshot', at: 1, state },
  { type: 'patch', at: 2, changes: { status: 'paused', job: null } },
  {
    type: 'event',
    seq: 0,
    at: 3,
    event: {
      kind: 'frame-done',
      jobId: '42',
      project: 'Sheep',
      frame: 7,
      renderTimeMs: 1234,
      credits: 10,
      thumbnail: { mime: 'image/png', base64: pngHeader(160, 90).toString('base64') },
    },
  },
  {
    type: 'event',
    seq: 1,
    at: 4,
    event: {
      kind: 'error',
      jobId: null,
      code: 'RENDERER_CRASHED',
      message: 'Blender died',
      logExcerpt: 'Segfault',
    },
  },
  // Kept on disk by an earlier boot of the agent and replayed after its restart.
  {
    type: 'event',
    seq: 3,
    at: 2,
    bootId: 'b0',
    event: { kind: 'error', jobId: '41', code: 'RENDERER_CRASHED', message: 'Blender died', logExcerpt: '' },
  },
  { type: 'ack', commandId: 'c1', result: { ok: true } },
  { type: 'ack', commandId: 'c2', result: { ok: false, reason: 'stale', message: 'issued 90 s ago' } },
  { type: 'logs', requestId: 'r1', lines: state.recentLog },
  { type: 'heartbeat', at: 5 },
  {
    type: 'patch',
    at: 2,
    changes: {
      status: 'idle',
      reason: {
        code: 'farm-unreachable',
        message: 'The farm did not answer in time.',
        since: 1_700_000_000_000,
        until: 1_700_000_030_000,
        detail: 'Headers Timeout Error',
      },
    },
  },
];

const consoleMessages: ConsoleToAgent[] = [
  {
    type: 'welcome',
    protocol: LINK_PROTOCOL_VERSION,
    machineId: 'm1',
    serverTime: 10,
    heartbeatMs: 5000,
    commandMaxAgeMs: 60_000,
  },
  { type: 'command', id: 'c1', issuedAt: 11, command: { type: 'pause', when: 'after-frame' } },
  {
    type: 'command',
    id: 'c2',
    issuedAt: 11,
    command: { type: 'set-limits', limits: { cores: 2, gpu: null } },
  },
  { type: 'command', id: 'c3', issuedAt: 11, command: { type: 'block-project' } },
  { type: 'command', id: 'c4', issuedAt: 11, command: { type: 'retry-now' } },
  {
    type: 'command',
    id: 'c5',
    issuedAt: 11,
    command: { type: 'unblock-project', archiveMd5: 'fedcba9876543210fedcba9876543210' },
  },
  {
    type: 'fleet-settings',
    settings: {
      clientVersion: '7.24086.0',
      farmServer: 'https://farm.example.net/sandbox',
      blockedProjects: [{ archiveMd5: 'fedcba9876543210fedcba9876543210', name: 'Spam', blockedAt: 9 }],
    },
  },
  { type: 'fleet-settings', settings: { clientVersion: null, farmServer: null, blockedProjects: [] } },
  { type: 'request-logs', requestId: 'r1', limit: 100, search: 'error' },
  { type: 'events-ack', bootId: 'b1', seq: 4 },
  { type: 'heartbeat', at: 12 },
];

describe('link messages', () => {
  it.each(agentMessages)('agent → console $type round-trips', (message) => {
    expect(decodeAgentMessage(encodeMessage(message))).toEqual({ ok: true, message });
  });

  it.each(consoleMessages)('console → agent $type round-trips', (message) => {
    expect(decodeConsoleMessage(encodeMessage(message))).toEqual({ ok: true, message });
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['an unknown type', '{"type":"shout"}', /type/],
    [
      'a bad state field',
      JSON.stringify({ type: 'snapshot', at: 1, state: { ...state, status: 'dancing' } }),
      /state\.status/,
    ],
    ['a negative heartbeat time', '{"type":"heartbeat","at":-1}', /at/],
    [
      'more free disk space than the disk holds',
      JSON.stringify({ type: 'patch', at: 1, changes: { disk: { freeBytes: 2, totalBytes: 1 } } }),
      /disk/,
    ],
    [
      'a thumbnail that is not base64',
      JSON.stringify({
        ...agentMessages[3],
        event: {
          ...(agentMessages[3] as { event: object }).event,
          thumbnail: { mime: 'image/png', base64: '<script>' },
        },
      }),
      /base64/,
    ],
  ])('rejects %s with a reason', (_label, raw, reason) => {
    const decoded = decodeAgentMessage(raw);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(reason);
  });

  it.each([
    ['a command without id', { type: 'command', issuedAt: 1, command: { type: 'resume' } }, /id/],
    [
      'an unknown command',
      { type: 'command', id: 'x', issuedAt: 1, command: { type: 'format-disk' } },
      /command/,
    ],
    [
      'empty limits',
      { type: 'command', id: 'x', issuedAt: 1, command: { type: 'set-limits', limits: {} } },
      /limit/,
    ],
    [
      'negative cores',
      { type: 'command', id: 'x', issuedAt: 1, command: { type: 'set-limits', limits: { cores: -1 } } },
      /cores/,
    ],
    ['a pause without when', { type: 'command', id: 'x', issuedAt: 1, command: { type: 'pause' } }, /when/],
    [
      'an unblock of something that is not an MD5',
      { type: 'command', id: 'x', issuedAt: 1, command: { type: 'unblock-project', archiveMd5: '../etc' } },
      /archiveMd5/,
    ],
    [
      'a client version with spaces or quotes',
      { type: 'fleet-settings', settings: { clientVersion: '7.1 "x"', blockedProjects: [] } },
      /clientVersion/,
    ],
    [
      'fleet settings without the blocked list',
      { type: 'fleet-settings', settings: { clientVersion: null } },
      /blockedProjects/,
    ],
  ])('rejects %s from the console', (_label, value, reason) => {
    const decoded = decodeConsoleMessage(JSON.stringify(value));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(reason);
  });

  it('reads a state without blocked projects (an older agent) as valid', () => {
    const { blockedProjects: _none, ...older } = state;
    const decoded = decodeAgentMessage(JSON.stringify({ type: 'snapshot', at: 1, state: older }));
    expect(decoded.ok).toBe(true);
    // and a patch that does not name them leaves them alone
    const patch = decodeAgentMessage(JSON.stringify({ type: 'patch', at: 1, changes: { status: 'idle' } }));
    expect(patch.ok && patch.message.type === 'patch' && 'blockedProjects' in patch.message.changes).toBe(
      false,
    );
  });

  it('refuses oversized frames before parsing them', () => {
    const decoded = decodeAgentMessage(' '.repeat(LINK_MAX_MESSAGE_CHARS + 1));
    expect(decoded).toEqual({ ok: false, reason: expect.stringMatching(/over/) });
  });

  it('never throws on arbitrary text or JSON (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ type: 'patch', at: 1, changes: v })),
        ),
        (raw) => {
          const a = decodeAgentMessage(raw);
          const c = decodeConsoleMessage(raw);
          for (const decoded of [a, c]) if (!decoded.ok) expect(decoded.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('round-trips any valid patch of a valid state (fuzz)', () => {
    const statuses = AgentStateSchema.shape.status.options;
    fc.assert(
      fc.property(
        fc.constantFrom(...statuses),
        fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
        fc.nat(),
        (status, progress, queued) => {
          const next: AgentState = {
            ...state,
            status,
            job: state.job && { ...state.job, progress },
            uploads: { ...state.uploads, queued },
          };
          const changes = diffState(state, next);
          const decoded = decodeAgentMessage(encodeMessage({ type: 'patch', at: 1, changes }));
          expect(decoded.ok).toBe(true);
          if (decoded.ok && decoded.message.type === 'patch') {
            expect(applyPatch(state, decoded.message.changes)).toEqual(next);
          }
        },
      ),
    );
  });
});

describe('state diff', () => {
  it('is empty when nothing changed and names only the changed keys otherwise', () => {
    expect(isEmptyPatch(diffState(state, structuredClone(state)))).toBe(true);
    const changes = diffState(state, { ...state, uploads: { queued: 0, inFlight: 0 } });
    expect(Object.keys(changes)).toEqual(['uploads']);
  });
});

describe('reason times', () => {
  it('are local times: since and next try at; a request-time window says until', () => {
    const since = new Date(2026, 0, 5, 14, 2, 7).getTime();
    const local = (at: number) => new Date(at).toLocaleTimeString();
    const unreachable = { code: 'farm-unreachable', message: 'x', since, until: since + 30_000 } as const;
    expect(reasonTimes(unreachable, since)).toEqual([
      `since ${local(since)}`,
      `next try at ${local(since + 30_000)}`,
    ]);
    expect(reasonTimes({ code: 'outside-request-time', message: 'x', until: since }, since)).toEqual([
      `until ${local(since)}`,
    ]);
    // closing soon: no request until the window opens again
    expect(reasonTimes({ code: 'window-closing', message: 'x', until: since }, since)).toEqual([
      `until ${local(since)}`,
    ]);
    expect(formatLocalTime(since, since + 86_400_000)).toContain(String(new Date(since).getDate()));
  });
});
