#!/usr/bin/env node
// Entry point of `npm start` and `npm test`: both must work as the very first command on a fresh
// clone with only Node >= 20.19 and npm. It installs the pinned pnpm through npx (no global
// install), installs the workspace from the lockfile when needed, then hands over to pnpm/turbo.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = '10.34.9';
const binDir = join(root, 'node_modules', '.bin');
const localPnpm = join(binDir, 'pnpm');
// An absolute bin dir first on PATH: turbo resolves `pnpm` itself, and a relative entry (what
// `pnpm exec` adds) makes it look in each package's own folder and fail.
const env = {
  ...process.env,
  PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}`,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
};

// A terminal's Ctrl-C reaches every process of its foreground group, the commands this runs
// included: this launcher lets them handle it and exits with their status. Passing it on would
// make one keypress arrive twice (a second Ctrl-C means "stop now" to the fleet).
process.on('SIGINT', () => {});

/** The exit status a shell reports for a command: its code, or 128 + the signal that ended it. */
function exitStatus(code, signal) {
  return code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1);
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.error) {
    console.error(`flock: could not run ${command}: ${result.error.message}`);
    process.exit(1);
  }
  if (result.status !== 0) process.exit(exitStatus(result.status, result.signal));
}

/**
 * Runs the fleet with plain node (no tsx command between: it sends each signal it gets on to its
 * child unless the child reports it within 30 ms, which turned one Ctrl-C into two). A SIGTERM,
 * sent to this process alone, is passed on; the fleet treats repeats of it as one.
 */
function runFleet(args) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/fleet.ts', ...args], {
    cwd: root,
    stdio: 'inherit',
    env,
  });
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('error', (error) => {
    console.error(`flock: could not start the fleet: ${error.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(exitStatus(code, signal)));
}

function installIsStale() {
  const marker = join(root, 'node_modules', '.modules.yaml');
  if (!existsSync(localPnpm) || !existsSync(marker)) return true;
  return statSync(join(root, 'pnpm-lock.yaml')).mtimeMs > statSync(marker).mtimeMs;
}

function ensureInstalled() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`flock: Node ${process.versions.node} is too old; Flock needs Node >= 20.19.`);
    process.exit(1);
  }
  if (!installIsStale()) return;
  console.log(`flock: installing dependencies with pnpm ${PNPM_VERSION} (first run only)…`);
  run('npx', ['--yes', `pnpm@${PNPM_VERSION}`, 'install', '--frozen-lockfile']);
}

const commands = {
  test() {
    run(join(binDir, 'biome'), ['ci', '.']);
    // Every citation in the code resolves to a heading in docs/ (the check, then its own test); every
    // command the READMEs show runs with Node and npm alone; the lint above refuses imports across
    // package boundaries (its configuration's own test).
    run(process.execPath, ['scripts/check-doc-refs.mjs']);
    run(process.execPath, [
      '--test',
      '--test-reporter=dot',
      'scripts/check-doc-refs.test.mjs',
      'scripts/doc-commands.test.mjs',
      'scripts/package-boundaries.test.mjs',
    ]);
    // The benchmarks are no package: their scripts are type-checked here (the console's with the DOM).
    for (const project of ['bench', 'bench/console', 'bench/table'])
      run(join(binDir, 'tsc'), ['--noEmit', '-p', project]);
    run(join(binDir, 'turbo'), ['run', 'typecheck', 'test', '--concurrency=1', '--output-logs=new-only']);
  },
  // The fleet builds what it needs itself: the agent first, the console while the agent renders.
  start() {
    runFleet(process.argv.slice(3));
  },
};

const name = process.argv[2];
if (!(name in commands)) {
  console.error(`usage: node scripts/bootstrap.mjs ${Object.keys(commands).join('|')}`);
  process.exit(2);
}
ensureInstalled();
commands[name]();
