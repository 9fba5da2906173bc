import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';

/**
 * Receives one multipart file part (by default `file`: frames and error logs) into a temporary file
 * under the data dir, never into memory; other file parts are drained, text fields collected.
 * `tooLarge` means the part passed `maxBytes` and was cut there.
 */
export type ReceivedUpload =
  | {
      kind: 'file';
      path: string;
      bytes: number;
      filename: string;
      tooLarge: boolean;
      fields: Record<string, string>;
    }
  | { kind: 'none'; reason: string; fields: Record<string, string> };

export async function receiveFilePart(
  request: FastifyRequest,
  options: { directory: string; maxBytes: number; field?: string },
): Promise<ReceivedUpload> {
  const field = options.field ?? 'file';
  const fields: Record<string, string> = {};
  if (!request.isMultipart()) return { kind: 'none', reason: 'not a multipart/form-data request', fields };
  mkdirSync(options.directory, { recursive: true });
  let received: ReceivedUpload = { kind: 'none', reason: `no part named "${field}"`, fields };
  let writing: string | undefined;
  try {
    const parts = request.parts({ limits: { fileSize: options.maxBytes, files: 4, fields: 20 } });
    for await (const part of parts) {
      if (part.type !== 'file') {
        fields[part.fieldname] = String(part.value);
        continue;
      }
      if (part.fieldname !== field || received.kind === 'file') {
        part.file.resume();
        continue;
      }
      const path = join(options.directory, `upload-${randomBytes(8).toString('hex')}`);
      writing = path;
      const bytes = await writeFileFrom(part.file, path);
      writing = undefined;
      received = {
        kind: 'file',
        path,
        bytes,
        filename: part.filename,
        tooLarge: part.file.truncated,
        fields,
      };
    }
  } catch (error) {
    if (writing !== undefined) rmSync(writing, { force: true });
    if (received.kind === 'file') rmSync(received.path, { force: true });
    return { kind: 'none', reason: `broken multipart body: ${(error as Error).message}`, fields };
  }
  return received;
}

/**
 * Writes the stream to a new file, a synchronous write per chunk: a frame upload is a few KB, and a
 * write stream's thread-pool round trips cost it ~3× the CPU (the page cache takes large files too).
 * Returns the bytes written.
 */
async function writeFileFrom(stream: Readable, path: string): Promise<number> {
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (error) {
    stream.destroy(); // as pipeline() did: the part is not left half-read
    throw error;
  }
  let bytes = 0;
  try {
    for await (const chunk of stream) {
      writeSync(fd, chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

export async function discardUpload(upload: ReceivedUpload): Promise<void> {
  if (upload.kind === 'file') rmSync(upload.path, { force: true });
}
