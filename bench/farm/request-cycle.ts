// The sandbox farm's cost per frame: N cycles of job request + frame validation (a real 64×48 PNG)
// against the farm in its own process (bench/agent/farm-process.ts, synthetic renderer), from a
// protocol client logged in as an agent would. Reports the farm process's CPU time per cycle (from
// /proc) and the client's wall time per request.
//   request-cycle.ts [--cycles 300] [--warmup 30] [--rounds 3] [--label TEXT] [--out FILE]
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { descendantsOf } from '../../apps/agent/src/render/process-tree.js';
import { TestClient } from '../../apps/farm/test/helpers/client.js';
import { png } from '../../apps/farm/test/helpers/farm.js';
import { startFarmProcess } from '../agent/farm-client.js';
import { flag, machineLine, median, timed, writeResult } from '../agent/lib.js';

const cycles = Number(flag('cycles', '300'));
const warmup = Number(flag('warmup', '30'));
const rounds = Number(flag('rounds', '3'));
const label = flag('label', 'this checkout');
const out = flag('out', '');

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time (user + system) of the processes below this one: the farm while it is the only child. */
function farmCpuMs(): number {
  let total = 0;
  for (const pid of descendantsOf(process.pid).slice(1)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    } catch {
      // it ended meanwhile
    }
  }
  return total;
}

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

async function round(): Promise<Round> {
  const work = await mkdtemp(path.join(tmpdir(), 'flock-bench-farm-'));
  const farm = await startFarmProcess(path.join(work, 'farm'), ['--frames', String(warmup + cycles)]);
  try {
    const client = new TestClient(farm.url);
    await client.login();
    const cache = farm.project ? [farm.project.archiveMd5] : [];
    const image = png(64, 48);
    for (let i = 0; i < warmup; i++) await cycle(client, cache, image);
    const requestMs: number[] = [];
    const validationMs: number[] = [];
    const cpuBefore = farmCpuMs();
    const { ms } = await timed(async () => {
      for (let i = 0; i < cycles; i++) {
        const times = await cycle(client, cache, image);
        requestMs.push(times.requestMs);
        validationMs.push(times.validationMs);
      }
    });
    const cpuMs = farmCpuMs() - cpuBefore;
    return {
      cpuPerCycle: cpuMs / cycles,
      wallPerCycle: ms / cycles,
      requestMs: median(requestMs),
      validationMs: median(validationMs),
    };
  } finally {
    await farm.stop();
    await rm(work, { recursive: true, force: true });
  }
}

const results: Round[] = [];
for (let i = 0; i < rounds; i++) {
  const result = await round();
  results.push(result);
  console.log(
    `round ${i + 1}: farm CPU ${result.cpuPerCycle.toFixed(2)} ms/cycle, wall ${result.wallPerCycle.toFixed(2)} ms/cycle, request_job ${result.requestMs.toFixed(2)} ms, validation ${result.validationMs.toFixed(2)} ms (medians)`,
  );
}
const med = (key: keyof Round) => median(results.map((r) => r[key])).toFixed(2);
const row = `| ${label} | ${med('cpuPerCycle')} ms | ${med('wallPerCycle')} ms | ${med('requestMs')} ms | ${med('validationMs')} ms |`;
console.log(`\n${row}`);

if (out) {
  const command = `apps/agent/node_modules/.bin/tsx bench/farm/request-cycle.ts --cycles ${cycles} --warmup ${warmup} --rounds ${rounds}`;
  writeResult(
    path.relative(path.join(import.meta.dirname, '../agent/results'), path.resolve(out)),
    `# Farm: CPU per job request + validation cycle

Command: \`${command}\`
Date: ${new Date().toISOString()} · Machine: ${machineLine()}

The sandbox farm (\`bench/agent/farm-process.ts\`: synthetic renderer, a project of ${warmup + cycles}
frames at 64×48) in its own process; one protocol client (the farm tests' \`TestClient\`) logs in,
then runs ${warmup} warm-up cycles and ${cycles} measured ones: a job request (with the project's
archive in its \`<cache>\`, as an agent sends it) and the validation upload of a real 64×48 PNG.
Farm CPU is user + system time of the farm process from /proc over the measured cycles (10 ms
ticks); wall times are the client's, medians per request. Medians of ${rounds} rounds.

| farm | farm CPU per cycle | wall per cycle | request_job | validation |
| ---- | -----------------: | -------------: | ----------: | ---------: |
${row}
`,
  );
}
