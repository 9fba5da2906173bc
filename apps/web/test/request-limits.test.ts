// Request bodies are capped at the socket: an oversized body is refused with 413 and the console stops
// reading it (the bytes it read stay near the cap, whatever the client sends), for pairing and tRPC.
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningConsole } from '../src/server/start';
import { call, login, startTestConsole } from './support/console';

const MiB = 1024 * 1024;
let running: RunningConsole | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** Every byte the server read from its clients' sockets, counted on the server's side. */
function serverBytesRead(r: RunningConsole): () => number {
  const sockets: Socket[] = [];
  r.server.on('connection', (socket: Socket) => sockets.push(socket));
  return () => sockets.reduce((sum, socket) => sum + socket.bytesRead, 0);
}

interface HugeUpload {
  status: number | null;
  body: string;
  bytesSent: number;
}

/**
 * POSTs `total` bytes in 64 KiB chunks (chunked, or with an honest Content-Length), writing only as
 * fast as the socket takes them; stops when the server answers-and-closes or refuses the connection.
 */
function uploadHuge(
  url: string,
  path: string,
  total: number,
  options: { declareLength: boolean; cookie?: string },
): Promise<HugeUpload> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const result: HugeUpload = { status: null, body: '', bytesSent: 0 };
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      req.destroy();
      resolve(result);
    };
    const req = request(new URL(path, url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.declareLength ? { 'content-length': String(total) } : {}),
        ...(options.cookie ? { cookie: options.cookie } : {}),
      },
    });
    req.on('response', (res) => {
      result.status = res.statusCode ?? null;
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        result.body += text;
      });
      res.on('end', finish);
      res.on('error', finish);
    });
    req.on('error', finish);
    req.on('close', () => setTimeout(finish, 50));
    const pump = () => {
      while (!settled && !req.destroyed && result.bytesSent < total) {
        result.bytesSent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!settled && !req.destroyed) req.end();
    };
    pump();
  });
}

describe('request bodies are capped at the socket', () => {
  it('refuses a 64 MiB pairing body with 413 and stops reading it', async () => {
    running = await startTestConsole();
    const bytesRead = serverBytesRead(running);
    const upload = await uploadHuge(running.url, '/api/pair', 64 * MiB, { declareLength: false });
    expect(upload.status).toBe(413);
    expect(JSON.parse(upload.body)).toEqual({ error: expect.stringMatching(/too large/) });
    expect(bytesRead()).toBeLessThan(MiB);
    expect(upload.bytesSent).toBeLessThan(64 * MiB);
    // The console is still there for everyone else.
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
  });

  it('refuses a pairing body whose Content-Length is over the cap before reading any of it', async () => {
    running = await startTestConsole();
    const bytesRead = serverBytesRead(running);
    const upload = await uploadHuge(running.url, '/api/pair', 700 * MiB, { declareLength: true });
    expect(upload.status).toBe(413);
    expect(bytesRead()).toBeLessThan(MiB);
  });

  it('refuses a 64 MiB tRPC body with 413 and stops reading it, with or without a session', async () => {
    running = await startTestConsole();
    const cookie = await login(running);
    const bytesRead = serverBytesRead(running);
    for (const session of [undefined, cookie]) {
      const upload = await uploadHuge(running.url, '/api/trpc/auth.login', 64 * MiB, {
        declareLength: false,
        ...(session ? { cookie: session } : {}),
      });
      expect(upload.status).toBe(413);
      expect(upload.bytesSent).toBeLessThan(64 * MiB);
    }
    expect(bytesRead()).toBeLessThan(4 * MiB);
    // Normal requests still work.
    expect((await call(running, 'query', 'fleet.list', undefined, { cookie })).status).toBe(200);
  });

  it('refuses a body sent to a page or the health check (neither takes one) and stops reading it', async () => {
    running = await startTestConsole();
    const bytesRead = serverBytesRead(running);
    for (const path of ['/login', '/healthz']) {
      const upload = await uploadHuge(running.url, path, 64 * MiB, { declareLength: false });
      expect(upload.status, path).toBe(405);
    }
    expect(bytesRead()).toBeLessThan(2 * MiB);
  });

  it('keeps the unauthenticated tRPC cap small: 64 KiB without a session is refused', async () => {
    running = await startTestConsole();
    const upload = await uploadHuge(running.url, '/api/trpc/auth.login', 64 * 1024 + 1, {
      declareLength: true,
    });
    expect(upload.status).toBe(413);
  });
});

describe('hostile headers', () => {
  it('treats a malformed session cookie as no session (401 / login page), not a server error', async () => {
    running = await startTestConsole();
    const cookie = 'flock_session=%E0%A4%A';
    const api = await fetch(`${running.url}/api/trpc/fleet.list`, { headers: { cookie } });
    expect(api.status).toBe(401);
    const page = await fetch(`${running.url}/machines/x`, { headers: { cookie }, redirect: 'manual' });
    expect(page.status).toBe(303);
    const wrongLogin = await fetch(`${running.url}/api/trpc/auth.login`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'wrong password' }),
    });
    expect(wrongLogin.status).toBe(401);
  });
});
