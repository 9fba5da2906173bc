// Two farm sessions of one agent process needing the same project archive (issue 15): one shared
// ArchiveCache, each session with its own login and job from the sandbox farm (in its own process),
// each doing what the job runner does (hold the archive, then get it from the cache). Counts the
// archive requests that reach the farm and measures when each session has the verified archive:
//   - together: both ask at the same moment;
//   - late: the second asks `--late-ms` after the first, while the first is downloading.
//
//   apps/agent/node_modules/.bin/tsx bench/agent/cache-sharing.ts [--size-mib 1024] [--rounds 3] [--late-ms 2000]
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { systemClock } from '../../apps/agent/src/clock.js';
import { ArchiveCache, createDispatcher } from '../../apps/agent/src/download/index.js';
import { farmSessionWithJob, type SessionWithJob } from '../../apps/agent/testing/farm-session.js';
import { startFarmProcess } from './farm-client.js';
import { FIXTURE_PASSWORD, flag, machineLine, median, mib, writeResult, zipCryptoFixture } from './lib.js';

const sizeMib = Number(flag('size-mib', '1024'));
const rounds = Number(flag('rounds', '3'));
const lateMs = Number(flag('late-ms', '2000'));
const work = path.join(tmpdir(), 'flock-bench-cache-sharing');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

console.log(`the ~${sizeMib} MiB project archive…`);
const archive = await zipCryptoFixture(sizeMib);
const archiveBytes = statSync(archive.zipPath).size;
const farm = await startFarmProcess(path.join(work, 'farm'), [
  ...['--frames', String(4 * rounds + 4), '--archive', archive.zipPath],
  ...['--archive-md5', archive.md5, '--archive-password', FIXTURE_PASSWORD],
]);

/** Archive requests that left this process (what the farm served), counted on the dispatcher. */
let archiveRequests = 0;
const dispatcher = createDispatcher().compose((dispatch) => (options, handler) => {
  if (String(options.path).includes('archive.php')) archiveRequests++;
  return dispatch(options, handler);
});

interface Round {
  scenario: 'together' | 'late';
  requests: number;
  /** From the first session's ask until it has the verified archive. */
  firstMs: number;
  /** From the first session having it until the second has it (negative: never later). */
  secondAfterFirstMs: number;
}

async function sessionReady(cache: ArchiveCache, session: SessionWithJob, t0: number): Promise<number> {
  const lease = cache.acquire(session.job.archiveMd5);
  await cache.ensure(session.projectDownload);
  const readyAt = performance.now() - t0;
  lease.release();
  return readyAt;
}

async function oneRound(index: number, scenario: Round['scenario']): Promise<Round> {
  const cache = await ArchiveCache.open({ dir: path.join(work, `cache-${index}`, 'archives'), dispatcher });
  const sessions = await Promise.all([
    farmSessionWithJob(farm.url, systemClock, `bench-${index}-a`),
    farmSessionWithJob(farm.url, systemClock, `bench-${index}-b`),
  ]);
  const [first, second] = sessions as [SessionWithJob, SessionWithJob];
  const before = archiveRequests;
  const t0 = performance.now();
  const firstReady = sessionReady(cache, first, t0);
  if (scenario === 'late') await new Promise((resolve) => setTimeout(resolve, lateMs));
  const secondReady = sessionReady(cache, second, t0);
  const [firstMs, secondMs] = await Promise.all([firstReady, secondReady]);
  await Promise.all(sessions.map((session) => session.http.close()));
  rmSync(path.join(work, `cache-${index}`), { recursive: true, force: true });
  return { scenario, requests: archiveRequests - before, firstMs, secondAfterFirstMs: secondMs - firstMs };
}

const results: Round[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    for (const scenario of ['together', 'late'] as const) {
      const result = await oneRound(results.length, scenario);
      console.log(
        `${scenario}: ${result.requests} archive request(s), first ready after ${result.firstMs.toFixed(0)} ms, second ${result.secondAfterFirstMs.toFixed(1)} ms after it`,
      );
      results.push(result);
    }
  }
} finally {
  await farm.stop();
}

function row(scenario: Round['scenario']): string {
  const runs = results.filter((result) => result.scenario === scenario);
  const requests = runs.map((result) => result.requests).join(', ');
  const worst = Math.max(...runs.map((result) => result.secondAfterFirstMs));
  const download = median(runs.map((result) => result.firstMs));
  return `| ${scenario === 'together' ? 'both ask at once' : `second asks ${lateMs} ms later`} | ${requests} | ${download.toFixed(0)} ms | ${median(runs.map((result) => result.secondAfterFirstMs)).toFixed(1)} ms | ${worst.toFixed(1)} ms |`;
}

const worstGap = Math.max(...results.map((result) => result.secondAfterFirstMs));
const allSingle = results.every((result) => result.requests === 1);
const markdown = `# Agent: two sessions sharing one cache — the same ${mib(archiveBytes)} project archive

Command: \`apps/agent/node_modules/.bin/tsx bench/agent/cache-sharing.ts --size-mib ${sizeMib} --rounds ${rounds} --late-ms ${lateMs}\`
Date: ${new Date().toISOString()} · Machine: ${machineLine()}

Two farm sessions (each its own login to the sandbox farm, which runs in its own process, and its
own job of the same project) share one \`ArchiveCache\` in this process and do what the job runner
does: hold the project archive, then get it from the cache. "Archive requests" are the requests to
\`archive.php\` that left this process (counted on the undici dispatcher). "Ready" is when a session
has the verified archive (MD5 checked while streaming), the moment the job goes on to extraction.
${rounds} rounds per scenario, each with an empty cache.

| scenario | archive requests per round | first session ready (median) | second ready after the first (median) | worst |
| -------- | -------------------------: | ---------------------------: | ------------------------------------: | ----: |
${row('together')}
${row('late')}

Goal (issue 15): exactly one download — ${allSingle ? 'met' : '**not met**'}; the second session goes on ≤ 1 s after the first
has the archive — ${worstGap <= 1000 ? 'met' : '**not met**'} (worst ${worstGap.toFixed(1)} ms).
`;
writeResult(`cache-sharing-${sizeMib}mib.md`, markdown);
