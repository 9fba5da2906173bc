// Shared helpers for the agent benchmarks: flags, timing, medians, child processes, fixtures.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';

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

/** Bundles a bench entry point with esbuild (tsx's own copy) so it runs on plain node, without tsx in its RSS. */
export async function bundleForNode(entry: string, outfile: string): Promise<string> {
  const requireFromTsx = createRequire(path.join(agentDir, 'node_modules/tsx/package.json'));
  const esbuild = (await import(requireFromTsx.resolve('esbuild'))) as {
    build(options: Record<string, unknown>): Promise<unknown>;
  };
  await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    // CommonJS dependencies (yauzl) call require() for node built-ins
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  return outfile;
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

export function writeResult(file: string, markdown: string): void {
  const target = path.join(import.meta.dirname, 'results', file);
  writeFileSync(target, markdown);
  console.log(`\nwrote ${path.relative(process.cwd(), target)}`);
}

export function peakRssFromProc(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib * 1024;
}
