// The service that starts the installed agent at boot and again whenever it exits: a systemd system
// unit (root) or user unit, a LaunchAgent on macOS, a Scheduled Task on Windows. A plan lists the
// files and the commands; `startService` and `removeService` carry it out with a command runner
// (the real one spawns systemctl, launchctl or schtasks; tests put a stand-in first on PATH).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import type { HomeContext, HomeLayout, ServiceScope } from './layout.js';
import {
  LAUNCHD_LABEL,
  launchdPlist,
  SCHEDULED_TASK_NAME,
  SERVICE_NAME,
  type ServiceCommand,
  scheduledTaskXml,
  systemdUnit,
  utf16le,
  windowsServiceScript,
} from './service-files.js';

export interface ServiceContext {
  platform: NodeJS.Platform;
  scope: ServiceScope;
  layout: HomeLayout;
  /** The node binary that runs the agent. */
  node: string;
  userHome: string;
  username: string;
  uid: number;
  env: NodeJS.ProcessEnv;
  /** Where systemd keeps system units (tests point it elsewhere). */
  systemUnitDir?: string;
  /** Where logind records lingering users. */
  lingerDir?: string;
}

export interface ServiceStep {
  argv: string[];
  /** Failure is expected at times (e.g. unloading a LaunchAgent that is not loaded). */
  mayFail?: boolean;
}

export interface ServicePlan {
  /** What it is, for messages: "a systemd user unit, /home/ann/.config/systemd/user/flock-agent.service". */
  description: string;
  files: { path: string; content: string | Buffer }[];
  /** Run before anything is done (the pairing code is still unused): is the service manager there? */
  check: ServiceStep[];
  /** Run after the files are written: register, enable, (re)start. */
  start: ServiceStep[];
  /** Run before the files are removed: stop, unregister. Failures are ignored. */
  stop: ServiceStep[];
  /** Run after the files are removed. Failures are ignored. */
  afterRemoval: ServiceStep[];
  /** What the user should know (lingering). */
  notes: string[];
  /** Said when a start step fails. */
  hint: string;
}

export type CommandRunner = (argv: readonly string[]) => { ok: boolean; output: string };

export const runCommand: CommandRunner = (argv) => {
  const [file = '', ...args] = argv;
  const result = spawnSync(file, args, { encoding: 'utf8', timeout: 60_000 });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      ok: false,
      output: missing ? `${file} is not installed (not found on PATH)` : result.error.message,
    };
  }
  return { ok: result.status === 0, output: `${result.stderr}${result.stdout}`.trim() };
};

export class ServiceError extends Error {
  override readonly name = 'ServiceError';
}

/** Directories the agent finds its config and cache by: the service must see the same ones. */
function carriedEnv(context: ServiceContext): Record<string, string> {
  const env: Record<string, string> = {};
  // A system service has no login: HOME tells the agent where this user's config lives.
  if (context.scope === 'system') env.HOME = context.userHome;
  for (const key of ['XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_DATA_HOME'] as const) {
    const value = context.env[key];
    if (context.platform === 'linux' && value && path.isAbsolute(value)) env[key] = value;
  }
  return env;
}

function systemdPlan(context: ServiceContext, command: ServiceCommand): ServicePlan {
  const user = context.scope === 'user';
  const unitDir = user
    ? path.join(
        context.env.XDG_CONFIG_HOME && path.isAbsolute(context.env.XDG_CONFIG_HOME)
          ? context.env.XDG_CONFIG_HOME
          : path.join(context.userHome, '.config'),
        'systemd',
        'user',
      )
    : (context.systemUnitDir ?? '/etc/systemd/system');
  const unit = path.join(unitDir, `${SERVICE_NAME}.service`);
  const systemctl = (...args: string[]) => ({ argv: ['systemctl', ...(user ? ['--user'] : []), ...args] });
  const lingering = existsSync(path.join(context.lingerDir ?? '/var/lib/systemd/linger', context.username));
  return {
    description: `a systemd ${user ? 'user' : 'system'} unit, ${unit}`,
    files: [{ path: unit, content: systemdUnit(command, context.scope) }],
    check: [systemctl('show-environment')],
    start: [
      systemctl('daemon-reload'),
      systemctl('enable', `${SERVICE_NAME}.service`),
      systemctl('restart', `${SERVICE_NAME}.service`),
    ],
    stop: [systemctl('disable', '--now', `${SERVICE_NAME}.service`)],
    afterRemoval: [systemctl('daemon-reload')],
    notes:
      user && !lingering
        ? [
            'The service runs while you are logged in. To start it at boot without a login, run once: ' +
              `sudo loginctl enable-linger ${context.username}`,
          ]
        : [],
    hint: user
      ? 'systemd user services need a login session here (or run the install as root for a system service, or add --no-service)'
      : 'check `systemctl status flock-agent` (or add --no-service)',
  };
}

function launchdPlan(context: ServiceContext, command: ServiceCommand): ServicePlan {
  const plist = path.join(context.userHome, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
  const logFile = path.join(context.userHome, 'Library', 'Logs', 'flock-agent.log');
  const domain = `gui/${context.uid}`;
  return {
    description: `a LaunchAgent, ${plist} (log: ${logFile})`,
    files: [{ path: plist, content: launchdPlist(command, logFile) }],
    check: [{ argv: ['launchctl', 'print', domain] }],
    start: [
      { argv: ['launchctl', 'bootout', `${domain}/${LAUNCHD_LABEL}`], mayFail: true },
      { argv: ['launchctl', 'bootstrap', domain, plist] },
    ],
    stop: [{ argv: ['launchctl', 'bootout', `${domain}/${LAUNCHD_LABEL}`] }],
    afterRemoval: [],
    notes: [],
    hint: 'LaunchAgents start in a logged-in session (or add --no-service)',
  };
}

function scheduledTaskPlan(context: ServiceContext, command: ServiceCommand): ServicePlan {
  const join = path.win32.join;
  const script = join(context.layout.binDir, 'flock-agent-service.cmd');
  const taskXml = join(context.layout.home, 'flock-agent-task.xml');
  const domain = context.env.USERDOMAIN;
  return {
    description: `a Scheduled Task, "${SCHEDULED_TASK_NAME}" (at start-up, restarted when it exits)`,
    files: [
      { path: script, content: windowsServiceScript(command) },
      {
        path: taskXml,
        content: utf16le(
          scheduledTaskXml(script, domain ? `${domain}\\${context.username}` : context.username),
        ),
      },
    ],
    check: [{ argv: ['schtasks', '/Query', '/FO', 'LIST'] }],
    start: [
      { argv: ['schtasks', '/Create', '/TN', SCHEDULED_TASK_NAME, '/XML', taskXml, '/F'] },
      { argv: ['schtasks', '/Run', '/TN', SCHEDULED_TASK_NAME] },
    ],
    stop: [
      { argv: ['schtasks', '/End', '/TN', SCHEDULED_TASK_NAME] },
      { argv: ['schtasks', '/Delete', '/TN', SCHEDULED_TASK_NAME, '/F'] },
    ],
    afterRemoval: [],
    notes: [],
    hint: 'a start-up task may need an administrator PowerShell (or add -NoService)',
  };
}

export function servicePlan(context: ServiceContext): ServicePlan {
  const command: ServiceCommand = {
    node: context.node,
    launcher: context.layout.launcher,
    env: carriedEnv(context),
  };
  if (context.platform === 'win32') return scheduledTaskPlan(context, command);
  if (context.platform === 'darwin') return launchdPlan(context, command);
  return systemdPlan(context, command);
}

/** The user the service runs as: this process's (a user without a passwd entry: from the environment). */
function currentUser(env: NodeJS.ProcessEnv): { username: string; uid: number } {
  try {
    const { username, uid } = userInfo();
    return { username, uid };
  } catch {
    return { username: env.USER ?? env.USERNAME ?? 'user', uid: process.getuid?.() ?? 0 };
  }
}

/** The plan for an agent home on this machine, for the user running this process. */
export function planForHome(
  context: HomeContext,
  layout: HomeLayout,
  extra: { node?: string; systemUnitDir?: string; lingerDir?: string } = {},
): ServicePlan {
  const user = currentUser(context.env);
  return servicePlan({
    platform: context.platform,
    scope: context.scope,
    layout,
    node: extra.node ?? process.execPath,
    userHome: context.userHome,
    username: user.username,
    uid: user.uid,
    env: context.env,
    ...(extra.systemUnitDir ? { systemUnitDir: extra.systemUnitDir } : {}),
    ...(extra.lingerDir ? { lingerDir: extra.lingerDir } : {}),
  });
}

function runSteps(steps: readonly ServiceStep[], run: CommandRunner, hint: string): void {
  for (const step of steps) {
    const result = run(step.argv);
    if (!result.ok && !step.mayFail) {
      const detail = result.output.split('\n')[0] || 'failed';
      throw new ServiceError(`\`${step.argv.join(' ')}\` failed: ${detail} — ${hint}`);
    }
  }
}

/** Throws ServiceError when the service manager cannot be used here (before anything is changed). */
export function checkService(plan: ServicePlan, run: CommandRunner = runCommand): void {
  runSteps(plan.check, run, plan.hint);
}

const ignoringFailures = (steps: readonly ServiceStep[]) => steps.map((step) => ({ ...step, mayFail: true }));

/**
 * Writes the service's files and starts it (an installed service is replaced and restarted). On a
 * failure the files are put back as they were before and ServiceError says what failed.
 */
export function startService(plan: ServicePlan, run: CommandRunner = runCommand): void {
  const before = plan.files.map((file) => (existsSync(file.path) ? readFileSync(file.path) : null));
  try {
    for (const file of plan.files) {
      mkdirSync(path.dirname(file.path), { recursive: true });
      writeFileSync(file.path, file.content, { mode: 0o644 });
    }
    runSteps(plan.start, run, plan.hint);
  } catch (error) {
    plan.files.forEach((file, index) => {
      const old = before[index];
      if (old) writeFileSync(file.path, old);
      else rmSync(file.path, { force: true });
    });
    runSteps(ignoringFailures(plan.afterRemoval), run, plan.hint);
    throw error instanceof ServiceError
      ? error
      : new ServiceError(`${(error as Error).message} — ${plan.hint}`);
  }
}

/** Stops and unregisters the service and removes its files; true when there was one. */
export function removeService(plan: ServicePlan, run: CommandRunner = runCommand): boolean {
  const installed = plan.files.some((file) => existsSync(file.path));
  if (!installed) return false;
  runSteps(ignoringFailures(plan.stop), run, plan.hint);
  for (const file of plan.files) rmSync(file.path, { force: true });
  runSteps(ignoringFailures(plan.afterRemoval), run, plan.hint);
  return true;
}
