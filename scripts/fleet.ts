// `npm start`: the whole fleet on this machine — the sandbox farm with its demo project, the console,
// and one local agent paired to it automatically. Each runs as its own process (output prefixed) and
// is started again after a back-off whenever it exits; only Ctrl-C (or SIGTERM) stops the fleet.
// The farm and the agent start first, so the agent renders at once; the console is built meanwhile
// (its build output shown), and the running agent links to it as soon as it is paired.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { say } from './fleet/output.js';
import { runStep, stopSteps } from './fleet/steps.js';
import { SupervisedChild } from './fleet/supervised-child.js';

const root = join(import.meta.dirname, '..');
const dataDir = process.env.FLOCK_DATA_DIR ?? join(root, '.data');
const farmPort = Number(process.env.FLOCK_FARM_PORT ?? 8080);
const consolePort = Number(process.env.FLOCK_CONSOLE_PORT ?? 3000);
const farmUrl = `http://127.0.0.1:${farmPort}`;
const consoleUrl = `http://127.0.0.1:${consolePort}`;
const agentConfig = join(dataDir, 'agent', 'agent.json');
const pairingCodeFile = join(dataDir, 'pairing-code');
const binDir = join(root, 'node_modules', '.bin');
// The workspace's bin dir first, as scripts/bootstrap.mjs sets it: turbo looks `pnpm` up on PATH.
const env: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}`,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
};
/** Runs the esbuild bundle on plain node, with its V8 flags; the sources through tsx if not built. */
const agentLauncher = join(root, 'apps', 'agent', 'launch.mjs');
const tsx = (script: string, ...args: string[]) => ['--import', 'tsx', script, ...args];

const farm = new SupervisedChild({
  name: 'farm',
  file: process.execPath,
  args: tsx('apps/farm/src/cli.ts', '--port', String(farmPort), '--data', join(dataDir, 'farm')),
  cwd: root,
  env,
});
const agent = new SupervisedChild({
  name: 'agent',
  file: agentLauncher,
  args: ['run', '--config', agentConfig],
  cwd: root,
  // Tells the agent it is started again when it exits: the console's Restart and Update work.
  env: { ...env, FLOCK_SUPERVISOR: 'fleet' },
});
const consoleServer = new SupervisedChild({
  name: 'console',
  file: process.execPath,
  args: tsx(
    'server.ts',
    '--port',
    String(consolePort),
    '--data',
    join(dataDir, 'console'),
    '--pairing-code-file',
    pairingCodeFile,
    // First start only: machines installed from the console's "Add machine" render the demo too.
    '--demo-farm',
    farmUrl,
  ),
  cwd: join(root, 'apps', 'web'),
  env: { ...env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
});

let stopping = false;

/** The agent first (it finishes its frame and upload, then logs out of the farm), then the rest. */
async function stopFleet(exitCode: number): Promise<void> {
  stopping = true;
  stopSteps();
  await agent.stop('SIGINT');
  await Promise.all([farm.stop('SIGTERM'), consoleServer.stop('SIGTERM')]);
  say('stopped');
  process.exit(exitCode);
}

// One Ctrl-C reaches this process once (its children run in their own process groups, and
// bootstrap.mjs passes nothing on): each SIGINT here is one keypress.
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (interrupts === 1) {
    say('stopping: the agent finishes its frame and its upload, then logs out (Ctrl-C again: stop now)');
    void stopFleet(0);
  } else if (interrupts === 2) {
    say('stopping now (Ctrl-C again: kill every process of the fleet)');
    agent.signal('SIGINT');
  } else {
    for (const child of [agent, farm, consoleServer]) child.kill();
    stopSteps();
    say('killed');
    process.exit(130);
  }
});
// A SIGTERM (a service manager, `kill`) or a closed terminal: the same orderly stop, sent once or more.
for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    interrupts = 1;
    say(`${signal}: stopping; the agent finishes its frame and its upload first`);
    void stopFleet(0);
  });
}
process.stdout.on('error', () => undefined); // a closed terminal must not cut the orderly stop short

function startUnlessStopping(child: SupervisedChild): boolean {
  if (!stopping) child.start();
  return !stopping;
}

/** Polls until `url` answers; false when the fleet is stopping first. */
async function waitUntilServing(url: string): Promise<boolean> {
  while (!stopping) {
    const answered = await fetch(url, { redirect: 'manual' }).then(
      () => true,
      () => false,
    );
    if (answered) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

function build(filter: string, outputLogs: 'errors-only' | 'new-only'): Promise<number> {
  return runStep({
    name: 'build',
    file: join(binDir, 'turbo'),
    args: ['run', 'build', `--filter=${filter}`, `--output-logs=${outputLogs}`],
    cwd: root,
    env,
  });
}

/** The local agent's settings go to its own 0600 config file once, so `run` needs no secrets on argv. */
async function configureLocalAgent(): Promise<void> {
  if (existsSync(agentConfig)) return;
  const status = await runStep({
    name: 'agent',
    file: agentLauncher,
    args: [
      'save-config',
      '--config',
      agentConfig,
      ...['--server', farmUrl, '--login', 'demo', '--password', 'demo'],
      ...['--cache-dir', join(dataDir, 'agent', 'cache'), '--hostname', 'local-agent'],
    ],
    cwd: root,
    env,
  });
  if (status !== 0) throw new Error('could not write the local agent configuration');
}

/** Pairs the running agent once the console has written its one-time code; the agent then links. */
async function pairLocalAgent(): Promise<void> {
  if (existsSync(join(dataDir, 'agent', 'console-link.json'))) return;
  while (!stopping && !existsSync(pairingCodeFile)) await new Promise((resolve) => setTimeout(resolve, 200));
  if (stopping) return;
  const code = (await readFile(pairingCodeFile, 'utf8')).trim();
  const status = await runStep({
    name: 'agent',
    file: agentLauncher,
    args: ['pair', consoleUrl, code, '--config', agentConfig],
    cwd: root,
    env,
  });
  if (status !== 0) say('the local agent could not pair with the console (see above); it keeps rendering');
}

async function main(): Promise<void> {
  await mkdir(join(dataDir, 'agent'), { recursive: true });
  await rm(pairingCodeFile, { force: true });
  if ((await build('flock-agent', 'errors-only')) !== 0 && !stopping)
    say('the agent bundle could not be built (see above): the agent runs from its sources');
  if (!startUnlessStopping(farm) || !(await waitUntilServing(farmUrl))) return;
  await configureLocalAgent();
  if (!startUnlessStopping(agent)) return;
  say(
    `the agent renders the farm's demo (farm ${farmUrl}, account demo / demo); ` +
      'building the console meanwhile (the first build takes a minute or two)',
  );
  if ((await build('@flock/web', 'new-only')) !== 0) {
    if (!stopping) say('the console could not be built (see above); the farm and the agent keep running');
    return;
  }
  if (!startUnlessStopping(consoleServer) || !(await waitUntilServing(consoleUrl))) return;
  await pairLocalAgent();
  if (stopping) return;
  console.log(`
  Flock is running.
    console  ${consoleUrl}   (first visit: choose the admin password; then log in as admin)
    farm     ${farmUrl}   (sandbox farm, account demo / demo)
    agent    this machine, paired with the console, rendering the farm's demo project
  A machine installed from the console's "Add machine" renders the demo as well (the sandbox farm and
  the demo account are the fleet's until changed in Fleet settings).
  Ctrl-C stops all three (the agent finishes its frame first). A process that exits is restarted.
`);
}

main().catch((error: Error) => {
  say(error.message);
  if (!stopping) void stopFleet(1);
});
