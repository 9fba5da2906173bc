// Farm calls against a real HTTP server that answers too slowly: a slow drip of an XML answer is cut
// by the rate floor (a read timeout between bytes would never fire) and reported as a timeout.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { FarmHttp, FarmHttpError } from '../src/farm/http.js';

const ANSWER = `<?xml version="1.0" encoding="utf-8"?>\n<keepmealive status="0"/>\n${' '.repeat(4000)}`;
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': ANSWER.length });
    if (request.url === '/fast') return void response.end(ANSWER);
    let at = 0;
    const drip = setInterval(() => {
      if (at >= ANSWER.length || response.destroyed) return clearInterval(drip);
      response.write(ANSWER.slice(at, at + 5));
      at += 5;
    }, 50);
    response.on('close', () => clearInterval(drip));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

async function settleWith<T>(clock: ManualClock, pending: Promise<T>): Promise<T | Error> {
  let settled = false;
  const outcome = pending.then(
    (value) => value,
    (error: Error) => error,
  );
  void outcome.finally(() => {
    settled = true;
  });
  while (!settled) {
    await clock.advance(60_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return outcome;
}

describe('FarmHttp rate floor', () => {
  it('cuts an answer that drips below 1 KiB/s for 60 s, as a timeout', async () => {
    const clock = new ManualClock();
    const http = new FarmHttp({ clock, userAgent: 'test' });
    try {
      const error = await settleWith(clock, http.send({ method: 'GET', url: `${base}/drip`, expect: 'xml' }));
      expect(error).toBeInstanceOf(FarmHttpError);
      expect(error).toMatchObject({ kind: 'timeout' });
      expect((error as Error).message).toMatch(/\/drip: slower than 1024 bytes\/s for 60 s/);
    } finally {
      await http.close();
    }
  });

  it('leaves a normal answer alone, and stops watching once it is in', async () => {
    const clock = new ManualClock();
    const http = new FarmHttp({ clock, userAgent: 'test' });
    try {
      const answer = await http.send({ method: 'GET', url: `${base}/fast`, expect: 'xml' });
      expect(answer).toMatchObject({ status: 200, body: ANSWER });
      expect(clock.pendingSleepers).toBe(0);
    } finally {
      await http.close();
    }
  });
});
