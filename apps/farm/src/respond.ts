import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { XML_CONTENT_TYPE } from '@flock/protocol';
import type { FastifyReply } from 'fastify';
import type { FaultSpec } from './faults';

/**
 * Sends every answer of the protocol endpoints, applying the injected faults that fired for the
 * request: delays, HTTP errors, HTML instead of XML, wrong content types, rewritten text, and the raw-socket ones
 * (truncated body, dropped connection, slow bytes/s, corrupted archive) through `reply.hijack()`.
 */
export type AnswerBody = string | Buffer | { file: string; size: number };

export interface Answer {
  status?: number;
  contentType: string;
  body: AnswerBody;
}

export function xmlAnswer(xml: string): Answer {
  return { contentType: XML_CONTENT_TYPE, body: xml };
}

const NOT_XML_PAGE = '<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1></body></html>\n';
const CHUNK_BYTES = 64 * 1024;

export async function respond(
  reply: FastifyReply,
  answer: Answer,
  faults: readonly FaultSpec[] = [],
): Promise<void> {
  for (const fault of faults) if (fault.kind === 'delay') await sleep(fault.ms);
  const httpError = faults.find((fault) => fault.kind === 'http-status');
  if (httpError) {
    await reply
      .code(httpError.status)
      .type('text/plain; charset=utf-8')
      .send(`HTTP ${httpError.status} (fault injected by the sandbox farm)\n`);
    return;
  }
  const shaped = shapeAnswer(answer, faults);
  const plan = streamPlan(faults, sizeOf(shaped.body));
  if (plan === undefined) {
    await sendPlain(reply, shaped);
    return;
  }
  await streamRaw(reply, shaped, plan);
}

function shapeAnswer(answer: Answer, faults: readonly FaultSpec[]): Answer {
  let shaped = answer;
  if (faults.some((fault) => fault.kind === 'not-xml')) {
    shaped = { ...shaped, contentType: 'text/html; charset=utf-8', body: NOT_XML_PAGE };
  }
  const wrongType = faults.find((fault) => fault.kind === 'wrong-content-type');
  if (wrongType) shaped = { ...shaped, contentType: wrongType.contentType ?? 'text/html; charset=utf-8' };
  for (const fault of faults) {
    if (fault.kind !== 'rewrite-answer' || typeof shaped.body !== 'string') continue;
    shaped = { ...shaped, body: shaped.body.replace(new RegExp(fault.pattern, 'g'), fault.replacement) };
  }
  return shaped;
}

interface StreamPlan {
  /** Stop after this many bytes… */
  limit?: number;
  /** …then close cleanly ('truncate') or reset the connection ('drop'). */
  ending?: 'truncate' | 'drop';
  bytesPerSecond?: number;
  /** Flip the byte at this offset (wrong MD5). */
  corruptAt?: number;
}

function streamPlan(faults: readonly FaultSpec[], size: number): StreamPlan | undefined {
  let plan: StreamPlan | undefined;
  for (const fault of faults) {
    if (fault.kind === 'truncate')
      plan = { ...plan, limit: fault.keepBytes ?? Math.floor(size / 2), ending: 'truncate' };
    if (fault.kind === 'drop-connection')
      plan = { ...plan, limit: fault.afterBytes ?? Math.floor(size / 2), ending: 'drop' };
    if (fault.kind === 'slow') plan = { ...plan, bytesPerSecond: fault.bytesPerSecond };
    if (fault.kind === 'wrong-md5' && size > 0) plan = { ...plan, corruptAt: Math.floor(size / 2) };
  }
  return plan;
}

function sizeOf(body: AnswerBody): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  return Buffer.isBuffer(body) ? body.length : body.size;
}

async function sendPlain(reply: FastifyReply, answer: Answer): Promise<void> {
  reply.code(answer.status ?? 200).type(answer.contentType);
  if (typeof answer.body === 'string' || Buffer.isBuffer(answer.body)) {
    await reply.send(answer.body);
    return;
  }
  reply.header('content-length', answer.body.size);
  await reply.send(createReadStream(answer.body.file));
}

async function* chunksOf(body: AnswerBody, chunkBytes: number): AsyncGenerator<Buffer> {
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const bytes = Buffer.from(body);
    for (let start = 0; start < bytes.length; start += chunkBytes)
      yield bytes.subarray(start, start + chunkBytes);
    return;
  }
  for await (const chunk of createReadStream(body.file, { highWaterMark: chunkBytes })) yield chunk as Buffer;
}

async function streamRaw(reply: FastifyReply, answer: Answer, plan: StreamPlan): Promise<void> {
  const size = sizeOf(answer.body);
  const response = reply.raw;
  reply.hijack();
  const headers = Object.entries(reply.getHeaders()).filter(
    (entry): entry is [string, string | number | string[]] => entry[1] !== undefined,
  );
  response.writeHead(answer.status ?? 200, {
    ...Object.fromEntries(headers),
    'content-type': answer.contentType,
    'content-length': size,
  });
  const chunkBytes = plan.bytesPerSecond ? Math.max(1, Math.floor(plan.bytesPerSecond / 10)) : CHUNK_BYTES;
  let sent = 0;
  let previousChunkBytes = 0;
  for await (const original of chunksOf(answer.body, chunkBytes)) {
    // Throttling waits before each chunk but the first, so the answer ends with its last byte.
    if (plan.bytesPerSecond && previousChunkBytes > 0) {
      await sleep((previousChunkBytes * 1000) / plan.bytesPerSecond);
    }
    if (response.destroyed) return;
    let chunk = corrupt(original, sent, plan.corruptAt);
    if (plan.limit !== undefined) chunk = chunk.subarray(0, Math.max(0, plan.limit - sent));
    if (chunk.length > 0 && !response.write(chunk)) await drainedOrClosed(response);
    sent += chunk.length;
    previousChunkBytes = chunk.length;
    if (plan.limit !== undefined && sent >= plan.limit) break;
  }
  if (!response.destroyed) finish(reply, plan);
}

/** Waits for room in the socket buffer; a client that hangs up must not leave the sender waiting. */
async function drainedOrClosed(response: FastifyReply['raw']): Promise<void> {
  const abort = new AbortController();
  try {
    await Promise.race([
      once(response, 'drain', { signal: abort.signal }),
      once(response, 'close', { signal: abort.signal }),
    ]);
  } finally {
    abort.abort();
  }
}

function corrupt(chunk: Buffer, offset: number, corruptAt: number | undefined): Buffer {
  if (corruptAt === undefined || corruptAt < offset || corruptAt >= offset + chunk.length) return chunk;
  const copy = Buffer.from(chunk);
  copy[corruptAt - offset] = (copy[corruptAt - offset] ?? 0) ^ 0xff;
  return copy;
}

function finish(reply: FastifyReply, plan: StreamPlan): void {
  const socket = reply.raw.socket;
  if (plan.ending === 'drop') socket?.resetAndDestroy();
  else if (plan.ending === 'truncate') socket?.destroySoon();
  else reply.raw.end();
}
