import { describe, expect, it } from 'vitest';
import { nextUrl } from '../src/lib/next-url';

const ORIGIN = 'http://127.0.0.1:3000';
const HOME = `${ORIGIN}/`;

describe('nextUrl: where the login page sends the browser', () => {
  it.each([
    ['/machines/abc', `${ORIGIN}/machines/abc`],
    ['/machines/abc?tab=log#end', `${ORIGIN}/machines/abc?tab=log#end`],
    ['/account', `${ORIGIN}/account`],
    [null, HOME],
    ['', HOME],
  ])('keeps a path on this console: %j → %s', (next, expected) => {
    expect(nextUrl(next, ORIGIN)).toBe(expected);
  });

  it.each([
    '//evil.example/',
    '/\\evil.example/',
    '\\\\evil.example/',
    '/\t/evil.example/',
    '/\n/evil.example/',
    '/\r\n/evil.example/',
    '\t//evil.example/',
    ' //evil.example/',
    '/.//evil.example/',
    '/%2e//evil.example/',
    'https://evil.example/',
    'http:evil.example',
    'http:/evil.example',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'http://127.0.0.1:3001/',
    'https://127.0.0.1:3000/',
  ])('never leaves this console: %j', (next) => {
    expect(new URL(nextUrl(next, ORIGIN)).origin).toBe(ORIGIN);
  });

  it('stays on this console for every combination of up to 4 hostile pieces before a host name', () => {
    const pieces = ['/', '\\', '\t', '\n', ' ', '.', ':', '%2F', '@', 'http', 'https:', 'evil.example'];
    let combinations: string[] = [''];
    for (let length = 1; length <= 4; length++) {
      combinations = combinations.flatMap((start) => pieces.map((piece) => start + piece));
      for (const start of combinations) {
        const next = `${start}evil.example/`;
        expect(new URL(nextUrl(next, ORIGIN)).origin, JSON.stringify(next)).toBe(ORIGIN);
      }
    }
  });
});
