import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
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
  await mkdir(options.directory, { recursive: true });
  let received: ReceivedUpload = { kind: 'none', reason: `no part named "${field}"`, fields };
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
      let bytes = 0;
      part.file.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      await pipeline(part.file, createWriteStream(path));
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
    if (received.kind === 'file') await rm(received.path, { force: true });
    return { kind: 'none', reason: `broken multipart body: ${(error as Error).message}`, fields };
  }
  return received;
}

export async function discardUpload(upload: ReceivedUpload): Promise<void> {
  if (upload.kind === 'file') await rm(upload.path, { force: true });
}
