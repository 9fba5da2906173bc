// The sandbox farm's cost per frame: N cycles of job request + frame validation (a real 64×48 PNG)
// against the farm in its own process (bench/agent/farm-process.ts, synthetic renderer), from a
// protocol client logged in as an agent would. Reports the farm process's CPU time per cycle (from
// /proc) and the client's wall time per request.
//   request-cycle.ts [--cycles 300] [--warmup 30] [--rounds 5] [--baseline REV] [--write]
// --baseline REV also runs the farm of git revision REV (extracted to a temporary directory that
// shares this checkout's node_modules), its rounds alternating with this checkout's: the machine is
// shared, so only figures from the same run compare. --write writes results/request-cycle.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestClient } from '../../apps/farm/test/helpers/client.js';
import { png } from '../../apps/farm/test/helpers/farm.js';
import type { FarmProcess } from '../agent/farm-client.js';
import { descendantsCpuMs, flag, machineLine, median, timed, writeResult } from '../agent/lib.js';

const cycles = Number(flag('cycles', '300'));
const warmup = Number(flag('warmup', '30'));
const rounds = Number(flag('rounds', '5'));
const baselineRev = flag('baseline', '');
const root = path.resolve(import.meta.dirname, '../..');

type StartFarm = (dataDir: string, args?: string[]) => Promise<FarmProcess>;

interface Round {
  cpuPerCycle: number;
  wallPerCycle: number;
  requestMs: number;
  validationMs: number;
}

async function cycle(client: TestClient, cache: string[], image: Buffer) {
  const request = await timed(() => client.requestJob(cache));
  const job = request.value.job;
  if (!job) throw new Error(`no job: status ${request.value.status}`);
  const validation = await timed(() => client.validate(job, image));
  if (validation.value !== 0) throw new Error(`validation answered ${validation.value}`);
  return { requestMs: request.ms, validationMs: validation.ms };
}

async function round(startFarm: StartFarm): Promise<Round> {
  const work = await mkdtemp(path.join(tmpdir(), 'flock-bench-farm-'));
  const farm = await startFarm(path.join(work, 'farm'), ['--frames', String(warmup + cycles)]);
  try {
    const client = new TestClient(farm.url);
    await client.login();
    // An agent lists the project's archive in its <cache> once it has it.
    const cache = farm.project ? [farm.project.archiveMd5] : [];
    const image = png(64, 48);
    for (let i = 0; i < warmup; i++) await cycle(client, cache, image);
    const requestMs: number[] = [];
    const validationMs: number[] = [];
    const cpuBefore = descendantsCpuMs();
    const { ms } = await timed(async () => {
      for (let i = 0; i < cycles; i++) {
        const times = await cycle(client, cache, image);
        requestMs.push(times.requestMs);
        validationMs.push(times.validationMs);
      }
    });
    return {
      cpuPerCycle: (descendantsCpuMs() - cpuBefore) / cycles,
      wallPerCycle: ms / cycles,
      requestMs: median(requestMs),
      validationMs: median(validationMs),
    };
  } finally {
    await farm.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The farm and the bench helpers of revision `rev` in a temporary directory, with this checkout's
 * node_modules linked in (the dependencies must be the same), and that copy's farm starter.
 */
async function baselineFarm(rev: string): Promise<{ start: StartFarm; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'flock-bench-baseline-'));
  const paths = ['package.json', 'apps/farm', 'bench/agent'];
  const archive = execFileSync('git', ['archive', rev, ...paths], { cwd: root, maxBuffer: 1 << 28 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  for (const modules of ['node_modules', 'apps/farm/node_modules', 'apps/agent/node_modules']) {
    mkdirSync(path.dirname(path.join(dir, modules)), { recursive: true });
    symlinkSync(path.join(root, modules), path.join(dir, modules));
  }
  const client = path.join(dir, 'bench/agent/farm-client.ts');
  const { startFarmProcess } = (await import(client)) as { startFarmProcess: StartFarm };
  return { start: startFarmProcess, dir };
}

function summary(results: Round[]): Round {
  const med = (key: keyof Round) => median(results.map((r) => r[key]));
  return {
    cpuPerCycle: med('cpuPerCycle'),
    wallPerCycle: med('wallPerCycle'),
    requestMs: med('requestMs'),
    validationMs: med('validationMs'),
  };
}

function row(label: string, r: Round): string {
  const f = (ms: number) => `${ms.toFixed(2)} ms`;
  return `| ${label} | ${f(r.cpuPerCycle)} | ${f(r.wallPerCycle)} | ${f(r.requestMs)} | ${f(r.validationMs)} |`;
}

const current = (await import('../agent/farm-client.js')).startFarmProcess as StartFarm;
const baseline = baselineRev ? await baselineFarm(baselineRev) : undefined;
const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
const farmEdited = execFileSync('git', ['status', '--porcelain', 'apps/farm'], { cwd: root }).length > 0;
const ours: Round[] = [];
const theirs: Round[] = [];
try {
  for (let i = 0; i < rounds; i++) {
    if (baseline) {
      theirs.push(await round(baseline.start));
      console.log(`round ${i + 1} ${baselineRev}: ${row('', theirs.at(-1) as Round)}`);
    }
    ours.push(await round(current));
    console.log(`round ${i + 1} this checkout: ${row('', ours.at(-1) as Round)}`);
  }
} finally {
  if (baseline) await rm(baseline.dir, { recursive: true, force: true });
}

const rows = [
  ...(baseline ? [row(`\`${baselineRev}\` (baseline)`, summary(theirs))] : []),
  row(`this checkout (\`${head}\`${farmEdited ? ' + uncommitted apps/farm changes' : ''})`, summary(ours)),
];
const ratio = baseline
  ? `\nFarm CPU per cycle, this checkout / baseline: **${(summary(ours).cpuPerCycle / summary(theirs).cpuPerCycle).toFixed(2)}** (medians).\n`
  : '';
console.log(`\n${rows.join('\n')}${ratio}`);

if (process.argv.includes('--write')) {
  const command = `apps/agent/node_modules/.bin/tsx bench/farm/request-cycle.ts --cycles ${cycles} --warmup ${warmup} --rounds ${rounds}${baselineRev ? ` --baseline ${baselineRev}` : ''} --write`;
  mkdirSync(path.join(import.meta.dirname, 'results'), { recursive: true });
  const target = path.join(import.meta.dirname, 'results', 'request-cycle.md');
  writeResult(
    path.relative(path.join(import.meta.dirname, '../agent/results'), target),
    `# Farm: CPU per job request + validation cycle

Command: \`${command}\`
Date: ${new Date().toISOString()} · Machine: ${machineLine()}

The sandbox farm (\`bench/agent/farm-process.ts\`: synthetic renderer, one project of
${warmup + cycles} frames at 64×48) in its own process; one protocol client (the farm tests'
\`TestClient\`) logs in, then runs ${warmup} warm-up cycles and ${cycles} measured ones: a job request
(with the project's archive in its \`<cache>\`, as an agent sends it) and the validation upload of a
real 64×48 PNG. Farm CPU is the farm process's user + system time from /proc over the measured
cycles (10 ms ticks); wall times are the client's (its own CPU on the same cores included), medians
per request. Medians of ${rounds} rounds${baseline ? `; baseline and this checkout alternate, round by round, in the same run` : ''}.

| farm | farm CPU per cycle | wall per cycle | request_job | validation |
| ---- | -----------------: | -------------: | ----------: | ---------: |
${rows.join('\n')}
${ratio}`,
  );
}
