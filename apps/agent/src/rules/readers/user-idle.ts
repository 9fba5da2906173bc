// How long the owner has left the keyboard and mouse alone, per OS:
// - Linux with a display (DISPLAY / WAYLAND_DISPLAY): `xprintidle` (X11's screen-saver extension),
//   else GNOME's Mutter IdleMonitor over D-Bus (the one idle source GNOME on Wayland offers to
//   clients), else logind's idle hint of this session.
// - Linux without a display (a service started at boot): the graphical logind sessions of the
//   machine, if any (the owner at the desktop while the agent runs as a service); none: headless.
// - macOS: `ioreg`'s HIDIdleTime (the whole machine's input, readable from a launch daemon too).
// - Windows: GetLastInputInfo in one long-lived PowerShell (starting PowerShell costs 0.5–1 s, too
//   much for a read every few seconds). A service (no SESSIONNAME: session 0 has no input) is headless.
// A session whose tool fails is `unknown` with a null idle time; the rules count it idle.
import type { MachineFacts } from '@flock/protocol';
import { PowerShellSession } from '../../render/powershell-session.js';
import { cachedFor } from './cached.js';
import {
  isOwnerDesktop,
  parseIoregHidIdleTime,
  parseLoginctlSessionIds,
  parseLoginctlSessions,
  parseMutterIdletime,
  parseWindowsIdleMs,
  parseXprintidle,
} from './idle-parsers.js';
import type { CommandRunner } from './run-command.js';

export type UserIdle = Pick<MachineFacts, 'session' | 'userIdleSeconds'>;

export interface UserIdleReader {
  read(): Promise<UserIdle>;
  close(): void;
}

/** Runs one PowerShell command and resolves with what it printed (a long-lived session in the agent). */
export type PowerShellRunner = { run(command: string): Promise<string>; close(): void };

export interface UserIdleOptions {
  platform: NodeJS.Platform;
  env: Readonly<Record<string, string | undefined>>;
  run: CommandRunner;
  now: () => number;
  /** Windows only; default: a `powershell.exe` session started at the first read. */
  powerShell?: PowerShellRunner;
}

const HEADLESS: UserIdle = { session: 'headless', userIdleSeconds: null };
const UNKNOWN: UserIdle = { session: 'unknown', userIdleSeconds: null };
/** logind's session list changes at log-in and log-out: it is listed again after this long. */
const SESSION_LIST_MAX_AGE_MS = 30_000;

type IdleSource = () => Promise<number | null>;

export function createUserIdleReader(options: UserIdleOptions): UserIdleReader {
  switch (options.platform) {
    case 'linux':
    case 'freebsd':
    case 'openbsd':
      return hasDisplay(options.env) ? desktopReader(linuxDisplaySources(options)) : logindReader(options);
    case 'darwin':
      return desktopReader([
        async () => parseIoregHidIdleTime((await options.run('ioreg', IOREG_ARGS)) ?? ''),
      ]);
    case 'win32':
      return options.env.SESSIONNAME ? windowsReader(options) : constantReader(HEADLESS);
    default:
      return constantReader(UNKNOWN);
  }
}

export function hasDisplay(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

const IOREG_ARGS = ['-c', 'IOHIDSystem', '-r', '-d', '1', '-k', 'HIDIdleTime'];
const MUTTER_ARGS = [
  'call',
  '--session',
  '--dest',
  'org.gnome.Mutter.IdleMonitor',
  '--object-path',
  '/org/gnome/Mutter/IdleMonitor/Core',
  '--method',
  'org.gnome.Mutter.IdleMonitor.GetIdletime',
];
const SHOW_SESSION_ARGS = [
  'show-session',
  ...['-p', 'Id', '-p', 'Type', '-p', 'Class', '-p', 'Active', '-p', 'IdleHint', '-p', 'IdleSinceHint'],
];

function linuxDisplaySources({ env, run, now }: UserIdleOptions): IdleSource[] {
  const sources: IdleSource[] = [];
  if (env.DISPLAY) sources.push(async () => parseXprintidle((await run('xprintidle', [])) ?? ''));
  sources.push(async () => parseMutterIdletime((await run('gdbus', MUTTER_ARGS)) ?? ''));
  const sessionId = env.XDG_SESSION_ID;
  if (sessionId && /^[\w-]{1,64}$/.test(sessionId)) {
    sources.push(async () => {
      const [session] = parseLoginctlSessions(
        (await run('loginctl', [...SHOW_SESSION_ARGS, sessionId])) ?? '',
        now(),
      );
      return session?.idleSeconds ?? null;
    });
  }
  return sources;
}

/**
 * Tries the sources in order and keeps to the first that answers; when it stops answering the next
 * read starts over from the first (a tool installed later is picked up). None answers: `unknown`.
 */
function desktopReader(sources: IdleSource[]): UserIdleReader {
  let working = 0;
  return {
    async read() {
      for (let attempt = 0; attempt < sources.length; attempt++) {
        const index = (working + attempt) % sources.length;
        const seconds = await (sources[index] as IdleSource)().catch(() => null);
        if (seconds !== null) {
          working = index;
          return { session: 'desktop', userIdleSeconds: seconds };
        }
      }
      working = 0;
      return UNKNOWN;
    },
    close() {},
  };
}

/** No display in the agent's environment: the owner's desktop sessions in logind, the least idle one. */
function logindReader({ run, now }: UserIdleOptions): UserIdleReader {
  const sessionIds = cachedFor(SESSION_LIST_MAX_AGE_MS, now, async () =>
    parseLoginctlSessionIds((await run('loginctl', ['list-sessions', '--no-legend'])) ?? ''),
  );
  return {
    async read() {
      const ids = await sessionIds();
      if (ids.length === 0) return HEADLESS;
      const answer = await run('loginctl', [...SHOW_SESSION_ARGS, ...ids]);
      const graphical = parseLoginctlSessions(answer ?? '', now()).filter(isOwnerDesktop);
      if (graphical.length === 0) return answer === undefined ? UNKNOWN : HEADLESS;
      const idle = graphical.map((session) => session.idleSeconds);
      if (idle.some((seconds) => seconds === null)) return { session: 'desktop', userIdleSeconds: null };
      return { session: 'desktop', userIdleSeconds: Math.min(...(idle as number[])) };
    },
    close() {},
  };
}

/** Defines the GetLastInputInfo call once per session, then prints the idle milliseconds (-1: failed). */
export const WINDOWS_IDLE_COMMAND =
  "if (-not ('FlockIdle' -as [type])) { Add-Type -TypeDefinition 'using System; using System.Runtime.InteropServices; " +
  'public static class FlockIdle { [StructLayout(LayoutKind.Sequential)] struct LastInputInfo { public uint Size; public uint Time; } ' +
  '[DllImport("user32.dll")] static extern bool GetLastInputInfo(ref LastInputInfo info); ' +
  'public static long IdleMs() { var info = new LastInputInfo(); info.Size = (uint)Marshal.SizeOf(info); ' +
  "if (!GetLastInputInfo(ref info)) return -1; return (long)unchecked((uint)Environment.TickCount - info.Time); } }' }; " +
  '[FlockIdle]::IdleMs()';

function windowsReader(options: UserIdleOptions): UserIdleReader {
  const powerShell = options.powerShell ?? new PowerShellSession('powershell.exe');
  const reader = desktopReader([async () => parseWindowsIdleMs(await powerShell.run(WINDOWS_IDLE_COMMAND))]);
  return { read: () => reader.read(), close: () => powerShell.close() };
}

function constantReader(value: UserIdle): UserIdleReader {
  return { read: async () => value, close() {} };
}
