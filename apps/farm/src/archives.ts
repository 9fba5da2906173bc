import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type {
  ReadableStream as WebReadableStream,
  WritableStream as WebWritableStream,
} from 'node:stream/web';
import { configure, Uint8ArrayReader, ZipWriter } from '@zip.js/zip.js';
import type { ArchiveEncryption } from './db/schema';

/**
 * The two kinds of archive the farm serves (docs/protocol.md §3): a project archive (the .blend,
 * password-protected with ZipCrypto or WinZip AES-256 as the project says) and a renderer archive
 * (`rend.exe` at its root, executable, never encrypted). Both are written with a fixed entry date so
 * the same content always gives the same MD5: clients keep their cache across farm restarts.
 */
configure({ useWebWorkers: false });

const FIXED_ENTRY_DATE = new Date(Date.UTC(2024, 0, 1, 0, 0, 0));

export interface WrittenArchive {
  file: string;
  md5: string;
}

/** A random archive password: long enough, and only characters every unzip tool accepts on a command line. */
export function newArchivePassword(): string {
  return randomBytes(15).toString('base64url');
}

/** Zips `sourceFile` as `entryName` into `target`, encrypted with `password`. */
export async function writeProjectArchive(options: {
  sourceFile: string;
  entryName: string;
  password: string;
  encryption: ArchiveEncryption;
  target: string;
}): Promise<WrittenArchive> {
  const encryption =
    options.encryption === 'zipcrypto'
      ? { zipCrypto: true }
      : { zipCrypto: false, encryptionStrength: 3 as const };
  await writeZip(options.target, async (zip) => {
    const source = Readable.toWeb(createReadStream(options.sourceFile)) as WebReadableStream<Uint8Array>;
    await zip.add(options.entryName, source as unknown as ReadableStream, {
      password: options.password,
      lastModDate: FIXED_ENTRY_DATE,
      ...encryption,
    });
  });
  return { file: options.target, md5: await md5File(options.target) };
}

/** Writes a renderer archive holding one executable `rend.exe` at its root. */
export async function writeRendererArchive(options: {
  rendExe: Uint8Array;
  target: string;
}): Promise<WrittenArchive> {
  await writeZip(options.target, async (zip) => {
    await zip.add('rend.exe', new Uint8ArrayReader(options.rendExe), {
      executable: true,
      lastModDate: FIXED_ENTRY_DATE,
      extendedTimestamp: false,
    });
  });
  return { file: options.target, md5: await md5File(options.target) };
}

/** Lower-case hex MD5 of a file, streamed. */
export async function md5File(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes to `<target>.partial` and renames at the end, so a crash never leaves a half archive. */
async function writeZip(target: string, fill: (zip: ZipWriter<unknown>) => Promise<void>): Promise<void> {
  const partial = `${target}.partial`;
  const output = createWriteStream(partial);
  try {
    const zip = new ZipWriter(Writable.toWeb(output) as WebWritableStream as unknown as WritableStream);
    await fill(zip);
    await zip.close();
    await finished(output);
    await rename(partial, target);
  } catch (error) {
    output.destroy();
    await rm(partial, { force: true });
    throw error;
  }
}
