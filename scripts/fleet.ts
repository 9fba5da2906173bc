// `npm start`: the whole fleet on this machine — the sandbox farm with its demo project, the console,
// and one local agent paired to it automatically. Each runs as its own process (output prefixed);
// Ctrl-C stops all three: the agent first finishes its frame (Ctrl-C again: at once).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(import.meta.dirname, '..');
const dataDir = process.env.FLOCK_DATA_DIR ?? join(root, '.data');
const farmPort = Number(process.env.FLOCK_FARM_PORT ?? 8080);
const consolePort = Number(process.env.FLOCK_CONSOLE_PORT ?? 3000);
const farmUrl = `http://127.0.0.1:${farmPort}`;
const consoleUrl = `http://127.0.0.1:${consolePort}`;
const agentConfig = join(dataDir, 'agent', 'agent.json');
const pairingCodeFile = join(dataDir, 'pairing-code');

/** Runs the esbuild bundle (npm start builds it) on plain node, with its V8 flags; tsx if not built. */
const agentLauncher = 'apps/agent/launch.mjs';
const children = new Map<string, ChildProcess>();
let stopping = false;

/** The agent through its launcher, everything else through tsx. */
function command(script: string): [string, string[]] {
  return script === agentLauncher
    ? [join(root, agentLauncher), []]
    : [process.execPath, ['--import', 'tsx', script]];
}

function start(name: string, script: string, args: string[], cwd = root, env: NodeJS.ProcessEnv = {}) {
  const [file, prefix] = command(script);
  const child = spawn(file, [...prefix, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: a terminal Ctrl-C reaches only this launcher, which stops each child once.
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => console.log(`[${name}] ${line}`));
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[fleet] ${name} exited (${signal ?? code}); stopping the fleet`);
      void stopAll(1);
    }
  });
  children.set(name, child);
  return child;
}

/** Runs a command to its end, in the foreground; resolves with its exit code. */
function runOnce(script: string, args: string[]): Promise<number> {
  const [file, prefix] = command(script);
  const child = spawn(file, [...prefix, ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function waitUntilServing(name: string, url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return;
    const answered = await fetch(url, { redirect: 'manual' }).then(
      () => true,
      () => false,
    );
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${name} did not answer on ${url} within ${timeoutMs / 1000} s`);
}

/** The local agent's settings go to its own 0600 config file once, so `run` needs no secrets on argv. */
async function configureLocalAgent(): Promise<void> {
  if (existsSync(agentConfig)) return;
  const settings = ['--server', farmUrl, '--login', 'demo', '--password', 'demo'];
  const cache = ['--cache-dir', join(dataDir, 'agent', 'cache'), '--hostname', 'local-agent'];
  const status = await runOnce(agentLauncher, [
    'save-config',
    '--config',
    agentConfig,
    ...settings,
    ...cache,
  ]);
  if (status !== 0) throw new Error('could not write the local agent configuration');
}

async function pairLocalAgent(): Promise<void> {
  if (existsSync(join(dataDir, 'agent', 'console-link.json'))) return;
  const code = (await readFile(pairingCodeFile, 'utf8')).trim();
  const status = await runOnce(agentLauncher, ['pair', consoleUrl, code, '--config', agentConfig]);
  if (status !== 0) throw new Error('the local agent could not pair with the console');
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** The agent first (it finishes its frame and logs out of the farm), then the farm and the console. */
async function stopAll(exitCode: number): Promise<void> {
  stopping = true;
  await stopChild(children.get('agent'));
  await Promise.all([stopChild(children.get('farm')), stopChild(children.get('console'))]);
  process.exit(exitCode);
}

let interrupts = 0;
process.on('SIGINT', () => {
  interrupts += 1;
  if (interrupts === 1) {
    console.log('\n[fleet] stopping: the agent finishes its frame first (Ctrl-C again: stop now)');
    void stopAll(0);
  } else {
    children.get('agent')?.kill('SIGTERM');
  }
});
process.on('SIGTERM', () => void stopAll(0));

async function main(): Promise<void> {
  await mkdir(join(dataDir, 'agent'), { recursive: true });
  await rm(pairingCodeFile, { force: true });
  start('farm', 'apps/farm/src/cli.ts', ['--port', String(farmPort), '--data', join(dataDir, 'farm')]);
  start(
    'console',
    'server.ts',
    [
      '--port',
      String(consolePort),
      '--data',
      join(dataDir, 'console'),
      '--pairing-code-file',
      pairingCodeFile,
    ],
    join(root, 'apps', 'web'),
    { NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
  );
  await Promise.all([waitUntilServing('farm', farmUrl), waitUntilServing('console', consoleUrl)]);
  await configureLocalAgent();
  await pairLocalAgent();
  start('agent', agentLauncher, ['run', '--config', agentConfig]);
  console.log(`
  Flock is running.
    console  ${consoleUrl}   (first visit: choose the admin password; then log in as admin)
    farm     ${farmUrl}   (sandbox farm, account demo / demo)
    agent    this machine, paired with the console, rendering the farm's demo project
  Ctrl-C stops all three.
`);
}

main().catch((error: Error) => {
  console.error(`[fleet] ${error.message}`);
  void stopAll(1);
});
