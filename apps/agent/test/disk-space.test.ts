// The cache's disk in the state (what the console's "disk nearly full" alert watches): sampled on the
// injected clock from a fake file system, then once from the real one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { type DiskSpace, diskSpaceIn } from '../src/disk.js';
import { DISK_SPACE_PERIOD_MS, DiskSpaceMonitor } from '../src/hardware/index.js';
import { testStore } from './support/store.js';

const GiB = 2 ** 30;
const tick = () => new Promise((resolve) => setImmediate(resolve));
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function monitorOnFakeDisk(start: DiskSpace | Error) {
  const clock = new ManualClock();
  const store = testStore(clock);
  let disk: DiskSpace | Error = start;
  const warnings: string[] = [];
  const monitor = new DiskSpaceMonitor({
    store,
    clock,
    dir: '/cache',
    read: async (dir) => {
      expect(dir).toBe('/cache');
      if (disk instanceof Error) throw disk;
      return disk;
    },
    warn: (message) => warnings.push(message),
  });
  monitor.start();
  stops.push(() => monitor.stop());
  return { clock, store, warnings, setDisk: (next: DiskSpace | Error) => (disk = next) };
}

describe('disk space monitor', () => {
  it('publishes the disk at start, then a move of 1% of the disk or more once a minute', async () => {
    const { clock, store, setDisk } = monitorOnFakeDisk({ freeBytes: 100 * GiB, totalBytes: 500 * GiB });
    expect(store.state.disk ?? null).toBeNull();
    await tick();
    expect(store.state.disk).toEqual({ freeBytes: 100 * GiB, totalBytes: 500 * GiB });

    setDisk({ freeBytes: 99 * GiB, totalBytes: 500 * GiB }); // 0.2% of the disk: not worth a patch
    await clock.advance(DISK_SPACE_PERIOD_MS);
    await tick();
    expect(store.state.disk?.freeBytes).toBe(100 * GiB);

    setDisk({ freeBytes: 90 * GiB, totalBytes: 500 * GiB });
    await clock.advance(DISK_SPACE_PERIOD_MS - 1);
    await tick();
    expect(store.state.disk?.freeBytes).toBe(100 * GiB);
    await clock.advance(1);
    await tick();
    expect(store.state.disk?.freeBytes).toBe(90 * GiB);
  });

  it('a small disk running out is published even when the move is small', async () => {
    const { clock, store, setDisk } = monitorOnFakeDisk({ freeBytes: 3 * GiB, totalBytes: 20 * GiB });
    await tick();
    setDisk({ freeBytes: 2.9 * GiB, totalBytes: 20 * GiB }); // 0.5% of the disk, but 100 MiB of 3 GiB
    await clock.advance(DISK_SPACE_PERIOD_MS);
    await tick();
    expect(store.state.disk?.freeBytes).toBe(2.9 * GiB);
  });

  it('a disk it cannot read leaves the figure alone and warns once, not every minute', async () => {
    const { clock, store, warnings, setDisk } = monitorOnFakeDisk(new Error('EACCES: permission denied'));
    await tick();
    await clock.advance(DISK_SPACE_PERIOD_MS);
    await tick();
    expect(store.state.disk ?? null).toBeNull();
    expect(warnings).toEqual([expect.stringContaining('EACCES')]);
    setDisk({ freeBytes: GiB, totalBytes: 2 * GiB });
    await clock.advance(DISK_SPACE_PERIOD_MS);
    await tick();
    expect(store.state.disk).toEqual({ freeBytes: GiB, totalBytes: 2 * GiB });
  });

  it('reads the real file system of a folder', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'flock-disk-'));
    try {
      const disk = await diskSpaceIn(dir);
      expect(disk.totalBytes).toBeGreaterThan(0);
      expect(disk.freeBytes).toBeGreaterThan(0);
      expect(disk.freeBytes).toBeLessThanOrEqual(disk.totalBytes);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
