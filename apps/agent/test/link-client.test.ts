import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../src/clock';
import { LinkClient, OUTBOX_JOURNAL_FILE, Outbox } from '../src/link';
import { appendToJournal } from '../src/link/outbox-journal';
import { SimulatedAgent } from '../testing/index.js';
import { FakeConsole } from './link-fake-console';

const SECRET = 's'.repeat(43);
const frameDone = (frame: number) =>
  ({
    kind: 'frame-done',
    jobId: `job-${frame}`,
    project: 'Sheep',
    frame,
    renderTimeMs: 1000,
    credits: 5,
    thumbnail: null,
  }) as const;

let clock: ManualClock;
let fakeConsole: FakeConsole;
let agent: SimulatedAgent;
let client: LinkClient;

function startClient(overrides: Partial<ConstructorParameters<typeof LinkClient>[0]> = {}): LinkClient {
  client = new LinkClient({
    consoleUrl: fakeConsole.url,
    machineId: 'machine-1',
    secret: SECRET,
    agent,
    agentVersion: '0.1.0',
    clock,
    random: () => 0.5,
    ...overrides,
  });
  client.start();
  return client;
}

const connected = () => vi.waitFor(() => expect(client.status).toBe('connected'));

beforeEach(async () => {
  clock = new ManualClock();
  fakeConsole = new FakeConsole(() => clock.now());
  await fakeConsole.listening();
  agent = new SimulatedAgent({ hostname: 'render-01' }, clock.now());
});

afterEach(async () => {
  await client?.stop();
  await fakeConsole.close();
});

describe('link client: connecting', () => {
  it('authenticates, says hello, then sends the full snapshot', async () => {
    startClient();
    await connected();
    await vi.waitFor(() => expect(fakeConsole.ofType('snapshot')).toHaveLength(1));
    expect(fakeConsole.authorizations).toEqual([`Bearer machine-1.${SECRET}`]);
    expect(fakeConsole.received[0]).toMatchObject({
      type: 'hello',
      machineId: 'machine-1',
      machine: { hostname: 'render-01' },
    });
    expect(fakeConsole.ofType('snapshot')[0]?.state).toEqual(agent.state());
  });

  it('reports unauthorized when the console refuses its secret', async () => {
    fakeConsole.refuseWith = 401;
    startClient();
    await vi.waitFor(() => expect(client.status).toBe('unauthorized'));
  });
});

describe('link client: removed from the console', () => {
  const DAY = 24 * 3600_000;
  const CHECK_MS = 60_000;

  /** Credentials as `pair` stores them; counts how often the link looked. */
  function storedCredentials(initial: { machineId: string; secret: string } | null) {
    const store = {
      current: initial && { consoleUrl: fakeConsole.url, ...initial },
      reads: 0,
      source: async () => {
        store.reads++;
        return store.current;
      },
    };
    return store;
  }

  it('stops dialling after a 401, says so, and dials again only once a new pairing is stored', async () => {
    fakeConsole.refuseWith = 401;
    const stored = storedCredentials({ machineId: 'machine-1', secret: SECRET });
    const lines: string[] = [];
    startClient({
      log: (level, message) => lines.push(`${level} ${message}`),
      credentialsSource: stored.source,
      pairingCheckMs: CHECK_MS,
    });
    await vi.waitFor(() => expect(client.status).toBe('unauthorized'));
    expect(client.removedAt).toBe(clock.now());
    expect(lines.join('\n')).toMatch(
      /error .*removed from the console.*flock-agent pair http:\/\/127\.0\.0\.1:\d+ <code>/,
    );

    // A day goes by: the link looks for a new pairing every minute but never dials the old one again.
    await clock.advance(DAY);
    expect(stored.reads).toBe(DAY / CHECK_MS);
    expect(fakeConsole.attempts).toBe(1);
    expect(client.status).toBe('unauthorized');

    // `flock-agent pair` stores a new machine id and secret: the link dials with them.
    fakeConsole.refuseWith = undefined;
    stored.current = { consoleUrl: fakeConsole.url, machineId: 'machine-2', secret: 't'.repeat(43) };
    await clock.advance(CHECK_MS);
    await connected();
    expect(fakeConsole.authorizations).toEqual([`Bearer machine-2.${'t'.repeat(43)}`]);
    expect(client.removedAt).toBeNull();
  });

  it('stops dialling when the console closes the link with 4403 (machine removed)', async () => {
    const stored = storedCredentials({ machineId: 'machine-1', secret: SECRET });
    startClient({ credentialsSource: stored.source, pairingCheckMs: CHECK_MS });
    await connected();
    fakeConsole.closeWith(4403, 'machine removed');
    await vi.waitFor(() => expect(client.status).toBe('unauthorized'));
    await clock.advance(DAY);
    expect(stored.reads).toBe(DAY / CHECK_MS);
    expect(fakeConsole.attempts).toBe(1);
  });

  it('treats damaged or missing credentials as "not paired again yet"', async () => {
    fakeConsole.refuseWith = 401;
    let reads = 0;
    startClient({
      credentialsSource: async () => {
        reads++;
        if (reads % 2) throw new Error('console-link.json is damaged');
        return null;
      },
      pairingCheckMs: CHECK_MS,
    });
    await vi.waitFor(() => expect(client.status).toBe('unauthorized'));
    await clock.advance(10 * CHECK_MS);
    expect([reads, fakeConsole.attempts, client.status]).toEqual([10, 1, 'unauthorized']);
    await client.stop();
    expect(client.status).toBe('stopped');
  });
});

describe('link client: changes', () => {
  it('coalesces a burst of changes into one patch holding only what changed', async () => {
    startClient({ minPatchIntervalMs: 250 });
    await connected();
    for (let i = 1; i <= 20; i++) agent.update({ uploads: { queued: i, inFlight: 1 } });
    await vi.waitFor(() => expect(fakeConsole.ofType('patch')).toHaveLength(1));
    expect(fakeConsole.ofType('patch')[0]?.changes).toEqual({ uploads: { queued: 20, inFlight: 1 } });
  });

  it('sends no more than one patch per interval, the latest state winning', async () => {
    startClient({ minPatchIntervalMs: 250 });
    await connected();
    agent.update({ status: 'requesting' });
    await vi.waitFor(() => expect(fakeConsole.ofType('patch')).toHaveLength(1));
    agent.update({ status: 'downloading' });
    agent.update({ status: 'rendering' });
    await new Promise((r) => setTimeout(r, 20));
    expect(fakeConsole.ofType('patch')).toHaveLength(1);
    await clock.advance(250);
    await vi.waitFor(() => expect(fakeConsole.ofType('patch')).toHaveLength(2));
    expect(fakeConsole.ofType('patch')[1]?.changes).toEqual({ status: 'rendering' });
  });
});

describe('link client: commands', () => {
  const command = (id: string, issuedAt: number) =>
    ({ type: 'command', id, issuedAt, command: { type: 'pause', when: 'after-frame' } }) as const;

  it('applies a command once and answers a duplicate with the same result', async () => {
    startClient();
    await connected();
    fakeConsole.send(command('c1', clock.now()));
    await vi.waitFor(() => expect(fakeConsole.ofType('ack')).toHaveLength(1));
    fakeConsole.send(command('c1', clock.now()));
    await vi.waitFor(() => expect(fakeConsole.ofType('ack')).toHaveLength(2));
    expect(agent.executed).toEqual([{ type: 'pause', when: 'after-frame' }]);
    expect(fakeConsole.ofType('ack').map((a) => a.result)).toEqual([{ ok: true }, { ok: true }]);
  });

  it('rejects a stale command by the console clock, not its own', async () => {
    // The agent's clock runs 5 minutes ahead of the console: only the console's timeline counts.
    await fakeConsole.close();
    fakeConsole = new FakeConsole(() => clock.now() - 5 * 60_000);
    await fakeConsole.listening();
    startClient();
    await connected();
    fakeConsole.send(command('fresh', clock.now() - 5 * 60_000));
    fakeConsole.send(command('old', clock.now() - 5 * 60_000 - 61_000));
    await vi.waitFor(() => expect(fakeConsole.ofType('ack')).toHaveLength(2));
    const byId = Object.fromEntries(fakeConsole.ofType('ack').map((a) => [a.commandId, a.result]));
    expect(byId.fresh).toEqual({ ok: true });
    expect(byId.old).toMatchObject({ ok: false, reason: 'stale' });
    expect(agent.executed).toHaveLength(1);
  });

  it('rejects a malformed command with the schema reason and keeps going', async () => {
    startClient();
    await connected();
    fakeConsole.send(
      JSON.stringify({
        type: 'command',
        id: 'bad',
        issuedAt: clock.now(),
        command: { type: 'set-limits', limits: { cores: 0 } },
      }),
    );
    fakeConsole.send('not json at all');
    fakeConsole.send(command('good', clock.now()));
    await vi.waitFor(() => expect(fakeConsole.ofType('ack')).toHaveLength(2));
    const [bad, good] = fakeConsole.ofType('ack');
    expect(bad).toMatchObject({
      commandId: 'bad',
      result: { ok: false, reason: 'malformed', message: expect.stringMatching(/cores/) },
    });
    expect(good).toMatchObject({ commandId: 'good', result: { ok: true } });
    expect(agent.executed).toHaveLength(1);
  });

  it('answers a command it does not know (from a newer console) as unsupported, naming it', async () => {
    startClient();
    await connected();
    fakeConsole.send(
      JSON.stringify({ type: 'command', id: 'new', issuedAt: clock.now(), command: { type: 'defragment' } }),
    );
    await vi.waitFor(() => expect(fakeConsole.ofType('ack')).toHaveLength(1));
    expect(fakeConsole.ofType('ack')[0]).toEqual({
      type: 'ack',
      commandId: 'new',
      result: {
        ok: false,
        reason: 'unsupported',
        message: 'this agent does not know the command "defragment": update it',
      },
    });
    expect(agent.executed).toHaveLength(0);
  });

  it('turns a throwing command into a failed ack', async () => {
    agent.execute = async () => {
      throw new Error('GPU not found');
    };
    startClient();
    await connected();
    fakeConsole.send(command('c1', clock.now()));
    await vi.waitFor(() =>
      expect(fakeConsole.ofType('ack')[0]?.result).toEqual({
        ok: false,
        reason: 'failed',
        message: 'GPU not found',
      }),
    );
  });

  it('answers log requests from the agent', async () => {
    startClient();
    await connected();
    agent.addLog({ at: 1, level: 'info', message: 'frame 1 done' });
    agent.addLog({ at: 2, level: 'error', message: 'blender crashed' });
    fakeConsole.send({ type: 'request-logs', requestId: 'r1', limit: 10, search: 'crash' });
    await vi.waitFor(() => expect(fakeConsole.ofType('logs')).toHaveLength(1));
    expect(fakeConsole.ofType('logs')[0]?.lines.map((l) => l.message)).toEqual(['blender crashed']);
  });
});

describe('link client: reconnect and replay', () => {
  it('reconnects after back-off and replays the events the console did not acknowledge', async () => {
    startClient();
    await connected();
    agent.emit(frameDone(1));
    await vi.waitFor(() => expect(fakeConsole.ofType('event')).toHaveLength(1));
    fakeConsole.send({ type: 'events-ack', bootId: fakeConsole.ofType('hello')[0]?.bootId ?? '', seq: 0 });
    await vi.waitFor(() => expect(client.pendingEvents).toBe(0));

    fakeConsole.dropConnection();
    await vi.waitFor(() => expect(client.status).toBe('disconnected'));
    agent.emit(frameDone(2));
    agent.emit(frameDone(3));
    agent.update({ status: 'rendering' });
    expect(fakeConsole.connections).toBe(1);

    await clock.advance(60_000);
    await connected();
    await vi.waitFor(() => expect(fakeConsole.ofType('event')).toHaveLength(3));
    expect(fakeConsole.connections).toBe(2);
    expect(
      fakeConsole.ofType('event').map((e) => [e.seq, e.event.kind === 'frame-done' && e.event.frame]),
    ).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    // The fresh connection starts from a full snapshot that already holds the change made offline.
    expect(fakeConsole.ofType('snapshot')[1]?.state.status).toBe('rendering');
  });

  it("sends the events kept by an earlier run with their boot, and forgets them on that boot's ack", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flock-outbox-'));
    const journal = join(dir, OUTBOX_JOURNAL_FILE);
    // What the earlier run left: one event of its boot, never acknowledged.
    await appendToJournal(journal, [{ bootId: 'earlier-boot', seq: 4, at: 1, event: frameDone(1) }]);
    const outbox = await Outbox.open({ bootId: 'this-boot', capacity: 10, journal });
    startClient({ outbox });
    await connected();
    agent.emit(frameDone(2));
    await vi.waitFor(() => expect(fakeConsole.ofType('event')).toHaveLength(2));
    expect(fakeConsole.ofType('hello')[0]?.bootId).toBe('this-boot');
    expect(fakeConsole.ofType('event').map(({ bootId, seq }) => ({ bootId, seq }))).toEqual([
      { bootId: 'earlier-boot', seq: 4 },
      { bootId: undefined, seq: 0 },
    ]);
    fakeConsole.send({ type: 'events-ack', bootId: 'earlier-boot', seq: 4 });
    await vi.waitFor(() => expect(client.pendingEvents).toBe(1));
    fakeConsole.send({ type: 'events-ack', bootId: 'this-boot', seq: 0 });
    await vi.waitFor(() => expect(client.pendingEvents).toBe(0));
    await client.stop();
    await expect(stat(journal)).rejects.toThrow(/ENOENT/);
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a bounded event buffer while the console is away', async () => {
    startClient({ maxBufferedEvents: 5, consoleUrl: 'http://127.0.0.1:9' });
    for (let frame = 0; frame < 12; frame++) agent.emit(frameDone(frame));
    expect(client.pendingEvents).toBe(5);
    expect(client.droppedEvents).toBe(7);
  });

  it('gives up on a console that stays silent for three heartbeats', async () => {
    fakeConsole.welcome.heartbeatMs = 1000;
    startClient();
    await connected();
    // The fake console never answers heartbeats.
    await clock.advance(1000);
    await clock.advance(1000);
    await clock.advance(1000);
    await clock.advance(1000);
    await vi.waitFor(() => expect(client.status).not.toBe('connected'));
    expect(fakeConsole.ofType('heartbeat').length).toBeGreaterThanOrEqual(3);
  });
});
