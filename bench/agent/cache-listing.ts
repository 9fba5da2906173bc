// What a job request costs the cache: listing <md5>.zip for the <cache> body with 2 GiB in 40
// archives vs an empty cache (Flock: one stat per memoised archive, MD5s from the memo), beside the
// official client's way (re-hash every cached zip on every request) and the start-up cleanup with and without the memo.
//
//   apps/agent/node_modules/.bin/tsx bench/agent/cache-listing.ts [--archives 40] [--total-mib 2048]
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ArchiveCache, md5File } from '../../apps/agent/src/download/index.js';
import { flag, machineLine, median, mib, timed, writeResult } from './lib.js';

const archives = Number(flag('archives', '40'));
const totalMib = Number(flag('total-mib', '2048'));
const listingRuns = 200;
const root = path.join(tmpdir(), 'flock-bench-cache');
rmSync(root, { recursive: true, force: true });
const emptyDir = path.join(root, 'empty');
const fullDir = path.join(root, 'full');
mkdirSync(emptyDir, { recursive: true });
mkdirSync(fullDir, { recursive: true });

/** Writes one archive-sized file, hashing as it goes, and names it <md5>.zip. */
function writeArchive(index: number, bytes: number, block: Buffer): void {
  const temp = path.join(fullDir, `archive-${index}.tmp`);
  const fd = openSync(temp, 'w');
  const hash = createHash('md5');
  for (let written = 0; written < bytes; written += block.length) {
    const piece = block.subarray(0, Math.min(block.length, bytes - written));
    piece.writeUInt32LE(index, 0);
    piece.writeUInt32LE(written, 4);
    writeSync(fd, piece);
    hash.update(piece);
  }
  closeSync(fd);
  renameSync(temp, path.join(fullDir, `${hash.digest('hex')}.zip`));
}

console.log(`writing ${archives} archives, ${totalMib} MiB in total, to ${fullDir}…`);
const block = randomBytes(4 * 1024 * 1024);
const perArchive = Math.floor((totalMib * 1024 * 1024) / archives);
for (let i = 0; i < archives; i++) writeArchive(i, perArchive, block);

async function listingMs(cache: ArchiveCache, expected: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < listingRuns; i++) {
    const { ms, value } = await timed(async () => cache.cachedMd5s());
    if (value.length !== expected) throw new Error(`listed ${value.length}, expected ${expected}`);
    times.push(ms);
  }
  return times;
}

try {
  const empty = await ArchiveCache.open({ dir: emptyDir });
  const firstStart = await timed(async () => (await ArchiveCache.open({ dir: fullDir })).cleanup());
  const full = await ArchiveCache.open({ dir: fullDir });
  const memoStart = await timed(() => full.cleanup());
  if (memoStart.value.hashed !== 0)
    throw new Error('the memo should have made the second cleanup hash nothing');

  const emptyTimes = await listingMs(empty, 0);
  const fullTimes = await listingMs(full, archives);
  const rehash: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { ms } = await timed(async () => {
      for (const md5 of full.cachedMd5s()) await md5File(full.pathFor(md5));
    });
    rehash.push(ms);
  }
  const emptyMedian = median(emptyTimes);
  const fullMedian = median(fullTimes);
  const difference = fullMedian - emptyMedian;
  const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.95)] ?? 0;
  const markdown = `# Agent: cache listing for a job request — ${archives} archives (${mib(perArchive * archives)}) vs empty

Command: \`apps/agent/node_modules/.bin/tsx bench/agent/cache-listing.ts --archives ${archives} --total-mib ${totalMib}\`
Date: ${new Date().toISOString()} · Machine: ${machineLine()}

\`ArchiveCache.cachedMd5s()\` builds the job request's \`<cache>\` list: one synchronous stat per
archive, MD5s from the (size, mtime) memo; no archive is read. ${listingRuns} calls each, warm.

| | median | p95 |
|---|---:|---:|
| empty cache | ${emptyMedian.toFixed(3)} ms | ${p95(emptyTimes).toFixed(3)} ms |
| ${archives} archives, ${mib(perArchive * archives)} | ${fullMedian.toFixed(3)} ms | ${p95(fullTimes).toFixed(3)} ms |
| **difference** | **${difference.toFixed(3)} ms** | |

Goal: flat, ≤ 5 ms difference — ${difference <= 5 ? 'met' : 'NOT met'}.

For contrast, the official client re-hashes every cached zip on every job request: hashing these ${archives} archives
took **${median(rehash).toFixed(0)} ms** (median of 3, files in the page cache; from disk it is slower).
That is ${(median(rehash) / Math.max(fullMedian, 0.001)).toFixed(0)}× Flock's listing.

Start-up cleanup (docs/protocol.md §3.4): first start with no memo (hashes all ${firstStart.value.hashed}): ${firstStart.ms.toFixed(0)} ms;
every later start (memo valid, hashes ${memoStart.value.hashed}): ${memoStart.ms.toFixed(1)} ms.
`;
  console.log(`\n${markdown}`);
  writeResult('cache-listing.md', markdown);
} finally {
  rmSync(root, { recursive: true, force: true });
}
