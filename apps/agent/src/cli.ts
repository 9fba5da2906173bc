#!/usr/bin/env node
// flock-agent: `run` renders for a SheepIt farm, `status` shows the running agent, `retry`, `pause`,
// `resume` and `stop` steer it through its local control channel, `save-config` writes the config file. Bad flags or config: one line on stderr, exit 2. Fatal farm answers
// (login refused, no rendering rights): one line, exit 1.
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_VERSION, Agent } from './agent.js';
import { systemClock } from './clock.js';
import {
  ConfigError,
  type ControlCommandName,
  defaultCacheDir,
  helpText,
  type ParsedCommandLine,
  parseCommandLine,
  parseSnoozeMinutes,
  type RawSettings,
  readConfigFile,
  resolveSettings,
  toSettings,
  writeConfigFile,
} from './config/index.js';
import {
  type AgentCommand,
  ControlChannelError,
  sendControlCommand,
  startControlChannel,
} from './controls/index.js';
import {
  currentHomeContext,
  EXIT_RESTART,
  InstallError,
  install,
  installedAgent,
  uninstall,
} from './install/index.js';
import { supervisorOf } from './lifecycle/index.js';
import { linkWhenPaired, OUTBOX_JOURNAL_FILE, PairingError, pair } from './link/index.js';
import {
  consoleLinkNote,
  createTerminalOutput,
  formatLocalTime,
  formatReason,
  formatStatusLine,
  Logger,
} from './log/index.js';
import { isAlive, readStateFile } from './state/index.js';

export async function main(argv: readonly string[]): Promise<number> {
  let commandLine: ParsedCommandLine;
  try {
    commandLine = parseCommandLine(argv);
    if (commandLine.configNotice && commandLine.command !== 'help') {
      process.stderr.write(`flock-agent: ${commandLine.configNotice}\n`);
    }
    switch (commandLine.command) {
      case 'help':
        process.stdout.write(`${helpText()}\n`);
        return 0;
      case 'status':
        return await status(commandLine);
      case 'save-config':
        return await saveConfig(commandLine);
      case 'pair':
        return await pairWithConsole(commandLine);
      case 'install':
        return await installAgent(commandLine);
      case 'uninstall':
        return await uninstallAgent(commandLine);
      case 'run':
        return await run(commandLine);
      case 'retry':
      case 'pause':
      case 'resume':
      case 'stop':
      case 'snooze':
        return await control(commandLine, commandLine.command);
    }
  } catch (error) {
    if (error instanceof ControlChannelError) {
      process.stderr.write(`flock-agent: ${error.message}\n`);
      return 1;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`flock-agent: ${error.message}\n`);
      return 2;
    }
    if (error instanceof PairingError || error instanceof InstallError) {
      process.stderr.write(`flock-agent: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function run(commandLine: ParsedCommandLine): Promise<number> {
  const settings = await resolveSettings(commandLine);
  const log = new Logger(systemClock);
  log.addSecret(settings.password);
  const output = createTerminalOutput(process.stderr, settings.logFormat, systemClock);
  log.onEntry((entry) => output.log(entry));
  // Listening from the start: a Ctrl-C while the agent is still being set up is not lost.
  const interrupts = handleInterrupts(log, () => output.close());
  try {
    // The config dir holds the console link's credentials and the farm account the console sends.
    const installed = installedAgent();
    const agent = await Agent.create({
      settings,
      log,
      configDir: dirname(commandLine.configFile),
      installed,
      supervisor: supervisorOf(),
    });
    interrupts.attach(agent);
    agent.store.on('change', () => output.update(agent.store.snapshot()));
    const channel = await startControlChannel({
      cacheDir: settings.cacheDir,
      execute: (command) => agent.execute(command), // this machine's: its stop ends the process
      log,
    });
    // The credentials of `pair` live beside the config file; the agent links once they are there.
    const link = await linkWhenPaired(agent, {
      agentVersion: AGENT_VERSION,
      configDir: dirname(commandLine.configFile),
      outboxJournal: join(settings.cacheDir, OUTBOX_JOURNAL_FILE),
      log: (level, message) => log[level](message),
      onConnected: () => agent.consoleWelcomed(),
    });
    try {
      const code = await agent.run();
      if (code === EXIT_RESTART)
        process.stderr.write(`flock-agent: exiting with code ${EXIT_RESTART} to be started again\n`);
      else if (code !== 0)
        process.stderr.write(`flock-agent: ${agent.store.local.lastError ?? 'stopped on an error'}\n`);
      return code;
    } finally {
      await link.stop();
      await channel?.close();
    }
  } finally {
    output.close();
    interrupts.detach();
  }
}

/**
 * Ctrl-C (SIGINT) or SIGTERM once: stop after the current frame and its upload, then log out;
 * again: stop now. Each signal counts: a terminal's Ctrl-C reaches every process of its foreground
 * group once, `pnpm agent`'s pnpm forwards its copy only to the shell that runs this launcher (which
 * does not pass it on), and `npm start` keeps the agent in its own group and sends one per Ctrl-C.
 */
function handleInterrupts(log: Logger, closeOutput: () => void) {
  let agent: Agent | undefined;
  let count = 0;
  const onSignal = () => {
    count++;
    const when = count === 1 ? 'after-frame' : 'now';
    log.warn(
      when === 'after-frame'
        ? 'stopping after the current frame and uploads (Ctrl-C again: stop now)'
        : 'stopping now',
    );
    if (agent) void agent.execute({ type: 'stop', when });
    else if (when === 'now') {
      // Still setting up: no frame, no session, nothing to finish.
      closeOutput();
      process.exit(0);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    attach(created: Agent): void {
      agent = created;
      if (count > 0) void agent.execute({ type: 'stop', when: count === 1 ? 'after-frame' : 'now' });
    },
    detach(): void {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

async function pairWithConsole(commandLine: ParsedCommandLine): Promise<number> {
  const [consoleUrl = '', code = ''] = commandLine.args;
  const file = await pair(consoleUrl, code, {
    configDir: dirname(commandLine.configFile),
    ...(commandLine.fingerprint === undefined ? {} : { fingerprint: commandLine.fingerprint }),
  });
  const { origin, protocol, hostname } = new URL(consoleUrl);
  process.stdout.write(
    `paired with ${origin}${commandLine.fingerprint ? ' (certificate pinned)' : ''}; credentials saved to ${file} (mode 0600)\n`,
  );
  if (protocol === 'http:' && !isLoopbackName(hostname))
    process.stderr.write(
      `flock-agent: warning: the link to ${origin} is plain HTTP, readable on the network; the console sends no farm account over it\n`,
    );
  return 0;
}

async function installAgent(commandLine: ParsedCommandLine): Promise<number> {
  const { console: consoleUrl, code, noService, serviceScope } = commandLine.install;
  const { fingerprint } = commandLine;
  if (!consoleUrl || !code)
    throw new ConfigError(
      'arguments',
      'usage: install --console URL --code CODE [--fingerprint sha256//…] [--no-service]',
    );
  const bundleFile = fileURLToPath(import.meta.url);
  await install({
    consoleUrl,
    code,
    ...(fingerprint ? { fingerprint } : {}),
    noService,
    context: currentHomeContext(serviceScope),
    bundleFile,
    launcherFile: join(dirname(bundleFile), 'launcher.mjs'),
    configDir: dirname(commandLine.configFile),
  });
  return 0;
}

async function uninstallAgent(commandLine: ParsedCommandLine): Promise<number> {
  const file = await readConfigFile(commandLine.configFile, commandLine.configExplicit);
  const cacheDir = commandLine.flags['cache-dir'] ?? file['cache-dir'];
  uninstall({
    context: currentHomeContext(),
    purge: commandLine.install.purge,
    configDir: dirname(commandLine.configFile),
    ...(typeof cacheDir === 'string' ? { cacheDir } : {}),
  });
  return 0;
}

/** 127.0.0.0/8, ::1, localhost: a plain link to these never leaves this machine. */
function isLoopbackName(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** The cache dir of the agent a command is about: --cache-dir, else the config file's. */
async function runningAgentDir(commandLine: ParsedCommandLine): Promise<string> {
  const file = await readConfigFile(commandLine.configFile, commandLine.configExplicit);
  const cacheDir = commandLine.flags['cache-dir'] ?? file['cache-dir'] ?? defaultCacheDir(commandLine.system);
  if (typeof cacheDir !== 'string')
    throw new ConfigError('cache-dir', "must be the running agent's --cache-dir");
  return cacheDir;
}

function controlCommand(name: ControlCommandName, commandLine: ParsedCommandLine): AgentCommand {
  const when = commandLine.now ? 'now' : 'after-frame';
  if (name === 'retry') return { type: 'retry-now' };
  if (name === 'snooze')
    return { type: 'snooze-rules', minutes: parseSnoozeMinutes(commandLine.args[0] ?? '') };
  if (name === 'resume') return { type: 'resume' };
  return { type: name, when };
}

async function control(commandLine: ParsedCommandLine, name: ControlCommandName): Promise<number> {
  const command = controlCommand(name, commandLine);
  const cacheDir = await runningAgentDir(commandLine);
  const result = await sendControlCommand(cacheDir, command);
  if (result.ok) {
    process.stdout.write(`${result.message ?? 'done'}\n`);
    return 0;
  }
  process.stderr.write(`flock-agent: ${name} refused (${result.reason}): ${result.message}\n`);
  return 1;
}

async function status(commandLine: ParsedCommandLine): Promise<number> {
  const cacheDir = await runningAgentDir(commandLine);
  const content = await readStateFile(cacheDir);
  if (!content) {
    process.stdout.write(`no agent state in ${cacheDir}\n`);
    return 1;
  }
  const running = isAlive(content.pid) && content.local.worker !== 'stopped';
  const now = systemClock.now();
  process.stdout.write(
    `${running ? `running (pid ${content.pid})` : 'not running'}, state of ${formatLocalTime(content.writtenAt, now)}\n`,
  );
  process.stdout.write(`${formatStatusLine(content, now)}\n`);
  const { state, local } = content;
  process.stdout.write(
    `frames rendered ${state.stats.framesRendered}, delivered ${local.framesDelivered}, failed ${state.stats.framesFailed}; ` +
      `credits this session ${state.stats.creditsSession}${local.creditsTotal === null ? '' : `, total ${local.creditsTotal}`}; ` +
      `downloaded ${local.downloadedBytes} B, uploaded ${local.uploadedBytes} B\n`,
  );
  if (state.farmAccount)
    process.stdout.write(
      `farm account: ${state.farmAccount.source === 'none' ? 'none yet' : `${state.farmAccount.login} (${state.farmAccount.source === 'local' ? "this agent's own" : 'from the console'})`}\n`,
    );
  const removed = consoleLinkNote(local, now);
  if (removed) process.stdout.write(`console link: ${removed}\n`);
  if (state.reason) process.stdout.write(`not rendering: ${formatReason(state.reason, now)}\n`);
  if (local.lastError) process.stdout.write(`last error: ${local.lastError}\n`);
  return running ? 0 : 1;
}

async function saveConfig(commandLine: ParsedCommandLine): Promise<number> {
  const existing = await readConfigFile(commandLine.configFile, false);
  const merged: RawSettings = { ...existing, ...commandLine.flags };
  // Check every value now; login, password and cache dir may still come from flags later.
  toSettings({ login: 'x', password: 'x', 'cache-dir': 'x', ...merged });
  await writeConfigFile(commandLine.configFile, merged);
  process.stdout.write(
    `saved ${Object.keys(merged).length} settings to ${commandLine.configFile} (mode 0600)\n`,
  );
  return 0;
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/** Runs the command line and exits with its code: the entry of this file and of launch.mjs. */
export function runCli(argv: readonly string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`flock-agent: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}

if (invokedDirectly()) runCli(process.argv.slice(2));
