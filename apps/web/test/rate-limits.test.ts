// Password and pairing limits hold when the attempts arrive all at once, not only one after another.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningConsole } from '../src/server/start';
import { ADMIN_PASSWORD, call, login, startTestConsole } from './support/console';

let running: RunningConsole | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function start(): Promise<RunningConsole> {
  running = await startTestConsole();
  return running;
}

async function mutation(r: RunningConsole, path: string, input: unknown, cookie?: string): Promise<number> {
  const response = await fetch(`${r.url}/api/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: JSON.stringify(input),
  });
  await response.text();
  return response.status;
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe('password attempts under concurrency', () => {
  it('checks at most 5 of 100 simultaneous wrong logins, and /healthz answers during the burst', async () => {
    const r = await start();
    const checksBefore = r.core.auth.passwordChecks;
    let settled = 0;
    const burst = Array.from({ length: 100 }, (_, i) =>
      mutation(r, 'auth.login', { password: `guess number ${i}` }).finally(() => settled++),
    );
    const health = await fetch(`${r.url}/healthz`);
    const settledWhenHealthy = settled;
    const statuses = await Promise.all(burst);
    expect(health.status).toBe(200);
    expect(settledWhenHealthy).toBeLessThan(100);
    expect(count(statuses, 401)).toBeLessThanOrEqual(5);
    expect(count(statuses, 401) + count(statuses, 429)).toBe(100);
    expect(r.core.auth.passwordChecks - checksBefore).toBe(count(statuses, 401));
  });

  it('still lets the right password in after wrong ones, and a success does not use up an attempt', async () => {
    const r = await start();
    for (let i = 0; i < 4; i++) expect(await mutation(r, 'auth.login', { password: `guess ${i}` })).toBe(401);
    for (let i = 0; i < 3; i++)
      expect(await mutation(r, 'auth.login', { password: ADMIN_PASSWORD })).toBe(200);
    expect(await mutation(r, 'auth.login', { password: 'guess 5' })).toBe(401);
    expect(await mutation(r, 'auth.login', { password: 'guess 6' })).toBe(429);
  });

  it('checks at most 5 of 100 simultaneous wrong current passwords on change-password', async () => {
    const r = await start();
    const cookie = await login(r);
    const checksBefore = r.core.auth.passwordChecks;
    const statuses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        mutation(r, 'auth.changePassword', { current: `wrong ${i}`, next: 'a brand new password' }, cookie),
      ),
    );
    expect(count(statuses, 403)).toBeLessThanOrEqual(5);
    expect(count(statuses, 403) + count(statuses, 429)).toBe(100);
    expect(r.core.auth.passwordChecks - checksBefore).toBeLessThanOrEqual(5);
  });

  it('hashes at most 5 of 50 simultaneous add-user requests', async () => {
    const r = await start();
    const cookie = await login(r);
    const checksBefore = r.core.auth.passwordChecks;
    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        mutation(r, 'users.add', { username: `user${i}`, password: 'a long enough password' }, cookie),
      ),
    );
    expect(count(statuses, 200)).toBeLessThanOrEqual(5);
    expect(r.core.auth.passwordChecks - checksBefore).toBeLessThanOrEqual(5);
    const users = await call(r, 'query', 'users.list', undefined, { cookie });
    expect((users.body as { result: { data: unknown[] } }).result.data.length).toBe(1 + count(statuses, 200));
  });
});

/** A pairing attempt with a made-up code, sent from the given loopback address. */
function pairFrom(r: RunningConsole, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ code: 'ZZZZ-ZZZZ', hostname: 'guesser' });
    const req = request(new URL('/api/pair', r.url), {
      method: 'POST',
      localAddress,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('pairing attempts under concurrency', () => {
  it('limits pairing per address and for the whole console, even when 80 addresses try at once', async () => {
    const r = await start();
    const addresses = Array.from({ length: 80 }, (_, i) => `127.0.0.${i + 2}`);
    const statuses = await Promise.all(addresses.map((address) => pairFrom(r, address)));
    expect(count(statuses, 403)).toBe(60);
    expect(count(statuses, 429)).toBe(20);
    // One address alone still gets its own 10 a minute at most.
    const own = await Promise.all(Array.from({ length: 12 }, () => pairFrom(r, '127.0.1.1')));
    expect(count(own, 403)).toBe(0);
    expect(count(own, 429)).toBe(12);
  });

  it('limits one address to 10 pairing attempts a minute, even sent at once', async () => {
    const r = await start();
    const statuses = await Promise.all(Array.from({ length: 30 }, () => pairFrom(r, '127.0.0.9')));
    expect([count(statuses, 403), count(statuses, 429)]).toEqual([10, 20]);
  });
});
