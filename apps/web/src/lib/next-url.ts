/**
 * Where to go after logging in: `next` resolved against this console's origin, or the console's home
 * when it resolves anywhere else. The browser's own URL parser decides, so tricks it would follow
 * (`/\evil.example`, a tab or newline inside `//`, `javascript:`) are judged the way it judges them;
 * the answer is a full URL on this origin, so no path (even `//…`) can be read as another host.
 */
export function nextUrl(next: string | null, origin: string): string {
  const home = new URL('/', origin).href;
  if (!next) return home;
  try {
    const url = new URL(next, origin);
    return url.origin === origin ? url.href : home;
  } catch {
    return home;
  }
}
