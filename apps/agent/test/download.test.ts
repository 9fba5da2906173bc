import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import {
  createDispatcher,
  DownloadError,
  type DownloadFileOptions,
  type DownloadProgress,
  downloadFile,
} from '../src/download/index.js';
import { startTestServer, type TestServer } from './download-server.js';

const body = randomBytes(3 * 1024 * 1024 + 123);
const md5 = createHash('md5').update(body).digest('hex');

let server: TestServer;
let dispatcher: Agent;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  dispatcher = new Agent();
});
afterAll(async () => {
  await dispatcher.close();
  await server.close();
});
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'flock-download-'));
  return () => rmSync(dir, { recursive: true, force: true });
});

function options(name: string, extra: Partial<DownloadFileOptions> = {}): DownloadFileOptions {
  return {
    url: server.url(name),
    destination: path.join(dir, `${md5}.zip`),
    md5,
    dispatcher,
    backoffMs: () => 0,
    ...extra,
  };
}

describe('downloadFile', () => {
  it('streams to disk, verifies the MD5 and renames the partial file into place', async () => {
    server.serve('ok', { body });
    const result = await downloadFile(options('ok'));
    expect(result).toMatchObject({ md5, bytes: body.length, requests: 1 });
    expect(readFileSync(result.path).equals(body)).toBe(true);
    expect(readdirSync(dir)).toEqual([`${md5}.zip`]);
  });

  it('retries a wrong MD5 and succeeds when a later attempt is right', async () => {
    server.serve('flaky-md5', { body, faults: [{ type: 'corrupt' }, { type: 'corrupt' }] });
    const result = await downloadFile(options('flaky-md5'));
    expect(result.requests).toBe(3);
    expect(readFileSync(result.path).equals(body)).toBe(true);
  });

  it('gives up with a typed md5-mismatch error after 5 attempts and leaves no partial file', async () => {
    server.serve('bad-md5', {
      body,
      faults: Array.from({ length: 10 }, () => ({ type: 'corrupt' as const })),
    });
    const error = await downloadFile(options('bad-md5')).catch((e) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect(error).toMatchObject({ kind: 'md5-mismatch', attempts: 5 });
    expect(server.requests('bad-md5')).toHaveLength(5);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('resumes a cut connection with a Range request when the server supports it', async () => {
    server.serve('resume', { body, ranges: true, faults: [{ type: 'cut', afterBytes: 1_000_000 }] });
    const result = await downloadFile(options('resume'));
    expect(readFileSync(result.path).equals(body)).toBe(true);
    const ranges = server.requests('resume');
    expect(ranges).toHaveLength(2);
    expect(ranges[0]).toBeNull();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(ranges[1]?.slice(6, -1))).toBeGreaterThan(0);
  });

  it('starts over when a resume is answered with a range it did not ask for', async () => {
    const faults = [{ type: 'cut' as const, afterBytes: 1_000_000 }, { type: 'wrong-range' as const }];
    server.serve('wrong-range', { body, ranges: true, faults });
    const result = await downloadFile(options('wrong-range'));
    expect(readFileSync(result.path).equals(body)).toBe(true);
    const ranges = server.requests('wrong-range');
    expect(ranges).toHaveLength(3);
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(ranges[2]).toBeNull();
  });

  it('restarts from zero when the server ignores Range', async () => {
    server.serve('restart', { body, ranges: false, faults: [{ type: 'cut', afterBytes: 1_000_000 }] });
    const result = await downloadFile(options('restart'));
    expect(readFileSync(result.path).equals(body)).toBe(true);
    expect(server.requests('restart')).toHaveLength(2);
  });

  it('gives up (typed network error) on a server that ignores Range and always cuts at the same point', async () => {
    const cuts = Array.from({ length: 20 }, () => ({ type: 'cut' as const, afterBytes: 1_000_000 }));
    server.serve('always-cut', { body, ranges: false, faults: cuts });
    const error = await downloadFile(options('always-cut')).catch((e) => e);
    expect(error).toMatchObject({ name: 'DownloadError', kind: 'network', attempts: 5 });
    // the first cut was progress; after that the same point is never progress again
    expect(server.requests('always-cut').length).toBeLessThanOrEqual(6);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('sends the farm session cookie and User-Agent with every request, resumes included', async () => {
    server.serve('session', { body, ranges: true, faults: [{ type: 'cut', afterBytes: 1_000_000 }] });
    const headers = { cookie: 'PHPSESSID=abc123', 'user-agent': 'Flock/9.9.9' };
    await downloadFile(options('session', { headers }));
    expect(server.requestHeaders('session')).toEqual([
      { cookie: 'PHPSESSID=abc123', userAgent: 'Flock/9.9.9' },
      { cookie: 'PHPSESSID=abc123', userAgent: 'Flock/9.9.9' },
    ]);
  });

  it('retries HTTP errors, then reports a typed http error', async () => {
    server.serve('5xx', { body, faults: [{ type: 'status', status: 503 }] });
    expect((await downloadFile(options('5xx'))).requests).toBe(2);
    const error = await downloadFile(options('missing')).catch((e) => e);
    expect(error).toMatchObject({ name: 'DownloadError', kind: 'http' });
  });

  it('emits throttled progress with total, rate and ETA, ending at the full size', async () => {
    server.serve('progress', { body });
    const events: DownloadProgress[] = [];
    const clock = new ManualClock();
    let tick = 0;
    // Each progress check sees time advanced by 100 ms, so a 500 ms interval keeps one in five.
    const ticking = { now: () => clock.now() + 100 * tick++, sleep: clock.sleep.bind(clock) };
    await downloadFile(options('progress', { clock: ticking, onProgress: (p) => events.push(p) }));
    expect(events.length).toBeGreaterThan(1);
    expect(events.map((e) => e.bytes)).toEqual([...events.map((e) => e.bytes)].sort((a, b) => a - b));
    const last = events.at(-1) as DownloadProgress;
    expect(last).toMatchObject({ bytes: body.length, total: body.length, etaSeconds: 0 });
    expect(last.bytesPerSecond).toBeGreaterThan(0);
    expect(events.some((e) => e.etaSeconds !== undefined && e.etaSeconds > 0)).toBe(true);
  });

  it('stops when the signal aborts mid-download, removing the partial file', async () => {
    server.serve('stall', { body, faults: [{ type: 'stall', afterBytes: 500_000 }] });
    const controller = new AbortController();
    const pending = downloadFile(
      options('stall', {
        signal: controller.signal,
        progressIntervalMs: 0,
        onProgress: (p) => p.bytes > 0 && controller.abort(new Error('job cancelled')),
      }),
    );
    await expect(pending).rejects.toMatchObject({ name: 'DownloadError', kind: 'aborted' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses to start when the disk is too full, before making a request', async () => {
    server.serve('nospace', { body });
    const error = await downloadFile(options('nospace', { freeBytes: async () => 1000 })).catch((e) => e);
    expect(error).toMatchObject({ kind: 'no-space' });
    expect(server.requests('nospace')).toHaveLength(0);
  });

  it('refuses when the announced size does not fit', async () => {
    server.serve('toobig', { body });
    const error = await downloadFile(options('toobig', { freeBytes: async () => 2 * 1024 * 1024 })).catch(
      (e) => e,
    );
    expect(error).toMatchObject({ kind: 'no-space' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('waits the back-off on the injected clock between attempts', async () => {
    server.serve('backoff', { body, faults: [{ type: 'status', status: 500 }] });
    const manual = new ManualClock();
    // Every request also has its rate-floor window sleeping on the clock: wait for the back-off itself.
    const sleeps: number[] = [];
    const clock = {
      now: () => manual.now(),
      sleep: (ms: number, signal?: AbortSignal) => {
        sleeps.push(ms);
        return manual.sleep(ms, signal);
      },
    };
    const pending = downloadFile(options('backoff', { clock, backoffMs: () => 5000 }));
    while (!sleeps.includes(5000)) await new Promise((r) => setTimeout(r, 5));
    expect(server.requests('backoff')).toHaveLength(1);
    await manual.advance(5000);
    expect((await pending).requests).toBe(2);
  });
});

describe('proxy', () => {
  let proxy: Server;
  let tunnels = 0;
  beforeAll(async () => {
    proxy = createHttpServer();
    proxy.on('connect', (req, socket, head) => {
      tunnels++;
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket).pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

  it('downloads through --proxy with a ProxyAgent', async () => {
    server.serve('proxied', { body });
    const viaProxy = createDispatcher({ proxy: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
    try {
      const result = await downloadFile(options('proxied', { dispatcher: viaProxy }));
      expect(readFileSync(result.path).equals(body)).toBe(true);
      expect(tunnels).toBeGreaterThan(0);
    } finally {
      await viaProxy.close();
    }
    expect(existsSync(`${path.join(dir, md5)}.zip.partial`)).toBe(false);
  });
});
