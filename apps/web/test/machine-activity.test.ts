// Per-machine frames, credits and errors for the fleet table, from a real database file.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { machineActivity, startOfLocalDay } from '../src/server/db/activity-repo';
import { openDatabase } from '../src/server/db/client';
import { events, frames, machines } from '../src/server/db/schema';
import { HistoryRepo } from '../src/server/history/repo';
import { tempDir } from './support/console';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

const HOUR = 3_600_000;
const NOW = new Date(2026, 11, 7, 15, 0, 0).getTime();
const TODAY = startOfLocalDay(NOW);

describe('machine activity', () => {
  it('counts each machine’s frames and credits today and over 7 days, its last frame and today’s errors', async () => {
    const { db, close } = openDatabase(join(tempDir('flock-activity-'), 'console.sqlite'));
    closers.push(close);
    for (const id of ['a', 'b', 'quiet']) db.insert(machines).values({ id, name: id, createdAt: 0 }).run();
    const history = new HistoryRepo(db);
    const keys = { a: await history.machineKey('a'), b: await history.machineKey('b') };
    const project = await history.projectKey('p');
    const frame = (machineId: 'a' | 'b', finishedAt: number, credits: number | null) => ({
      machine: keys[machineId],
      jobId: 'j',
      project,
      frame: 1,
      renderTimeMs: 1000,
      credits,
      finishedAt,
    });
    db.insert(frames)
      .values([
        frame('a', NOW - HOUR, 10),
        frame('a', TODAY + 1, null), // not yet credited
        frame('a', TODAY - HOUR, 5), // yesterday: in the 7 days only
        frame('a', NOW - 8 * 24 * HOUR, 100), // older than 7 days: only its time may be the last frame
        frame('b', NOW - 10 * 24 * HOUR, 7),
      ])
      .run();
    const error = (machineId: string, at: number, seq: number) => ({
      machineId,
      bootId: 'boot',
      seq,
      kind: 'error',
      at,
      payload: { kind: 'error', at, seq, message: 'x' } as never,
    });
    db.insert(events)
      .values([error('b', NOW - HOUR, 1), error('b', NOW - 2 * HOUR, 2), error('b', TODAY - HOUR, 3)])
      .run();

    const byId = new Map(
      (await machineActivity(db, { now: NOW, todayStart: TODAY })).map((row) => [row.machineId, row]),
    );
    expect(byId.get('a')).toEqual({
      machineId: 'a',
      frames7d: 3,
      credits7d: 15,
      lastFrameAt: NOW - HOUR,
      errorsToday: 0,
    });
    expect(byId.get('b')).toEqual({
      machineId: 'b',
      frames7d: 0,
      credits7d: 0,
      lastFrameAt: NOW - 10 * 24 * HOUR,
      errorsToday: 2,
    });
    expect(byId.has('quiet')).toBe(false);
  });
});
