// Shared helpers for the agent benchmarks: flags, timing, medians, child processes, fixtures.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { descendantsOf } from '../../apps/agent/src/render/process-tree.js';

export const agentDir = path.resolve(import.meta.dirname, '../../apps/agent');
export const tsx = path.join(agentDir, 'node_modules/.bin/tsx');

/** `--name value` from argv, else the fallback. */
export function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? (process.argv[at + 1] as string) : fallback;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

/** Runs a command to completion; resolves with its stdout, rejects on a non-zero exit. */
export function run(command: string, args: string[], options: { cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}`)),
    );
  });
}

/** This script's arguments as a shell line (quoted where they hold spaces), for a results file. */
export function commandLine(): string {
  return process.argv
    .slice(2)
    .map((arg) => (/\s/.test(arg) ? `"${arg}"` : arg))
    .join(' ');
}

export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  return `${cpus().length} × ${cpu}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}, load average at the end ${load} (shared machine)`;
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/**
 * A project-like tree of about `totalBytes` in 16 MiB files: 70 % incompressible (textures,
 * caches) and 30 % low-entropy data that deflates to about half (like .blend files).
 */
export function writeProjectTree(root: string, totalBytes: number): void {
  mkdirSync(path.join(root, 'textures'), { recursive: true });
  const fileSize = 16 * 1024 * 1024;
  const block = randomBytes(fileSize);
  const lowEntropy = Buffer.from(randomBytes(fileSize).map((b) => 0x41 + (b & 0x0f)));
  let written = 0;
  for (let i = 0; written < totalBytes; i++) {
    const size = Math.min(fileSize, totalBytes - written);
    const compressible = [2, 5, 8].includes(i % 10);
    const data = (compressible ? lowEntropy : block).subarray(0, size);
    data.writeUInt32LE(i, 0); // no two files identical
    writeFileSync(path.join(root, compressible ? `scene-${i}.blend` : `textures/tex-${i}.exr`), data);
    written += size;
  }
  writeFileSync(path.join(root, 'rend.exe'), '#!/bin/sh\n');
}

/**
 * Bundles a bench entry point with the agent's own esbuild options (apps/agent/build.mjs) so it runs
 * on plain node like the built agent, without tsx in its RSS. The agent reads its version from
 * `../package.json` next to its code: a copy goes there.
 */
export async function bundleForNode(entry: string, outfile: string): Promise<string> {
  mkdirSync(path.dirname(outfile), { recursive: true });
  copyFileSync(path.join(agentDir, 'package.json'), path.join(path.dirname(outfile), '..', 'package.json'));
  const { agentBundle } = (await import(path.join(agentDir, 'build.mjs'))) as {
    agentBundle(entry: string, outfile: string): Promise<string>;
  };
  return agentBundle(entry, outfile);
}

/** The node flags of the agent's launcher (its shebang), to run bundled drivers the same way. */
export function launcherNodeFlags(dir = agentDir): string[] {
  const shebang = readFileSync(path.join(dir, 'launch.mjs'), 'utf8').split('\n')[0] ?? '';
  return shebang.split(' ').filter((word) => word.startsWith('--'));
}

/** Builds (once, then reuses) `<cacheDir>/<name>.zip` from a project tree of `totalBytes`. */
export function projectArchive(
  cacheDir: string,
  name: string,
  totalBytes: number,
  zipArgs: (zip: string) => string[][],
) {
  const zipPath = path.join(cacheDir, `${name}.zip`);
  if (existsSync(zipPath)) return zipPath;
  const tree = path.join(cacheDir, `${name}-tree`);
  writeProjectTree(tree, totalBytes);
  for (const [command, ...args] of zipArgs(zipPath))
    execFileSync(command as string, args, { cwd: tree, stdio: 'ignore' });
  execFileSync('rm', ['-rf', tree]);
  return zipPath;
}

export const FIXTURES = path.join(tmpdir(), 'flock-bench-fixtures');
export const FIXTURE_PASSWORD = 'bench-password';

/**
 * The ~`sizeMib` ZipCrypto project archive of the download benchmarks (Debian `zip -P`), built once
 * in FIXTURES, with its MD5 (memoised beside it: hashing 1 GiB takes seconds).
 */
export async function zipCryptoFixture(sizeMib: number): Promise<{ zipPath: string; md5: string }> {
  mkdirSync(FIXTURES, { recursive: true });
  const uncompressed = Math.round((sizeMib * 1024 * 1024) / 0.85); // the mix deflates to ~85 %
  const zipPath = projectArchive(FIXTURES, `project-${sizeMib}mib`, uncompressed, (zip) => [
    ['zip', '-q', '-r', '-P', FIXTURE_PASSWORD, zip, '.'],
  ]);
  const memo = `${zipPath}.md5`;
  const { size, mtimeMs } = statSync(zipPath);
  const key = `${size} ${mtimeMs}`;
  const [memoKey, memoMd5] = existsSync(memo) ? readFileSync(memo, 'utf8').split('\n') : [];
  if (memoKey === key && memoMd5) return { zipPath, md5: memoMd5 };
  const hash = createHash('md5');
  for await (const chunk of createReadStream(zipPath)) hash.update(chunk as Buffer);
  const md5 = hash.digest('hex');
  writeFileSync(memo, `${key}\n${md5}`);
  return { zipPath, md5 };
}

export function writeResult(file: string, markdown: string): void {
  const target = path.join(import.meta.dirname, 'results', file);
  writeFileSync(target, markdown);
  // Formatted as `biome ci` (part of npm test) expects, so a rerun can be committed as it is.
  const biome = path.resolve(import.meta.dirname, '../../node_modules/.bin/biome');
  execFileSync(biome, ['format', '--write', target], { stdio: 'ignore' });
  console.log(`\nwrote ${path.relative(process.cwd(), target)}`);
}

/** A memory figure of /proc/<pid>/status in bytes: VmRSS now, VmHWM the peak so far. */
export function procMemoryBytes(pid: number | 'self', field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
}

/** Median VmRSS of each process over `count` samples `gapMs` apart (sampled together), bytes. */
export async function medianRss(pids: readonly number[], count: number, gapMs: number): Promise<number[]> {
  const samples: number[][] = pids.map(() => []);
  for (let i = 0; i < count; i++) {
    for (const [at, pid] of pids.entries()) samples[at]?.push(procMemoryBytes(pid, 'VmRSS'));
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  return samples.map(median);
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/**
 * CPU time (user + system, and that of their waited-for children) of every process below this one,
 * from /proc. Taken while a farm is the only child, it is the farm's CPU time.
 */
export function descendantsCpuMs(): number {
  let total = 0;
  for (const pid of descendantsOf(process.pid).slice(1)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * TICK_MS;
    } catch {
      // it ended meanwhile
    }
  }
  return total;
}
