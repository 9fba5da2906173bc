import type { IncomingMessage, ServerResponse } from 'node:http';
import { log } from './log';

/** A request body over its route's limit, declared (Content-Length) or sent. */
export class BodyTooLarge extends Error {
  constructor(readonly limitBytes: number) {
    super(`request body too large (limit ${limitBytes} bytes)`);
  }
}

export function json(res: ServerResponse, status: number, body: unknown, headers: object = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Reads a request body of at most `limitBytes`. A larger Content-Length is refused before any byte is
 * read; a body that grows past the limit stops being read at the chunk that crosses it. Either way it
 * rejects with BodyTooLarge and keeps nothing: the caller answers with `refuseTooLarge`.
 */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (!(declared <= limitBytes)) return Promise.reject(new BodyTooLarge(limitBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onFailure);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) return void chunks.push(chunk);
      stop();
      req.pause();
      chunks.length = 0;
      reject(new BodyTooLarge(limitBytes));
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size));
    };
    const onFailure = (error: Error) => {
      stop();
      reject(error);
    };
    const onClose = () => onFailure(new Error('the client closed the connection mid-body'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onFailure);
    req.on('close', onClose);
  });
}

/**
 * Answers and closes the connection once the answer is out, so the rest of the request's body is
 * never read: the console's memory and bandwidth stay bounded whatever the client keeps sending.
 */
export function answerAndClose(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  error: string,
): void {
  res.once('finish', () => req.socket.destroy());
  json(res, status, { error }, { connection: 'close' });
}

export function refuseTooLarge(req: IncomingMessage, res: ServerResponse, error: BodyTooLarge): void {
  log('warn', `http: refused a body over ${error.limitBytes} bytes from ${req.socket.remoteAddress}`);
  answerAndClose(req, res, 413, error.message);
}
