import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFarmDb } from '../src/db/client';
import { frames, jobs } from '../src/db/schema';
import { CREDITS_PER_FRAME } from '../src/index';
import { TestClient } from './helpers/client';
import { png } from './helpers/farm';
import { freePort, killHard, runCli, spawnFarm } from './helpers/process';

let dataDir: string;
let running: ChildProcess | undefined;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'flock-farm-restart-'));
});
afterEach(async () => {
  if (running) await killHard(running);
  await rm(dataDir, { recursive: true, force: true });
});

async function start(port: number) {
  const farm = await spawnFarm([
    '--port',
    String(port),
    '--data',
    dataDir,
    '--renderer',
    'synthetic',
    '--no-demo',
  ]);
  running = farm.child;
  return farm;
}

describe('restart', () => {
  it('a farm killed with -9 mid-project comes back with no frame lost or duplicated', {
    timeout: 60_000,
  }, async () => {
    const added = await runCli([
      'add-project',
      '--synthetic',
      '--frames',
      '1-5',
      '--resolution',
      '16x12',
      '--data',
      dataDir,
    ]);
    expect(added.code).toBe(0);
    const port = await freePort();
    const first = await start(port);
    const client = new TestClient(first.url);
    await client.login();
    const [a, b, c] = [await client.job(), await client.job(), await client.job()];
    if (!a || !b || !c) throw new Error('expected three jobs');
    expect(await client.validate(a, png(16, 12))).toBe(0);
    await killHard(first.child);

    const second = await start(port);
    expect(second.url).toBe(first.url);
    // The same session (cookie) goes on: a repeated upload is not credited again, the others are.
    expect(await client.validate(a, png(16, 12))).toBe(0);
    expect(await client.validate(b, png(16, 12))).toBe(0);
    expect(await client.validate(c, png(16, 12))).toBe(0);
    const rest = [await client.job(), await client.job()];
    expect((await client.requestJob()).status).toBe(200);
    for (const job of rest) expect(await client.validate(job, png(16, 12))).toBe(0);
    await killHard(second.child);

    const db = openFarmDb(join(dataDir, 'farm.sqlite'));
    try {
      const rows = db.select().from(frames).all();
      expect(rows.map((row) => [row.number, row.state])).toEqual([1, 2, 3, 4, 5].map((n) => [n, 'done']));
      const validated = db
        .select()
        .from(jobs)
        .all()
        .filter((job) => job.state === 'validated');
      expect(validated.map((job) => job.frame).sort()).toEqual([1, 2, 3, 4, 5]);
      const account = db.query.accounts.findFirst().sync();
      expect(account?.credits).toBe(5 * CREDITS_PER_FRAME);
    } finally {
      db.$client.close();
    }
  });
});
