// A paired agent cannot fill the console's disk with thumbnails: each is capped in size, each machine
// gets a few per minute (beyond that the frame is recorded without one), and only the latest few per
// machine are kept.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AgentToConsole,
  type ConsoleToAgent,
  encodeMessage,
  LINK_PROTOCOL_VERSION,
  linkAuthorization,
} from '@flock/protocol';
import Database from 'better-sqlite3';
import { loadLinkCredentials, pair } from 'flock-agent';
import { SimulatedAgent } from 'flock-agent/testing';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openDatabase } from '../src/server/db/client';
import { ConsoleRepo, THUMBNAILS_KEPT_PER_MACHINE } from '../src/server/db/repo';
import { frames as framesTable, frameThumbnails } from '../src/server/db/schema';
import { HistoryRepo } from '../src/server/history/repo';
import type { RunningConsole } from '../src/server/start';
import { Sweeper } from '../src/server/sweeper';
import { call, dataOf, login, startTestConsole, tempDir } from './support/console';

const MiB = 1024 * 1024;
let running: RunningConsole | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await running?.stop();
  running = undefined;
});

/**
 * The largest thumbnail a hostile agent can send: a PNG header saying 160×160 followed by random
 * bytes up to ~100 KiB (a real 160×160 PNG of noise is about that size).
 */
function largestThumbnail(): { mime: 'image/png'; base64: string } {
  const header = Buffer.from('89504e470d0a1a0a0000000d49484452000000a0000000a00806000000', 'hex');
  return { mime: 'image/png', base64: Buffer.concat([header, randomBytes(100 * 1024)]).toString('base64') };
}

/** A machine paired for real, talking over a raw WebSocket: it sends whatever the test wants. */
async function hostileAgent(r: RunningConsole) {
  const cookie = await login(r);
  const { code } = dataOf<{ code: string }>(
    (await call(r, 'mutation', 'machines.addCode', { consoleUrl: r.url }, { cookie })).body,
  );
  const configDir = tempDir('flock-agent-');
  await pair(r.url, code, { configDir, hostname: 'greedy' });
  const credentials = await loadLinkCredentials(configDir);
  if (!credentials) throw new Error('pairing wrote no credentials');
  const { machineId, secret } = credentials;
  const socket = new WebSocket(`${r.url.replace('http', 'ws')}/link`, {
    headers: { authorization: linkAuthorization(machineId, secret) },
  });
  sockets.push(socket);
  const received: ConsoleToAgent[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data) => {
    received.push(JSON.parse(data.toString()) as ConsoleToAgent);
    for (const wake of waiters.splice(0)) wake();
  });
  const until = async (test: () => boolean) => {
    while (!test()) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  await new Promise((resolve) => socket.once('open', resolve));
  const send = (message: AgentToConsole) => socket.send(encodeMessage(message));
  send({
    type: 'hello',
    protocol: LINK_PROTOCOL_VERSION,
    machineId,
    agentVersion: 'greedy',
    bootId: 'boot-1',
    machine: new SimulatedAgent({ hostname: 'greedy' }).state().machine,
  });
  await until(() => received.some((m) => m.type === 'welcome'));
  const ackedUpTo = () => Math.max(-1, ...received.flatMap((m) => (m.type === 'events-ack' ? [m.seq] : [])));
  const sendFrame = (seq: number, thumbnail: unknown) =>
    socket.send(
      JSON.stringify({
        type: 'event',
        seq,
        at: Date.now(),
        event: {
          kind: 'frame-done',
          jobId: `job-${seq}`,
          project: 'Greedy',
          frame: seq,
          renderTimeMs: 1000,
          credits: null,
          thumbnail,
        },
      }),
    );
  /** Sends frame-done events seq `from`..`to - 1` and waits until the console acknowledged them. */
  const sendFrames = async (from: number, to: number, thumbnail = largestThumbnail) => {
    for (let seq = from; seq < to; seq++) sendFrame(seq, thumbnail());
    await until(() => ackedUpTo() >= to - 1);
  };
  return { machineId, cookie, sendFrame, sendFrames, ackedUpTo };
}

const fileBytes = (dataDir: string, name: string) => {
  try {
    return statSync(join(dataDir, name)).size;
  } catch {
    return 0;
  }
};

describe('thumbnails from a paired agent', () => {
  it('records 300 frames but stores only a bounded number of thumbnails, and the disk barely grows', async () => {
    const dataDir = tempDir('flock-console-');
    let now = Date.now();
    running = await startTestConsole({ dataDir, now: () => now });
    const agent = await hostileAgent(running);
    const before = fileBytes(dataDir, 'console.sqlite');

    await agent.sendFrames(0, 300);

    const frames = await running.core.repo.recentFrames(agent.machineId, 1000);
    expect(frames).toHaveLength(300);
    const withThumbnail = frames.filter((frame) => frame.thumbnail !== null);
    expect(withThumbnail.length).toBeGreaterThan(0);
    expect(withThumbnail.length).toBeLessThanOrEqual(THUMBNAILS_KEPT_PER_MACHINE);
    // 300 × 137 KB of thumbnails came in; the database file keeps a few of them. The write-ahead
    // log is reused after each checkpoint (every 1000 pages, 4 MB), so it stays near that size.
    expect(fileBytes(dataDir, 'console.sqlite') - before).toBeLessThan(4 * MiB);
    expect(fileBytes(dataDir, 'console.sqlite-wal')).toBeLessThan(8 * MiB);

    // A minute later the machine gets thumbnails again; the newest frame keeps its own.
    now += 60_000;
    await agent.sendFrames(300, 301);
    const [latest] = await running.core.repo.recentFrames(agent.machineId, 1);
    expect(latest?.frame).toBe(300);
    expect(latest?.thumbnail).toMatch(/^data:image\/png;base64,/);
    const kept = (await running.core.repo.recentFrames(agent.machineId, 1000)).filter((f) => f.thumbnail);
    expect(kept.length).toBeLessThanOrEqual(THUMBNAILS_KEPT_PER_MACHINE);
  });
});

describe('thumbnail bounds at the link and in the store', () => {
  it('refuses a thumbnail over 160 px or over the byte cap as a malformed message; good frames go on', async () => {
    running = await startTestConsole();
    const agent = await hostileAgent(running);
    const header = (width: number, height: number) => {
      const bytes = Buffer.from('89504e470d0a1a0a0000000d4948445200000000000000000806000000', 'hex');
      bytes.writeUInt32BE(width, 16);
      bytes.writeUInt32BE(height, 20);
      return bytes;
    };
    agent.sendFrame(0, { mime: 'image/png', base64: header(4000, 100).toString('base64') });
    agent.sendFrame(1, {
      mime: 'image/png',
      base64: Buffer.concat([header(160, 160), Buffer.alloc(200 * 1024)]).toString('base64'),
    });
    agent.sendFrame(2, { mime: 'image/jpeg', base64: header(16, 16).toString('base64') });
    await agent.sendFrames(3, 4, () => ({ mime: 'image/png', base64: header(160, 90).toString('base64') }));
    const stored = await running.core.repo.recentFrames(agent.machineId, 10);
    expect(stored.map((frame) => frame.frame)).toEqual([3]);
  });

  it('stores the thumbnail once, with its frame, and no copy of it in events', async () => {
    const dataDir = tempDir('flock-console-');
    running = await startTestConsole({ dataDir });
    const agent = await hostileAgent(running);
    await agent.sendFrames(0, 1);
    const [frame] = await running.core.repo.recentFrames(agent.machineId, 1);
    expect(frame?.thumbnail).toMatch(/^data:image\/png;base64,/);
    const { body } = await call(
      running,
      'query',
      'machines.history',
      { id: agent.machineId },
      {
        cookie: agent.cookie,
      },
    );
    expect(dataOf<{ frames: { thumbnail: string | null }[] }>(body).frames[0]?.thumbnail).toBe(
      frame?.thumbnail,
    );
    const sqlite = new Database(join(dataDir, 'console.sqlite'), { readonly: true });
    const rows = sqlite.prepare('SELECT kind, payload FROM events').all() as {
      kind: string;
      payload: string;
    }[];
    sqlite.close();
    // The frame's event has no row of its own: its data, thumbnail included, is the frame's row.
    expect(rows).toEqual([]);
  });

  it('trims the thumbnails a database kept from before the limit at the first sweep', async () => {
    const database = openDatabase(join(tempDir('flock-sweep-'), 'console.sqlite'));
    const repo = new ConsoleRepo(database.db);
    for (const id of ['m1', 'm2']) {
      await repo.createMachine(id, id, 'hash', 0);
      for (let frame = 0; frame < 25; frame++) {
        const [row] = await database.db
          .insert(framesTable)
          .values({
            machine: await new HistoryRepo(database.db).machineKey(id),
            jobId: `j${frame}`,
            project: await new HistoryRepo(database.db).projectKey('Old'),
            frame,
            renderTimeMs: 1,
            finishedAt: frame,
          })
          .returning({ id: framesTable.id });
        if (!row) throw new Error('frame not stored');
        const thumbnail = `data:image/png;base64,${frame}`;
        await database.db.insert(frameThumbnails).values({ frameId: row.id, machineId: id, thumbnail });
      }
    }
    const sweeper = new Sweeper(repo, () => 1000);
    expect(await sweeper.sweep()).toEqual({ sessions: 0, pairingCodes: 0, thumbnails: 44, auditEntries: 0 });
    for (const id of ['m1', 'm2']) {
      const rows = await repo.recentFrames(id, 100);
      expect(rows).toHaveLength(25);
      expect(rows.filter((row) => row.thumbnail).map((row) => row.frame)).toEqual([24, 23, 22]);
    }
    expect(await sweeper.sweep()).toEqual({ sessions: 0, pairingCodes: 0, thumbnails: 0, auditEntries: 0 });
    database.close();
  });
});
