// The session's cookie jar (docs/decisions.md D2): any cookie the farm sets is sent back. Deliberately
// small: host-only cookies keyed by host, path-prefix matching, Max-Age/Expires honoured (a past
// date or Max-Age <= 0 deletes), Secure cookies only over https. That is all a SheepIt farm
// uses (one PHP session cookie), so a general-purpose jar (tough-cookie) would add a dependency and
// a public-suffix list for nothing. Domain attributes widen nothing here: a cookie stays with the
// host that set it, which is stricter than RFC 6265 and never leaks a cookie to another host.
import type { Clock } from '../clock.js';

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  secure: boolean;
  expiresAt: number | undefined;
}

const MAX_COOKIES_PER_HOST = 50;

export class CookieJar {
  private readonly byHost = new Map<string, Map<string, StoredCookie>>();

  constructor(private readonly clock: Clock) {}

  /** Stores the Set-Cookie headers of an answer from `url`. Malformed headers are ignored. */
  store(url: string, setCookie: string | readonly string[] | undefined): void {
    if (setCookie === undefined) return;
    const { host } = new URL(url);
    for (const header of typeof setCookie === 'string' ? [setCookie] : setCookie) {
      const cookie = this.parse(header, url);
      if (!cookie) continue;
      const cookies = this.byHost.get(host) ?? new Map<string, StoredCookie>();
      const key = `${cookie.name};${cookie.path}`;
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= this.clock.now()) cookies.delete(key);
      else if (cookies.has(key) || cookies.size < MAX_COOKIES_PER_HOST) cookies.set(key, cookie);
      this.byHost.set(host, cookies);
    }
  }

  /** The Cookie header for a request to `url`, or undefined when no cookie applies. */
  header(url: string): string | undefined {
    const target = new URL(url);
    const cookies = this.byHost.get(target.host);
    if (!cookies) return undefined;
    const now = this.clock.now();
    const matching = [...cookies.values()]
      .filter((c) => c.expiresAt === undefined || c.expiresAt > now)
      .filter((c) => pathMatches(target.pathname, c.path))
      .filter((c) => !c.secure || target.protocol === 'https:')
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length === 0 ? undefined : matching.map((c) => `${c.name}=${c.value}`).join('; ');
  }

  clear(): void {
    this.byHost.clear();
  }

  private parse(header: string, url: string): StoredCookie | undefined {
    const [pair = '', ...attributes] = header.split(';');
    const equals = pair.indexOf('=');
    if (equals <= 0) return undefined;
    const name = pair.slice(0, equals).trim();
    const value = pair.slice(equals + 1).trim();
    if (name === '' || /[\s,;]/.test(name)) return undefined;
    const cookie: StoredCookie = { name, value, path: defaultPath(url), secure: false, expiresAt: undefined };
    let maxAgeSeen = false;
    for (const attribute of attributes) {
      const [rawKey = '', ...rest] = attribute.split('=');
      const key = rawKey.trim().toLowerCase();
      const attributeValue = rest.join('=').trim();
      if (key === 'path' && attributeValue.startsWith('/')) cookie.path = attributeValue;
      else if (key === 'secure') cookie.secure = true;
      else if (key === 'max-age' && /^-?\d+$/.test(attributeValue)) {
        maxAgeSeen = true;
        cookie.expiresAt = this.clock.now() + Number(attributeValue) * 1000;
      } else if (key === 'expires' && !maxAgeSeen) {
        const date = Date.parse(attributeValue);
        if (!Number.isNaN(date)) cookie.expiresAt = date;
      }
    }
    return cookie;
  }
}

/** RFC 6265 §5.1.4 default-path: the request path up to (not including) its last `/`. */
function defaultPath(url: string): string {
  const { pathname } = new URL(url);
  const lastSlash = pathname.lastIndexOf('/');
  return lastSlash <= 0 ? '/' : pathname.slice(0, lastSlash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}
