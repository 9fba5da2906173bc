// A local HTTP server for download tests: serves in-memory files and injects one fault per request
// from a queue (cut connection, wrong bytes, error status, stall, endless body, slow drip),
// honouring Range when asked to.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { type: 'cut'; afterBytes: number }
  | { type: 'corrupt' }
  /** Answers a Range request with 206 for a range it was not asked for (from byte 0). */
  | { type: 'wrong-range' }
  | { type: 'status'; status: number }
  /** Sends `afterBytes` bytes then stalls until the client goes away. */
  | { type: 'stall'; afterBytes: number }
  /** No Content-Length, and bytes that never end (until the client goes away). */
  | { type: 'endless' }
  /** The right headers, then `bytes` bytes every `everyMs` (a slow drip), until the client goes away. */
  | { type: 'drip'; bytes: number; everyMs: number };

export interface RequestHeaders {
  cookie: string | undefined;
  userAgent: string | undefined;
}

export interface ServedFile {
  body: Buffer;
  ranges?: boolean;
  faults?: Fault[];
}

export interface TestServer {
  url(name: string): string;
  serve(name: string, file: ServedFile): void;
  /** Range header (or null) of each request made for a file, in order. */
  requests(name: string): Array<string | null>;
  /** Cookie and User-Agent of each request made for a file, in order. */
  requestHeaders(name: string): RequestHeaders[];
  close(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const files = new Map<string, ServedFile>();
  const log = new Map<string, Array<string | null>>();
  const headerLog = new Map<string, RequestHeaders[]>();
  const server: Server = createServer((req, res) => handle(req, res));

  function handle(req: IncomingMessage, res: ServerResponse) {
    const name = (req.url ?? '/').slice(1);
    const file = files.get(name);
    log.set(name, [...(log.get(name) ?? []), req.headers.range ?? null]);
    const seen = { cookie: req.headers.cookie, userAgent: req.headers['user-agent'] };
    headerLog.set(name, [...(headerLog.get(name) ?? []), seen]);
    if (!file) return void res.writeHead(404).end();
    const fault = file.faults?.shift();
    if (fault?.type === 'status') return void res.writeHead(fault.status).end('nope');
    if (fault?.type === 'endless') return sendForever(res, () => res.write(Buffer.alloc(64 * 1024, 1)), 0);
    if (fault?.type === 'drip') {
      res.writeHead(200, { 'content-length': file.body.length, 'content-type': 'application/zip' });
      let at = 0;
      const drip = () => {
        const chunk = file.body.subarray(at, at + fault.bytes);
        at += fault.bytes;
        return res.write(chunk);
      };
      return sendForever(res, drip, fault.everyMs);
    }
    let body = file.body;
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && file.ranges) start = Number(range[1]);
    if (fault?.type === 'wrong-range') {
      res.writeHead(206, { 'content-range': `bytes 0-${file.body.length - 1}/${file.body.length}` });
      return void res.end(file.body);
    }
    if (fault?.type === 'corrupt')
      body = Buffer.from(body.map((b, i) => (i === body.length >> 1 ? b ^ 0xff : b)));
    const headers: Record<string, string | number> = {
      'content-length': body.length - start,
      'content-type': 'application/zip',
      ...(file.ranges ? { 'accept-ranges': 'bytes' } : {}),
    };
    if (start > 0) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(start > 0 ? 206 : 200, headers);
    const part = body.subarray(start);
    if (fault?.type === 'cut') {
      res.write(part.subarray(0, fault.afterBytes), () => setTimeout(() => res.destroy(), 20));
    } else if (fault?.type === 'stall') {
      res.write(part.subarray(0, fault.afterBytes));
    } else {
      res.end(part);
    }
  }

  /** Calls `write` every `everyMs` (0: whenever the socket has room) until the client hangs up. */
  function sendForever(res: ServerResponse, write: () => boolean, everyMs: number) {
    if (!res.headersSent) res.writeHead(200, { 'content-type': 'application/zip' });
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    const next = () => {
      if (closed) return;
      const room = write();
      if (everyMs > 0) setTimeout(next, everyMs);
      else if (room) setImmediate(next);
      else res.once('drain', next);
    };
    next();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    serve: (name, file) => files.set(name, file),
    requests: (name) => log.get(name) ?? [],
    requestHeaders: (name) => headerLog.get(name) ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
