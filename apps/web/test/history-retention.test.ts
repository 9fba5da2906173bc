// A small fleet's 100 days written through the console's own ingest path (ConsoleRepo.insertEvent),
// swept as the console does, day after day: raw rows stay 30 days, a machine's hours 90, nothing is lost
// from the days, and the database stays within the per-machine-day budget of the 500 MB goal.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/server/db/client';
import { ConsoleRepo } from '../src/server/db/repo';
import { DAY_MS, HOUR_MS } from '../src/server/history/buckets';
import { HistoryRepo } from '../src/server/history/repo';
import { HistoryService } from '../src/server/history/service';
import { Sweeper } from '../src/server/sweeper';
import { tempDir } from './support/console';

const DAY0 = Date.UTC(2026, 0, 1);
const MACHINES = 2;
const DAYS = 100;
const FRAMES_PER_DAY = 3;
/** 500 MB for 1,000 machines × 90 days. */
const BYTES_PER_MACHINE_DAY = (500 * 2 ** 20) / (1000 * 90);

describe('history retention over 100 days', () => {
  it('keeps raw rows 30 days and machine hours 90, every frame in the days, within the size budget', async () => {
    const file = join(tempDir('flock-history-'), 'console.sqlite');
    const database = openDatabase(file);
    const clock = { now: DAY0 };
    const history = new HistoryService(new HistoryRepo(database.db), () => clock.now);
    const repo = new ConsoleRepo(database.db, history.repo);
    const sweeper = new Sweeper(repo, () => clock.now, { history });
    const ids = Array.from({ length: MACHINES }, (_, i) => `m${i}`);
    for (const id of ids) await repo.createMachine(id, `render-${id}`, 'h', DAY0);

    let seq = 0;
    for (let day = 0; day < DAYS; day++) {
      for (const id of ids) {
        history.connected(id);
        for (let n = 0; n < FRAMES_PER_DAY; n++) {
          const at = DAY0 + day * DAY_MS + n * 3 * HOUR_MS;
          const jobId = `${day}-${n}`;
          await repo.insertEvent(id, 'boot', ++seq, at, {
            kind: 'frame-done',
            jobId,
            project: `Project ${n % 4}`,
            frame: n,
            renderTimeMs: 600_000,
            credits: null,
            thumbnail: null,
          });
          await repo.insertEvent(id, 'boot', ++seq, at + 1, {
            kind: 'frame-credits',
            frames: [{ jobId, credits: 10 }],
          });
        }
        await repo.insertEvent(id, 'boot', ++seq, DAY0 + day * DAY_MS + HOUR_MS, {
          kind: 'error',
          jobId: null,
          code: 'RENDERER_CRASHED',
          message: 'Blender crashed',
          logExcerpt: 'Segmentation fault\n'.repeat(50),
        });
      }
      clock.now = DAY0 + (day + 1) * DAY_MS;
      for (const id of ids) history.disconnected(id);
      await sweeper.sweep();
    }

    const now = clock.now;
    const count = (query: ReturnType<typeof sql>) => database.db.get<{ n: number }>(query)?.n ?? 0;
    expect(count(sql`select count(*) as n from frames`)).toBe(MACHINES * 30 * FRAMES_PER_DAY);
    expect(count(sql`select min(finished_at) as n from frames`)).toBeGreaterThanOrEqual(now - 30 * DAY_MS);
    expect(count(sql`select min(at) as n from events`)).toBeGreaterThanOrEqual(now - 30 * DAY_MS);
    expect(count(sql`select min(bucket) as n from history_hourly where machine > 0`)).toBeGreaterThanOrEqual(
      now - 90 * DAY_MS,
    );
    expect(count(sql`select min(bucket) as n from history_hourly where machine = 0`)).toBe(DAY0);

    // Nothing lost: the fleet's year has every frame, credit, error and connected hour of the 100 days.
    const year = await history.series({ range: '1y', tzOffsetMinutes: 0 });
    const sum = (key: 'frames' | 'credits' | 'errors' | 'onlineMs') =>
      year.buckets.reduce((total, bucket) => total + bucket[key], 0);
    expect(sum('frames')).toBe(MACHINES * DAYS * FRAMES_PER_DAY);
    expect(sum('credits')).toBe(MACHINES * DAYS * FRAMES_PER_DAY * 10);
    expect(sum('errors')).toBe(MACHINES * DAYS);
    expect(sum('onlineMs')).toBe(MACHINES * DAYS * DAY_MS);
    // A machine's year: its hours for 90 days, its days before.
    const machine = await history.series({ range: '1y', machineId: 'm1', tzOffsetMinutes: 60 });
    expect(machine.buckets.reduce((total, bucket) => total + bucket.frames, 0)).toBe(DAYS * FRAMES_PER_DAY);

    database.db.run(sql`pragma wal_checkpoint(TRUNCATE)`);
    const bytes = statSync(file).size;
    expect(bytes / (MACHINES * DAYS)).toBeLessThan(BYTES_PER_MACHINE_DAY);
    database.close();
  }, 120_000);
});
