import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'flock_session';

/** The cookie's value, or undefined when it is missing or not valid percent-encoding (no session). */
export function readCookie(req: Pick<IncomingMessage, 'headers'>, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key !== name) continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** HttpOnly (no script can read it), SameSite=Strict (no cross-site request carries it). */
export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${encodeURIComponent(token)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAgeSeconds}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

export const clearedSessionCookie = (): string =>
  `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;

/**
 * True when the request comes from the console's own pages. Browsers always send Origin on POST and
 * on WebSocket upgrades; a request without one (curl, an agent) is not a browser and cannot carry a
 * victim's cookie cross-site. An Origin equal to the Host header is accepted only for IP literals and
 * localhost: a DNS name must be configured (`--public-url`), which defeats DNS rebinding.
 */
export function isSameOrigin(req: Pick<IncomingMessage, 'headers'>, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  const host = req.headers.host;
  if (!host || (origin !== `http://${host}` && origin !== `https://${host}`)) return false;
  const hostname = new URL(origin).hostname;
  return hostname === 'localhost' || /^[\d.]+$/.test(hostname) || hostname.startsWith('[');
}
