import { createHash, randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { ArchiveCache, type ArchiveCacheOptions, MEMO_FILE_NAME, md5File } from '../src/download/index.js';
import { startTestServer, type TestServer } from './download-server.js';

function archive(size: number) {
  const body = randomBytes(size);
  return { body, md5: createHash('md5').update(body).digest('hex') };
}

let server: TestServer;
let dispatcher: Agent;
let root: string;

beforeAll(async () => {
  server = await startTestServer();
  dispatcher = new Agent();
});
afterAll(async () => {
  await dispatcher.close();
  await server.close();
});
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'flock-cache-'));
  return () => rmSync(root, { recursive: true, force: true });
});

/** A hasher that counts how often a whole archive is read. */
function countingHasher() {
  const counter = {
    calls: 0,
    hashFile: (file: string) => {
      counter.calls++;
      return md5File(file);
    },
  };
  return counter;
}

function openCache(dir: string, extra: Partial<ArchiveCacheOptions> = {}) {
  return ArchiveCache.open({ dir, dispatcher, download: { backoffMs: () => 0 }, ...extra });
}

describe('ArchiveCache', () => {
  it('lists downloaded archives without ever re-reading them, across restarts', async () => {
    const a = archive(200_000);
    const b = archive(300_000);
    server.serve(`${a.md5}`, { body: a.body });
    server.serve(`${b.md5}`, { body: b.body });
    const hasher = countingHasher();
    const dir = path.join(root, 'cache');
    const cache = await openCache(dir, { hashFile: hasher.hashFile });
    await cache.ensure({ md5: a.md5, url: server.url(a.md5) });
    await cache.ensure({ md5: b.md5, url: server.url(b.md5) });
    for (let i = 0; i < 5; i++) expect(cache.cachedMd5s().sort()).toEqual([a.md5, b.md5].sort());
    // a second ensure is a cache hit: no request, no hash
    await cache.ensure({ md5: a.md5, url: server.url(a.md5) });
    expect(server.requests(a.md5)).toHaveLength(1);

    const restarted = await openCache(dir, { hashFile: hasher.hashFile });
    expect(restarted.cachedMd5s().sort()).toEqual([a.md5, b.md5].sort());
    expect(await restarted.cleanup()).toEqual({ removed: [], hashed: 0 });
    expect(hasher.calls).toBe(0);
  });

  it('start-up cleanup removes directories, stray files and archives whose MD5 is not their name, keeping preserved names', async () => {
    const good = archive(50_000);
    const dir = path.join(root, 'cache');
    mkdirSync(path.join(dir, 'leftover-job', 'deep'), { recursive: true });
    writeFileSync(path.join(dir, `${good.md5}.zip`), good.body);
    writeFileSync(path.join(dir, `${'0'.repeat(32)}.zip`), 'not what the name says');
    writeFileSync(path.join(dir, 'frame_0001.png'), 'x');
    writeFileSync(path.join(dir, `${good.md5}.zip.partial`), 'half');
    writeFileSync(path.join(dir, 'upload-queue.json'), '[]');
    const hasher = countingHasher();
    const cache = await openCache(dir, { hashFile: hasher.hashFile, preserve: ['upload-queue.json'] });
    expect(cache.cachedMd5s()).toEqual([]); // unknown files are not vouched for before cleanup
    const report = await cache.cleanup();
    expect(report.hashed).toBe(2);
    expect(report.removed.sort()).toEqual(
      [`${'0'.repeat(32)}.zip`, `${good.md5}.zip.partial`, 'frame_0001.png', 'leftover-job'].sort(),
    );
    expect(readdirSync(dir).sort()).toEqual([MEMO_FILE_NAME, `${good.md5}.zip`, 'upload-queue.json'].sort());
    expect(cache.cachedMd5s()).toEqual([good.md5]);
    await cache.cleanup();
    expect(hasher.calls).toBe(2); // the second cleanup trusted the memo
  });

  it('leaves a changed archive out of the listing and re-verifies it at the next cleanup', async () => {
    const a = archive(100_000);
    server.serve('changed', { body: a.body });
    const dir = path.join(root, 'cache');
    const hasher = countingHasher();
    const cache = await openCache(dir, { hashFile: hasher.hashFile });
    const file = await cache.ensure({ md5: a.md5, url: server.url('changed') });
    writeFileSync(file, Buffer.concat([a.body, Buffer.from('tampered')]));
    expect(cache.cachedMd5s()).toEqual([]);
    expect(hasher.calls).toBe(0);
    expect((await cache.cleanup()).removed).toEqual([`${a.md5}.zip`]);
    expect(hasher.calls).toBe(1);
  });

  it('re-verifies (once) an archive whose mtime changed but content did not', async () => {
    const a = archive(100_000);
    server.serve('touched', { body: a.body });
    const hasher = countingHasher();
    const cache = await openCache(path.join(root, 'cache'), { hashFile: hasher.hashFile });
    const file = await cache.ensure({ md5: a.md5, url: server.url('touched') });
    utimesSync(file, new Date(2020, 0, 1), new Date(2020, 0, 1));
    await cache.ensure({ md5: a.md5, url: server.url('touched') });
    expect(hasher.calls).toBe(1);
    expect(cache.cachedMd5s()).toEqual([a.md5]);
    expect(server.requests('touched')).toHaveLength(1);
  });

  it("a corrupt cached archive is hashed once: the job's check removes it and ensure downloads it", async () => {
    const a = archive(100_000);
    server.serve('corrupt', { body: a.body });
    const dir = path.join(root, 'cache');
    const hasher = countingHasher();
    const cache = await openCache(dir, { hashFile: hasher.hashFile });
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${a.md5}.zip`), 'not the archive');
    expect(await cache.verified(a.md5)).toBeUndefined();
    expect(readdirSync(dir)).not.toContain(`${a.md5}.zip`);
    const file = await cache.ensure({ md5: a.md5, url: server.url('corrupt') });
    expect(readFileSync(file)).toEqual(a.body);
    expect(hasher.calls).toBe(1);
    expect(await cache.verified(a.md5)).toBe(file);
  });

  it('delete(md5) removes the zip, its extraction dir and the shared copy', async () => {
    const a = archive(10_000);
    server.serve('del', { body: a.body });
    const dir = path.join(root, 'cache');
    const sharedDir = path.join(root, 'shared');
    const cache = await openCache(dir, { sharedDir });
    await cache.ensure({ md5: a.md5, url: server.url('del') });
    mkdirSync(path.join(dir, a.md5, 'scene'), { recursive: true });
    await cache.delete(a.md5);
    expect(readdirSync(dir)).toEqual([MEMO_FILE_NAME]);
    expect(readdirSync(sharedDir)).toEqual([]);
    expect(cache.cachedMd5s()).toEqual([]);
    await expect(cache.delete('../../etc/passwd')).rejects.toMatchObject({ name: 'UnsafePathError' });
  });
});

describe('shared download dir between agents', () => {
  it('agents racing for the same archive make exactly one download and all get it', async () => {
    const a = archive(2 * 1024 * 1024);
    server.serve('race', { body: a.body });
    const sharedDir = path.join(root, 'shared');
    const shared = { pollMs: 5 };
    const agents = await Promise.all(
      [1, 2, 3, 4].map((n) => openCache(path.join(root, `agent${n}`), { sharedDir, shared })),
    );
    const files = await Promise.all(
      agents.map((agent) => agent.ensure({ md5: a.md5, url: server.url('race') })),
    );
    expect(server.requests('race')).toHaveLength(1);
    for (const file of files) {
      expect(readFileSync(file).equals(a.body)).toBe(true);
      // hard-linked into each local cache, not copied
      expect(statSync(file).ino).toBe(statSync(path.join(sharedDir, `${a.md5}.zip`)).ino);
    }
    expect(readdirSync(sharedDir)).toEqual([`${a.md5}.zip`]);
    expect(agents[3]?.cachedMd5s()).toEqual([a.md5]);
  });

  it("takes over another agent's .partial once it stops changing", async () => {
    const a = archive(100_000);
    server.serve('stale', { body: a.body });
    const sharedDir = path.join(root, 'shared');
    mkdirSync(sharedDir);
    writeFileSync(path.join(sharedDir, `${a.md5}.zip.partial`), 'a dead agent wrote this');
    const cache = await openCache(path.join(root, 'agent'), {
      sharedDir,
      shared: { pollMs: 10, staleAfterMs: 50 },
    });
    const file = await cache.ensure({ md5: a.md5, url: server.url('stale') });
    expect(readFileSync(file).equals(a.body)).toBe(true);
    expect(readdirSync(sharedDir)).toEqual([`${a.md5}.zip`]);
  });

  it('gives up with shared-timeout when another agent keeps the .partial alive too long', async () => {
    const a = archive(10_000);
    server.serve('busy', { body: a.body });
    const sharedDir = path.join(root, 'shared');
    mkdirSync(sharedDir);
    const partial = path.join(sharedDir, `${a.md5}.zip.partial`);
    writeFileSync(partial, 'another agent is writing');
    const clock = new ManualClock();
    const cache = await openCache(path.join(root, 'agent'), {
      sharedDir,
      clock,
      shared: { pollMs: 1000, maxWaitMs: 10_000 },
    });
    let settled = false;
    const outcome = cache.ensure({ md5: a.md5, url: server.url('busy') }).then(
      () => 'resolved',
      (error) => error,
    );
    void outcome.then(() => {
      settled = true;
    });
    for (let i = 0; !settled && i < 100; i++) {
      writeFileSync(partial, `still writing ${i}`); // the other agent makes progress
      while (!settled && clock.pendingSleepers === 0) await new Promise((r) => setTimeout(r, 2));
      await clock.advance(1000);
    }
    expect(await outcome).toMatchObject({ name: 'DownloadError', kind: 'shared-timeout' });
    expect(server.requests('busy')).toHaveLength(0);
  });
});
