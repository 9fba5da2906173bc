// One archive cache shared by several jobs at once (issue 15): leases keep what a job uses, the
// farm's delete and the start-up cleanup wait for the release, and `--cache-max-size` evicts the
// least recently used archives no job holds. Real HTTP servers, real files in temp dirs.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { ArchiveCache, type ArchiveLease } from '../src/download/index.js';
import { Md5Memo } from '../src/download/md5-memo.js';
import { Logger } from '../src/log/index.js';
import { startTestServer, type TestServer } from './download-server.js';

const KIB = 1024;

function archive(size: number) {
  const body = randomBytes(size);
  return { body, md5: createHash('md5').update(body).digest('hex') };
}

let server: TestServer;
let dispatcher: Agent;
let root: string;
/** Every cache a test opened: their background removals and memo saves end before the temp dir goes. */
const opened: ArchiveCache[] = [];

beforeAll(async () => {
  server = await startTestServer();
  dispatcher = new Agent();
});
afterAll(async () => {
  await dispatcher.close();
  await server.close();
});
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'flock-cache-share-'));
  return async () => {
    await Promise.all(opened.splice(0).map((cache) => cache.settled()));
    rmSync(root, { recursive: true, force: true });
  };
});

interface Setup {
  cache: ArchiveCache;
  dir: string;
  renderers: string;
  clock: ManualClock;
  warnings: string[];
  infos: string[];
}

async function openCache(options: { maxBytes?: number; clock?: ManualClock; dir?: string } = {}) {
  const dir = options.dir ?? path.join(root, 'archives');
  const renderers = path.join(root, 'renderers');
  const clock = options.clock ?? new ManualClock();
  const log = new Logger(clock);
  const warnings: string[] = [];
  const infos: string[] = [];
  log.onEntry((entry) => (entry.level === 'warn' ? warnings : infos).push(entry.message));
  const cache = await ArchiveCache.open({
    dir,
    dispatcher,
    clock,
    log,
    extractionDirs: [renderers],
    download: { backoffMs: () => 0 },
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
  });
  opened.push(cache);
  return { cache, dir, renderers, clock, warnings, infos } satisfies Setup;
}

/** Serves a fresh random archive and returns what a job needs to ask for it. */
function served(size: number) {
  const file = archive(size);
  server.serve(file.md5, { body: file.body });
  return { md5: file.md5, url: server.url(file.md5) };
}

/** Downloads the archive and extracts it the way the job runner extracts a renderer (`<renderers>/<md5>/`). */
async function download(setup: Setup, file: { md5: string; url: string }): Promise<string> {
  const zip = await setup.cache.ensure(file);
  mkdirSync(path.join(setup.renderers, file.md5, 'bin'), { recursive: true });
  return zip;
}

function present(setup: Setup, md5: string): boolean {
  return existsSync(path.join(setup.dir, `${md5}.zip`));
}

describe('leases', () => {
  it("the farm's delete of an archive a job holds waits for the job's release", async () => {
    const setup = await openCache();
    const file = served(20 * KIB);
    await download(setup, file);
    const lease = setup.cache.acquire(file.md5);
    await setup.cache.delete(file.md5);
    expect(present(setup, file.md5)).toBe(true);
    expect(existsSync(path.join(setup.renderers, file.md5))).toBe(true);
    expect(setup.cache.cachedMd5s()).toEqual([]); // not offered to the farm any more
    expect(setup.infos).toContain('archive in use: removed when its jobs end');
    lease.release();
    lease.release(); // idempotent
    await setup.cache.settled();
    expect(present(setup, file.md5)).toBe(false);
    expect(existsSync(path.join(setup.renderers, file.md5))).toBe(false);
  });

  it('two jobs holding the same archive: it goes only when both have released it', async () => {
    const setup = await openCache();
    const file = served(10 * KIB);
    await download(setup, file);
    const first = setup.cache.acquire(file.md5);
    const second = setup.cache.acquire(file.md5, file.md5.toUpperCase());
    await setup.cache.delete(file.md5);
    first.release();
    expect(present(setup, file.md5)).toBe(true);
    second.release();
    await setup.cache.settled();
    expect(present(setup, file.md5)).toBe(false);
  });

  it('refuses to lease anything but an MD5, holding nothing', async () => {
    const setup = await openCache();
    const file = served(10 * KIB);
    await download(setup, file);
    expect(() => setup.cache.acquire(file.md5, '../../etc/passwd')).toThrow(/not an archive MD5/);
    expect(setup.cache.isInUse(file.md5)).toBe(false);
  });

  it('start-up cleanup keeps a held archive and removes its leftovers after the release', async () => {
    const setup = await openCache();
    const file = served(10 * KIB);
    await download(setup, file);
    const leftover = path.join(setup.dir, file.md5);
    mkdirSync(path.join(leftover, 'scene'), { recursive: true });
    const lease = setup.cache.acquire(file.md5);
    const report = await setup.cache.cleanup();
    expect(report.removed).toEqual([file.md5]);
    expect(existsSync(leftover)).toBe(true);
    expect(present(setup, file.md5)).toBe(true);
    expect(setup.cache.cachedMd5s()).toEqual([file.md5]);
    lease.release();
    await setup.cache.settled();
    expect(existsSync(leftover)).toBe(false);
    expect(present(setup, file.md5)).toBe(true);
  });
});

describe('the MD5 memo', () => {
  it('a save that failed does not stop the later ones (uses are saved without waiting)', async () => {
    const file = path.join(root, 'memo.json');
    const memo = await Md5Memo.load(file);
    const md5 = 'a'.repeat(32);
    memo.record(`${md5}.zip`, { size: 1, mtimeMs: 2 }, md5, 3);
    mkdirSync(`${file}.tmp`); // the temp file cannot be written
    await expect(memo.save()).rejects.toThrow();
    rmSync(`${file}.tmp`, { recursive: true });
    memo.touch(`${md5}.zip`, 4);
    await memo.save();
    expect(JSON.parse(readFileSync(file, 'utf8')).files[`${md5}.zip`]).toEqual({
      size: 1,
      mtimeMs: 2,
      md5,
      usedAt: 4,
    });
  });
});

describe('--cache-max-size', () => {
  it('evicts the least recently used archive no job holds, with its extraction dir and memo entry', async () => {
    const setup = await openCache({ maxBytes: 70 * KIB });
    const [a, b, c] = [served(30 * KIB), served(30 * KIB), served(30 * KIB)];
    await download(setup, a);
    await setup.clock.advance(1000);
    await download(setup, b);
    await setup.clock.advance(1000);
    setup.cache.acquire(a.md5).release(); // a job used a after b came
    await setup.clock.advance(1000);
    await download(setup, c);
    expect(present(setup, b.md5)).toBe(false);
    expect(existsSync(path.join(setup.renderers, b.md5))).toBe(false);
    expect(setup.cache.cachedMd5s().sort()).toEqual([a.md5, c.md5].sort());
    expect(setup.infos).toContain('archive evicted to stay within the cache budget');
  });

  it('never evicts an archive a job holds', async () => {
    const setup = await openCache({ maxBytes: 70 * KIB });
    const [a, b, c] = [served(30 * KIB), served(30 * KIB), served(30 * KIB)];
    await download(setup, a);
    await setup.clock.advance(1000);
    await download(setup, b);
    const lease = setup.cache.acquire(a.md5);
    await setup.clock.advance(1000);
    await download(setup, c);
    expect(present(setup, a.md5)).toBe(true);
    expect(existsSync(path.join(setup.renderers, a.md5))).toBe(true);
    // a was the least recently used archive when the job took it; b, used later but free, went
    expect(present(setup, b.md5)).toBe(false);
    lease.release();
  });

  it('keeps the LRU order across a restart', async () => {
    const clock = new ManualClock();
    const first = await openCache({ clock });
    const [a, b, c] = [served(30 * KIB), served(30 * KIB), served(30 * KIB)];
    await download(first, a);
    await clock.advance(1000);
    await download(first, b);
    await clock.advance(1000);
    first.cache.acquire(a.md5).release();
    await first.cache.cleanup(); // the memo is on disk (a restart after this)
    await clock.advance(1000);
    const restarted = await openCache({ clock, maxBytes: 70 * KIB });
    await download(restarted, c);
    expect(present(restarted, a.md5)).toBe(true);
    expect(present(restarted, b.md5)).toBe(false);
  });

  it('an archive larger than the budget is still downloaded and used, said once in the log', async () => {
    const setup = await openCache({ maxBytes: 20 * KIB });
    const big = served(50 * KIB);
    const lease = setup.cache.acquire(big.md5);
    const zip = await download(setup, big);
    expect(statSync(zip).size).toBe(50 * KIB);
    await setup.cache.ensure(big);
    expect(setup.warnings.filter((line) => line.includes('larger than the cache budget'))).toHaveLength(1);
    lease.release();
    // the next download evicts it, now that no job holds it
    await setup.clock.advance(1000);
    const small = served(10 * KIB);
    await download(setup, small);
    expect(present(setup, big.md5)).toBe(false);
    expect(present(setup, small.md5)).toBe(true);
  });
});

describe('model: random acquire/release/download sequences', () => {
  const SIZES = [8 * KIB, 12 * KIB, 16 * KIB, 20 * KIB, 24 * KIB];
  const BUDGET = 40 * KIB;
  type Step =
    | { op: 'acquire'; archive: number }
    | { op: 'release'; lease: number }
    | { op: 'download'; archive: number; twice: boolean };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ op: fc.constant('acquire' as const), archive: fc.nat(SIZES.length - 1) }),
    fc.record({ op: fc.constant('release' as const), lease: fc.nat(7) }),
    fc.record({
      op: fc.constant('download' as const),
      archive: fc.nat(SIZES.length - 1),
      twice: fc.boolean(),
    }),
  );

  it('never removes a held archive, stays within the budget when it can, evicts least recently used first', async () => {
    const files = SIZES.map((size) => served(size));
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        const setup = await openCache({ maxBytes: BUDGET, dir: path.join(root, `run-${run++}`) });
        const leases: ArchiveLease[] = [];
        const held = new Map<string, number>();
        const usedAt = new Map<string, number>();
        const holds = (md5: string) => (held.get(md5) ?? 0) > 0;
        for (const action of steps) {
          await setup.clock.advance(1000);
          const now = setup.clock.now();
          if (action.op === 'acquire') {
            const md5 = files[action.archive]?.md5 as string;
            leases.push(setup.cache.acquire(md5));
            held.set(md5, (held.get(md5) ?? 0) + 1);
            if (present(setup, md5)) usedAt.set(md5, now);
          } else if (action.op === 'release') {
            const lease = leases.splice(action.lease % Math.max(1, leases.length), 1)[0];
            if (!lease) continue;
            lease.release();
            for (const md5 of lease.md5s) held.set(md5, (held.get(md5) ?? 1) - 1);
          } else {
            const file = files[action.archive] as { md5: string; url: string };
            const before = server.requests(file.md5).length;
            const wasPresent = present(setup, file.md5);
            const heldBefore = files.filter((f) => holds(f.md5) && present(setup, f.md5)).map((f) => f.md5);
            const kept = files.filter((f) => present(setup, f.md5)).map((f) => f.md5);
            const results = await Promise.all(
              action.twice
                ? [setup.cache.ensure(file), setup.cache.ensure(file)]
                : [setup.cache.ensure(file)],
            );
            for (const zip of results) expect(existsSync(zip)).toBe(true);
            expect(server.requests(file.md5).length - before).toBe(wasPresent ? 0 : 1);
            if (!wasPresent) usedAt.set(file.md5, now);
            // no held archive was removed
            for (const md5 of heldBefore) expect(present(setup, md5)).toBe(true);
            const onDisk = files.filter((f) => present(setup, f.md5));
            if (wasPresent) {
              expect(onDisk.map((f) => f.md5)).toEqual(kept); // a cache hit evicts nothing
              continue;
            }
            const total = onDisk.reduce((sum, f) => sum + (SIZES[files.indexOf(f)] ?? 0), 0);
            const removable = onDisk.filter((f) => f.md5 !== file.md5 && !holds(f.md5));
            // within the budget after the download, or nothing left that could go
            expect(total <= BUDGET || removable.length === 0).toBe(true);
            // whatever went was used no later than any free archive that stayed
            const evicted = kept.filter((md5) => !present(setup, md5));
            for (const gone of evicted) {
              expect(holds(gone)).toBe(false);
              for (const stayed of removable) {
                expect(usedAt.get(gone) ?? 0).toBeLessThanOrEqual(usedAt.get(stayed.md5) ?? 0);
              }
            }
          }
        }
        for (const lease of leases) lease.release();
      }),
      { numRuns: 40 },
    );
  });
});
