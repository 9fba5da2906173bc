import { describe, expect, it } from 'vitest';
import { isSameOrigin, readCookie, sessionCookie } from '../src/server/auth/cookies';
import { HashSlots, hashPassword, verifyPassword } from '../src/server/auth/passwords';
import { RateLimiter } from '../src/server/auth/rate-limit';
import { newPairingCode } from '../src/server/auth/tokens';

const request = (headers: Record<string, string>) => ({ headers });

describe('origin check', () => {
  it.each([
    [{ host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000' }, true],
    [{ host: 'localhost:3000', origin: 'http://localhost:3000' }, true],
    [{ host: '[::1]:3000', origin: 'http://[::1]:3000' }, true],
    [{ host: '127.0.0.1:3000' }, true], // no Origin: not a browser
    [{ host: '127.0.0.1:3000', origin: 'http://evil.example' }, false],
    [{ host: '127.0.0.1:3000', origin: 'null' }, false],
    // DNS rebinding: the names match, but a DNS name must be configured to be trusted.
    [{ host: 'attacker.example:3000', origin: 'http://attacker.example:3000' }, false],
    [{ host: 'flock.lan', origin: 'https://flock.lan' }, true],
  ])('%o → %s', (headers, expected) => {
    expect(isSameOrigin(request(headers), ['https://flock.lan'])).toBe(expected);
  });
});

describe('passwords', () => {
  it('verifies the right password only, with a salted memory-hard hash', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await hashPassword('correct horse')).not.toBe(hash);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct horse ', hash)).toBe(false);
    expect(await verifyPassword('x', 'garbage')).toBe(false);
  });
});

describe('hash slots', () => {
  it('runs at most `size` derivations at once and refuses the rest at once, never queuing them', async () => {
    const slots = new HashSlots(2);
    let running = 0;
    let peak = 0;
    const work = async () => {
      running++;
      peak = Math.max(peak, running);
      await verifyPassword('guess', await hashPassword('x'));
      running--;
      return 'checked';
    };
    const results = await Promise.all(Array.from({ length: 6 }, () => slots.run(work)));
    expect(results.filter((r) => r === null)).toHaveLength(4);
    expect(results.filter((r) => r?.value === 'checked')).toHaveLength(2);
    expect([peak, slots.admitted]).toEqual([2, 2]);
    // Slots come back when the work ends, also when it throws.
    await expect(slots.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await slots.run(async () => 'again')).toEqual({ value: 'again' });
  });
});

describe('rate limiter', () => {
  it('allows `limit` attempts per window per key', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 1000, () => now);
    expect([limiter.attempt('a'), limiter.attempt('a'), limiter.attempt('a'), limiter.attempt('b')]).toEqual([
      true,
      true,
      false,
      true,
    ]);
    now = 1001;
    expect(limiter.attempt('a')).toBe(true);
  });

  it('checks without counting, and counts only what is recorded', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 1000, () => now);
    for (let i = 0; i < 5; i++) expect(limiter.limited('a')).toBe(false);
    limiter.record('a');
    limiter.record('a');
    expect([limiter.limited('a'), limiter.limited('b')]).toEqual([true, false]);
    now = 1001;
    expect(limiter.limited('a')).toBe(false);
  });

  it('gives an attempt back on release', () => {
    const limiter = new RateLimiter(2, 1000, () => 0);
    expect([limiter.attempt('a'), limiter.attempt('a'), limiter.attempt('a')]).toEqual([true, true, false]);
    limiter.release('a');
    expect([limiter.attempt('a'), limiter.attempt('a')]).toEqual([true, false]);
    limiter.release('unknown');
  });
});

describe('cookies and codes', () => {
  it('reads the session cookie among others and writes it HttpOnly + SameSite=Strict', () => {
    expect(readCookie(request({ cookie: 'a=1; flock_session=tok%3D; b=2' }), 'flock_session')).toBe('tok=');
    expect(sessionCookie('t', 60, true)).toBe(
      'flock_session=t; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure',
    );
  });

  it('makes readable pairing codes', () => {
    for (let i = 0; i < 50; i++) expect(newPairingCode()).toMatch(/^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
  });
});
