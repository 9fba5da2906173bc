// Parsers of what each OS's idle-time tool prints. Tool output is untrusted text: anything that is not
// the expected shape, or an idle time past MAX_IDLE_SECONDS, reads as null (never a throw).

/** Longer than any real idle time (about 31 years): a larger figure is a garbled answer. */
export const MAX_IDLE_SECONDS = 1e9;
/** An answer longer than this is not a tool's idle figure. */
const MAX_ANSWER_CHARS = 64 * 1024;

function idleSeconds(value: number): number | null {
  return Number.isFinite(value) && value >= 0 && value <= MAX_IDLE_SECONDS ? value : null;
}

function wholeNumber(digits: string | undefined): number | null {
  if (digits === undefined || !/^\d{1,20}$/.test(digits)) return null;
  const value = Number(digits);
  return Number.isSafeInteger(value) ? value : null;
}

function bounded(text: string): string | null {
  return typeof text === 'string' && text.length <= MAX_ANSWER_CHARS ? text : null;
}

/** `xprintidle`: the X server's idle time in milliseconds, alone on a line (`123456`). */
export function parseXprintidle(text: string): number | null {
  const milliseconds = wholeNumber(bounded(text)?.trim());
  return milliseconds === null ? null : idleSeconds(milliseconds / 1000);
}

/** GNOME's `org.gnome.Mutter.IdleMonitor.GetIdletime` through `gdbus call`: `(uint64 123456,)`, ms. */
export function parseMutterIdletime(text: string): number | null {
  const match = /^\(uint64 (\d{1,20}),\)$/.exec(bounded(text)?.trim() ?? '');
  const milliseconds = wholeNumber(match?.[1]);
  return milliseconds === null ? null : idleSeconds(milliseconds / 1000);
}

/** One session of `loginctl show-session -p Id -p Type -p Class -p Active -p IdleHint -p IdleSinceHint ID…`. */
export interface LogindSession {
  id: string;
  /** `x11`, `wayland`, `mir`: graphical; `tty`, `unspecified`: not. */
  type: string;
  /** `user`; `greeter` (the login screen), `lock-screen`, `background`: not the owner's. */
  sessionClass: string;
  /** The session in the foreground of its seat (the one keyboard and mouse go to). */
  active: boolean;
  /** Seconds since the session went idle, 0 while it is in use; null when unreadable. */
  idleSeconds: number | null;
}

const GRAPHICAL_SESSION_TYPES = new Set(['x11', 'wayland', 'mir']);

/** A desktop the owner uses now: graphical, a user's (not the login screen's), in the foreground. */
export function isOwnerDesktop(session: LogindSession): boolean {
  return GRAPHICAL_SESSION_TYPES.has(session.type) && session.sessionClass === 'user' && session.active;
}

/**
 * `Key=value` blocks, one per session, separated by blank lines. `IdleSinceHint` is the wall-clock
 * time the session went idle in microseconds since the epoch (0 when never idle), and only counts
 * while `IdleHint=yes`; the desktop sets the hint after its own idle delay (GNOME: the screen-blank
 * delay), so a logind reading says "in use" until then.
 */
export function parseLoginctlSessions(text: string, nowMs: number): LogindSession[] {
  const sessions: LogindSession[] = [];
  for (const block of (bounded(text) ?? '').split(/\r?\n\s*\r?\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split(/\r?\n/)) {
      const match = /^([A-Za-z]{1,32})=(.{0,256})$/.exec(line.trim());
      if (match) fields.set(match[1] as string, match[2] as string);
    }
    const id = fields.get('Id');
    if (id === undefined || !/^[\w-]{1,64}$/.test(id)) continue;
    sessions.push({
      id,
      type: (fields.get('Type') ?? '').toLowerCase(),
      sessionClass: (fields.get('Class') ?? '').toLowerCase(),
      active: fields.get('Active') === 'yes',
      idleSeconds: logindIdle(fields, nowMs),
    });
    if (sessions.length >= 1_000) break;
  }
  return sessions;
}

function logindIdle(fields: Map<string, string>, nowMs: number): number | null {
  const hint = fields.get('IdleHint');
  if (hint === 'no') return 0;
  if (hint !== 'yes') return null;
  const sinceMicros = wholeNumber(fields.get('IdleSinceHint'));
  if (sinceMicros === null || sinceMicros === 0) return null;
  const seconds = (nowMs - sinceMicros / 1000) / 1000;
  // A hint a little in the future is clock skew between logind and the agent's clock: idle since now.
  return seconds < 0 && seconds > -60 ? 0 : idleSeconds(seconds);
}

/**
 * The session ids of `loginctl list-sessions --no-legend`: rows start `SESSION UID USER`, later columns
 * vary by systemd version; anything else ("No sessions.") is not a row.
 */
export function parseLoginctlSessionIds(text: string): string[] {
  const ids: string[] = [];
  for (const line of (bounded(text) ?? '').split(/\r?\n/)) {
    const id = /^\s*([\w-]{1,64})\s+\d{1,10}\s/.exec(line)?.[1];
    if (id !== undefined && !ids.includes(id)) ids.push(id);
    if (ids.length >= 100) break;
  }
  return ids;
}

/** macOS `ioreg -c IOHIDSystem`: `"HIDIdleTime" = 1234567890` in nanoseconds (the first one printed). */
export function parseIoregHidIdleTime(text: string): number | null {
  const match = /"HIDIdleTime" = (\d{1,20})\b/.exec(bounded(text) ?? '');
  const nanoseconds = wholeNumber(match?.[1]);
  return nanoseconds === null ? null : idleSeconds(nanoseconds / 1e9);
}

/** The Windows idle script's answer: milliseconds since the last input, or -1 when the call failed. */
export function parseWindowsIdleMs(text: string): number | null {
  const milliseconds = wholeNumber(bounded(text)?.trim());
  return milliseconds === null ? null : idleSeconds(milliseconds / 1000);
}
