// The text of every file an install writes besides the agent itself: the systemd unit, the macOS
// LaunchAgent, the Windows Scheduled Task and its start script, and the `bin/flock-agent` wrapper.
// Pure functions of the paths, so each is checked by a unit test (and the unit by systemd-analyze).
import { AGENT_NODE_FLAGS, type ServiceScope } from './layout.js';

export const SERVICE_NAME = 'flock-agent';
export const LAUNCHD_LABEL = 'org.flock.agent';
export const SCHEDULED_TASK_NAME = 'Flock agent';
/** How long a stop may take: the agent finishes its frame and uploads first. */
const STOP_TIMEOUT_SECONDS = 300;
/** The pause before the service starts the agent again. */
const RESTART_DELAY_SECONDS = 5;

export interface ServiceCommand {
  /** Absolute path of the node binary that runs the agent (the one that ran the install). */
  node: string;
  /** The installed launcher.mjs. */
  launcher: string;
  /** Environment for the agent beyond the supervisor's name (HOME for a system unit, XDG dirs). */
  env: Record<string, string>;
}

/** `node <flags> <launcher> run`, as every service starts the agent. */
export const serviceArgv = (command: ServiceCommand): string[] => [
  command.node,
  ...AGENT_NODE_FLAGS,
  command.launcher,
  'run',
];

/** One word of a systemd command line or Environment= value: quoted, specifiers and variables escaped. */
function systemdWord(word: string): string {
  if (/[\n\r]/.test(word)) throw new Error('a path or value for the service has a line break');
  const escaped = word
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('%', '%%')
    .replaceAll('$', '$$$$');
  return /^[A-Za-z0-9_./=:+,@-]+$/.test(word) ? escaped : `"${escaped}"`;
}

export function systemdUnit(command: ServiceCommand, scope: ServiceScope): string {
  const env = { FLOCK_SUPERVISOR: 'systemd', ...command.env };
  return [
    '# The Flock agent, written by `flock-agent install` (removed by `flock-agent uninstall`).',
    '[Unit]',
    'Description=Flock agent (renders for SheepIt, steered from the Flock console)',
    // A user manager has no network-online.target; the agent waits for the network itself.
    ...(scope === 'system' ? ['Wants=network-online.target', 'After=network-online.target'] : []),
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${serviceArgv(command).map(systemdWord).join(' ')}`,
    ...Object.entries(env).map(([key, value]) => `Environment=${systemdWord(`${key}=${value}`)}`),
    // Exit code 75 asks for a restart (after an update, or from the console); any other exit too.
    'Restart=always',
    `RestartSec=${RESTART_DELAY_SECONDS}`,
    // SIGTERM to the agent alone: it finishes the frame Blender renders, then exits.
    'KillMode=mixed',
    `TimeoutStopSec=${STOP_TIMEOUT_SECONDS}`,
    '',
    '[Install]',
    `WantedBy=${scope === 'system' ? 'multi-user.target' : 'default.target'}`,
    '',
  ].join('\n');
}

const xml = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** A LaunchAgent: started at login, kept alive (restarted whenever it exits). */
export function launchdPlist(command: ServiceCommand, logFile: string): string {
  const env = { FLOCK_SUPERVISOR: 'launchd', ...command.env };
  const strings = (values: string[]) => values.map((value) => `    <string>${xml(value)}</string>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<!-- The Flock agent, written by `flock-agent install` (removed by `flock-agent uninstall`). -->',
    '<plist version="1.0">',
    '<dict>',
    `  <key>Label</key>\n  <string>${LAUNCHD_LABEL}</string>`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...strings(serviceArgv(command)),
    '  </array>',
    '  <key>EnvironmentVariables</key>',
    '  <dict>',
    ...Object.entries(env).map(
      ([key, value]) => `    <key>${xml(key)}</key>\n    <string>${xml(value)}</string>`,
    ),
    '  </dict>',
    '  <key>RunAtLoad</key>\n  <true/>',
    '  <key>KeepAlive</key>\n  <true/>',
    `  <key>ThrottleInterval</key>\n  <integer>${RESTART_DELAY_SECONDS}</integer>`,
    `  <key>ExitTimeOut</key>\n  <integer>${STOP_TIMEOUT_SECONDS}</integer>`,
    '  <key>ProcessType</key>\n  <string>Background</string>',
    `  <key>StandardOutPath</key>\n  <string>${xml(logFile)}</string>`,
    `  <key>StandardErrorPath</key>\n  <string>${xml(logFile)}</string>`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

/** A word of a cmd.exe line: double-quoted, percent signs doubled (cmd expands %NAME%). */
function cmdWord(word: string): string {
  if (/["\r\n]/.test(word)) throw new Error(`a path for the service has a quote or line break: ${word}`);
  return `"${word.replaceAll('%', '%%')}"`;
}

/**
 * The Scheduled Task's script: Task Scheduler restarts a task that fails to start, not one whose
 * program exits, so the script starts the agent again itself (exit 75 after an update included).
 */
export function windowsServiceScript(command: ServiceCommand): string {
  return [
    '@echo off',
    'rem The Flock agent, started by the "Flock agent" scheduled task; written by `flock-agent install`.',
    'set FLOCK_SUPERVISOR=schtasks',
    ...Object.entries(command.env).map(([key, value]) => `set "${key}=${value.replaceAll('%', '%%')}"`),
    ':start',
    `${cmdWord(command.node)} ${AGENT_NODE_FLAGS.join(' ')} ${cmdWord(command.launcher)} run`,
    `timeout /t ${RESTART_DELAY_SECONDS} /nobreak >nul`,
    'goto start',
    '',
  ].join('\r\n');
}

/** The task: at start-up, as the installing user without a stored password (S4U), no time limit. */
export function scheduledTaskXml(script: string, userId: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-16"?>',
    '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">',
    '  <RegistrationInfo><Description>Flock agent: renders for SheepIt, steered from the Flock console</Description></RegistrationInfo>',
    '  <Triggers><BootTrigger><Enabled>true</Enabled></BootTrigger></Triggers>',
    '  <Principals>',
    `    <Principal id="Author"><UserId>${xml(userId)}</UserId><LogonType>S4U</LogonType><RunLevel>LeastPrivilege</RunLevel></Principal>`,
    '  </Principals>',
    '  <Settings>',
    '    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>',
    '    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>',
    '    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>',
    '    <StartWhenAvailable>true</StartWhenAvailable>',
    '    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>',
    '    <RestartOnFailure><Interval>PT1M</Interval><Count>999</Count></RestartOnFailure>',
    '  </Settings>',
    `  <Actions Context="Author"><Exec><Command>${xml(script)}</Command></Exec></Actions>`,
    '</Task>',
    '',
  ].join('\r\n');
}

/** Task Scheduler reads task XML as UTF-16 (little-endian, with its byte order mark). */
export const utf16le = (text: string): Buffer =>
  Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);

/** A POSIX sh word in single quotes. */
const shWord = (word: string): string => `'${word.replaceAll("'", `'\\''`)}'`;

/** `bin/flock-agent`: the installed agent's command line, with the agent's node flags. */
export function posixWrapper(command: Omit<ServiceCommand, 'env'>): string {
  return [
    '#!/bin/sh',
    '# The installed Flock agent (written by `flock-agent install`): flock-agent status, stop, uninstall…',
    `exec ${shWord(command.node)} ${AGENT_NODE_FLAGS.join(' ')} ${shWord(command.launcher)} "$@"`,
    '',
  ].join('\n');
}

/** `bin\flock-agent.cmd`, the same on Windows. */
export function windowsWrapper(command: Omit<ServiceCommand, 'env'>): string {
  return [`@${cmdWord(command.node)} ${AGENT_NODE_FLAGS.join(' ')} ${cmdWord(command.launcher)} %*`, ''].join(
    '\r\n',
  );
}
