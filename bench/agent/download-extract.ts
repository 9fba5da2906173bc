// Download + MD5 + extract of a large project archive served over loopback: the Flock agent
// (undici, one-pass MD5, yauzl + ZipCrypto) against `curl -o && md5sum && unzip` of the same
// archive in the same run, alternating, several rounds. Also the agent's RSS idle and while
// downloading.
//
//   apps/agent/node_modules/.bin/tsx bench/agent/download-extract.ts [--size-mib 1024] [--rounds 5]
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  bundleForNode,
  FIXTURE_PASSWORD,
  FIXTURES,
  flag,
  launcherNodeFlags,
  machineLine,
  median,
  mib,
  run,
  timed,
  tsx,
  writeResult,
  zipCryptoFixture,
} from './lib.js';

const sizeMib = Number(flag('size-mib', '1024'));
const rounds = Number(flag('rounds', '5'));
const password = FIXTURE_PASSWORD;
const fixtures = FIXTURES;
console.log(
  `building a ~${sizeMib} MiB ZipCrypto project archive with Debian zip -P (cached in ${fixtures})…`,
);
const { zipPath, md5 } = await zipCryptoFixture(sizeMib);
const archiveBytes = statSync(zipPath).size;
console.log(`archive: ${mib(archiveBytes)}, md5 ${md5}`);

const server = spawn(tsx, [path.join(import.meta.dirname, 'serve-file.ts'), fixtures], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await new Promise<number>((resolve) =>
  server.stdout.once('data', (d) => resolve(Number(String(d).trim()))),
);
const url = `http://127.0.0.1:${port}/${path.basename(zipPath)}`;
const work = path.join(tmpdir(), 'flock-bench-work');

interface AgentRun {
  downloadMs: number;
  extractMs: number;
  totalMs: number;
  idleRss: number;
  downloadPeakRss: number;
  downloadPeakArrayBuffers: number;
  overallPeakRss: number;
}

// The agent side runs bundled on plain node with the launcher's V8 flags (what `pnpm agent` runs);
// one extra round under tsx shows what the TypeScript loader adds to the RSS.
const bundled = await bundleForNode(
  path.join(import.meta.dirname, 'agent-fetch.ts'),
  path.join(fixtures, 'bundles', 'agent-fetch.mjs'),
);

async function agentRound(runtime: 'node' | 'tsx' = 'node', extra: string[] = []): Promise<AgentRun> {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  const entry =
    runtime === 'node'
      ? [process.execPath, ...launcherNodeFlags(), bundled]
      : [tsx, path.join(import.meta.dirname, 'agent-fetch.ts')];
  const [command, ...args] = entry as [string, ...string[]];
  const out = await run(command, [...args, url, md5, work, password, ...extra]);
  return JSON.parse(out.trim().split('\n').at(-1) as string) as AgentRun;
}

async function baselineRound(): Promise<{
  downloadMs: number;
  md5Ms: number;
  unzipMs: number;
  totalMs: number;
}> {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  const file = path.join(work, 'project.zip');
  const curl = await timed(() => run('curl', ['-s', '-f', '-o', file, url]));
  const sum = await timed(() => run('md5sum', [file]));
  if (!sum.value.startsWith(md5)) throw new Error('baseline md5 mismatch');
  const unzip = await timed(() => run('unzip', ['-q', '-P', password, file, '-d', path.join(work, 'out')]));
  return { downloadMs: curl.ms, md5Ms: sum.ms, unzipMs: unzip.ms, totalMs: curl.ms + sum.ms + unzip.ms };
}

const agentRuns: AgentRun[] = [];
const baselineRuns: Awaited<ReturnType<typeof baselineRound>>[] = [];
let tsxRun: AgentRun | undefined;
let undiciOnly: AgentRun | undefined;
try {
  for (let round = 1; round <= rounds; round++) {
    baselineRuns.push(await baselineRound());
    agentRuns.push(await agentRound());
    const a = agentRuns.at(-1) as AgentRun;
    const b = baselineRuns.at(-1) as Awaited<ReturnType<typeof baselineRound>>;
    console.log(`round ${round}: agent ${a.totalMs.toFixed(0)} ms, baseline ${b.totalMs.toFixed(0)} ms`);
  }
  tsxRun = await agentRound('tsx');
  undiciOnly = await agentRound('node', ['--undici-only']);
} finally {
  server.kill();
  rmSync(work, { recursive: true, force: true });
}

const m = (values: number[]) => median(values).toFixed(0);
const agentTotal = median(agentRuns.map((r) => r.totalMs));
const baselineTotal = median(baselineRuns.map((r) => r.totalMs));
const ratio = agentTotal / baselineTotal;
// Rounds alternate, so each round's pair saw about the same machine load: the median of the
// per-round ratios is the steadier figure on a shared machine. The goal counts as met only if both are.
const pairedRatio = median(agentRuns.map((a, i) => a.totalMs / (baselineRuns[i]?.totalMs ?? Number.NaN)));
const goalMet = ratio <= 0.8 && pairedRatio <= 0.8;
const peakDownloadRss = Math.max(...agentRuns.map((r) => r.downloadPeakRss));
const markdown = `# Agent: download + MD5 + extract of a ${mib(archiveBytes)} project archive

Command: \`apps/agent/node_modules/.bin/tsx bench/agent/download-extract.ts --size-mib ${sizeMib} --rounds ${rounds}\`
Date: ${new Date().toISOString()} · Machine: ${machineLine()}

Archive: Debian \`zip -r -P\` (ZipCrypto, deflate) of a project-like tree (70 % incompressible
"textures", 30 % low-entropy "blend" data), ${mib(archiveBytes)}, served by a Node static file
server in its own process on 127.0.0.1. Both sides start from a warm page cache for the source
archive and write to the same local disk; rounds alternate baseline / agent; medians of ${rounds}.

| | download | MD5 | extract | total |
|---|---:|---:|---:|---:|
| baseline: \`curl -o\` && \`md5sum\` && \`unzip -P\` | ${m(baselineRuns.map((r) => r.downloadMs))} ms | ${m(baselineRuns.map((r) => r.md5Ms))} ms | ${m(baselineRuns.map((r) => r.unzipMs))} ms | **${baselineTotal.toFixed(0)} ms** |
| Flock agent: undici + one-pass MD5, yauzl + ZipCrypto | ${m(agentRuns.map((r) => r.downloadMs))} ms (MD5 included) | — | ${m(agentRuns.map((r) => r.extractMs))} ms | **${agentTotal.toFixed(0)} ms** |

**Ratio agent / baseline: ${ratio.toFixed(2)}×** (median totals); **median of the per-round ratios: ${pairedRatio.toFixed(2)}×**.
Goal ≤ 0.8× on both: ${goalMet ? 'met' : 'NOT met'}.

Agent process RSS (the download/extract modules, bundled with esbuild, alone in a plain \`node ${launcherNodeFlags().join(' ')}\`
process, as \`launch.mjs\` starts the agent; the whole agent's RSS is in agent-rss-1024mib.md):
- idle (modules loaded, before the download): ${mib(Math.max(...agentRuns.map((r) => r.idleRss)))}
- peak while downloading (sampled every 50 ms): ${mib(peakDownloadRss)} (goal ≤ 100 MB: ${peakDownloadRss <= 100e6 ? 'met' : 'NOT met'})
- Buffer memory (\`process.memoryUsage().arrayBuffers\`) at its peak while downloading: ${mib(Math.max(...agentRuns.map((r) => r.downloadPeakArrayBuffers)))}
- reference: the same process reading the same body with bare undici and dropping it (no hashing,
  no writing): idle ${mib(undiciOnly?.idleRss ?? 0)}, peak ${mib(undiciOnly?.downloadPeakRss ?? 0)}. The agent itself holds at most
  2 MiB of the body (one 1 MiB batch being written, one filling); the rest of the growth is the
  HTTP client's socket-chunk churn at loopback speed (hundreds of MB/s) before V8 and malloc give
  the memory back.
- peak over download + extraction (VmHWM): ${mib(Math.max(...agentRuns.map((r) => r.overallPeakRss)))}
- the same run under \`tsx\` (TypeScript loader in-process): idle ${mib(tsxRun?.idleRss ?? 0)}, download peak ${mib(tsxRun?.downloadPeakRss ?? 0)}, total ${(tsxRun?.totalMs ?? 0).toFixed(0)} ms

Per round (ms):

| round | baseline total | agent total | ratio | agent download | agent extract |
|---:|---:|---:|---:|---:|---:|
${agentRuns.map((a, i) => `| ${i + 1} | ${(baselineRuns[i]?.totalMs ?? 0).toFixed(0)} | ${a.totalMs.toFixed(0)} | ${(a.totalMs / (baselineRuns[i]?.totalMs ?? Number.NaN)).toFixed(2)} | ${a.downloadMs.toFixed(0)} | ${a.extractMs.toFixed(0)} |`).join('\n')}
`;
console.log(`\n${markdown}`);
writeResult(`download-extract-${sizeMib}mib.md`, markdown);
