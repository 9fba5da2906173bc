// The farm server the console hands agents without one of their own: an http(s) address and nothing
// else, since the agent sends its farm account there.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeConsoleMessage, FarmServerUrlSchema, MAX_FARM_SERVER_CHARS } from '../src/link';

const settingsWith = (farmServer: unknown) =>
  JSON.stringify({
    type: 'fleet-settings',
    settings: { clientVersion: null, farmServer, blockedProjects: [] },
  });

describe('the fleet farm server', () => {
  it.each([
    'http://127.0.0.1:8080',
    'https://client.sheepit-renderfarm.com',
    'https://farm.example.net/sandbox/',
  ])('accepts %s', (url) => {
    expect(FarmServerUrlSchema.parse(url)).toBe(url);
  });

  it.each([
    ['a user name and password', 'https://demo:demo@farm.example.net'],
    ['a user name', 'https://demo@farm.example.net'],
    ['another scheme', 'file:///etc/passwd'],
    ['javascript', 'javascript:alert(1)'],
    ['a relative address', '/server'],
    ['a control character', 'http://farm.example.net/\u0000x'],
    ['a line break', 'http://farm.example\n.net'],
    ['an empty string', ''],
    ['a huge address', `https://farm.example.net/${'a'.repeat(MAX_FARM_SERVER_CHARS)}`],
  ])('refuses %s', (_label, url) => {
    expect(FarmServerUrlSchema.safeParse(url).success).toBe(false);
    const decoded = decodeConsoleMessage(settingsWith(url));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(/farmServer/);
  });

  it('reads fleet settings without one (an older console) as the public farm', () => {
    const decoded = decodeConsoleMessage(
      JSON.stringify({ type: 'fleet-settings', settings: { clientVersion: null, blockedProjects: [] } }),
    );
    expect(decoded).toMatchObject({ ok: true, message: { settings: { farmServer: null } } });
  });

  it('never lets an address with credentials or another scheme through', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const parsed = FarmServerUrlSchema.safeParse(text);
        if (!parsed.success) return;
        const url = new URL(parsed.data);
        expect(['http:', 'https:']).toContain(url.protocol);
        expect(url.username + url.password).toBe('');
      }),
    );
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true }), (text) => {
        const url = new URL(text);
        const expected = url.username === '' && url.password === '' && text.length <= MAX_FARM_SERVER_CHARS;
        expect(FarmServerUrlSchema.safeParse(text).success).toBe(expected);
      }),
    );
  });
});
