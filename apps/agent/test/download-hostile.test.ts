// Downloads from a farm that misbehaves on purpose: a body that never ends, a slow drip, a disk
// that fills up.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { DownloadError, type DownloadFileOptions, downloadFile } from '../src/download/index.js';
import { startTestServer, type TestServer } from './download-server.js';
import { canMountTmpfs, mountTmpfs } from './support/tmpfs.js';

const MiB = 1024 * 1024;
const body = randomBytes(3 * MiB);
const md5 = createHash('md5').update(body).digest('hex');

let server: TestServer;
let dispatcher: Agent;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  dispatcher = new Agent();
});
afterAll(async () => {
  await dispatcher.close();
  await server.close();
});
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'flock-download-hostile-'));
  return () => rmSync(dir, { recursive: true, force: true });
});

function options(name: string, extra: Partial<DownloadFileOptions> = {}): DownloadFileOptions {
  return {
    url: server.url(name),
    destination: path.join(dir, `${md5}.zip`),
    md5,
    dispatcher,
    backoffMs: () => 0,
    ...extra,
  };
}

describe('a download that would fill the disk', () => {
  it('stops a body without Content-Length that never ends once it outgrows the free space', async () => {
    server.serve('endless', { body, faults: [{ type: 'endless' }] });
    const error = await downloadFile(
      options('endless', { freeBytes: async () => 4 * MiB, maxAttempts: 1 }),
    ).catch((e) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect(error).toMatchObject({ kind: 'no-space' });
    expect(error.message).toMatch(/free space/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('a slow drip', () => {
  it('is cut when it stays below 1 KiB/s for 60 s, and retried per the download rules', async () => {
    const drip = { type: 'drip' as const, bytes: 10, everyMs: 50 };
    server.serve('drip', { body, ranges: true, faults: [drip, drip, drip] });
    const clock = new ManualClock();
    let settled = false;
    // The failure is caught at once: it may come while the loop below waits for a timer.
    const pending = downloadFile(options('drip', { clock, maxAttempts: 2 }))
      .catch((e: Error) => e)
      .finally(() => {
        settled = true;
      });
    // A window passes only once the farm is dripping the request's answer (the back-off is 0).
    for (let windows = 0; !settled; await new Promise((resolve) => setTimeout(resolve, 20))) {
      if (server.requests('drip').length > windows) {
        windows++;
        await clock.advance(60_000);
      } else {
        await clock.advance(0);
      }
    }
    const error = await pending;
    expect(error).toBeInstanceOf(DownloadError);
    expect(error).toMatchObject({ kind: 'network', attempts: 2 });
    expect((error as Error).message).toMatch(/slower than 1024 bytes\/s for 60 s/);
    // each attempt resumed a little further, yet every cut counted: no endless resuming
    expect(server.requests('drip')).toHaveLength(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('does not touch a transfer that keeps above the floor', async () => {
    server.serve('steady', { body });
    const clock = new ManualClock();
    let received = 0;
    let settled = false;
    const pending = downloadFile(
      options('steady', {
        clock,
        rateFloor: { minBytesPerSecond: 1024, windowMs: 1000 },
        progressIntervalMs: 0,
        onProgress: (progress) => {
          received = progress.bytes;
        },
      }),
    ).finally(() => {
      settled = true;
    });
    // A window passes only after at least 1 KiB more arrived: the transfer is always above the floor.
    for (let seen = 0; !settled; await new Promise((resolve) => setTimeout(resolve, 1))) {
      if (received - seen < 1024) continue;
      seen = received;
      await clock.advance(1000);
    }
    expect(await pending).toMatchObject({ md5, bytes: body.length, requests: 1 });
  });
});

describe.runIf(canMountTmpfs())('a disk that really fills up (tmpfs)', () => {
  it('reports ENOSPC as no-space and leaves no partial file', async () => {
    const disk = mountTmpfs(2 * MiB);
    try {
      server.serve('full', { body });
      const destination = path.join(disk?.dir ?? '', `${md5}.zip`);
      // The probe is told there is room, so the kernel's ENOSPC is what stops the download.
      const error = await downloadFile(
        options('full', { destination, freeBytes: async () => 1024 * MiB }),
      ).catch((e) => e);
      expect(error).toMatchObject({ name: 'DownloadError', kind: 'no-space' });
      expect(readdirSync(disk?.dir ?? '')).toEqual([]);
    } finally {
      disk?.unmount();
    }
  });
});
