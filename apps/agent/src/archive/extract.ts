// Extracts a (possibly encrypted) zip with yauzl into a fresh directory beside the target, renamed
// into place only when every entry was written and verified: a refused or broken archive leaves
// nothing behind, and nothing is ever written outside that directory.
//
// Why yauzl plus hand-written cipher layers rather than @zip.js/zip.js for reading: yauzl is small,
// streams each entry from the file descriptor and lets node's native zlib inflate; zip.js reads
// through Web Streams with its own inflate. The measured speeds are in bench/agent/results.
//
// Directory calls and the writes of small entries are synchronous: each takes tens of µs, while a
// thread-pool round trip costs 0.2–0.5 ms on a busy machine. Extracting a typical small project
// took 3 ms that way, 0.6 ms now (bench/agent/per-frame.ts extracts one for every frame); the event
// loop is held for at most one small entry at a time.
import { chmodSync, createWriteStream, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw, inflateRawSync } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { DEFAULT_RESERVE_BYTES, type FreeBytes, freeBytesIn } from '../disk.js';
import type { CheckedTransform } from './checked-transform.js';
import { assertNotSymlink, fileModeFor, resolveInside } from './entry-rules.js';
import { decipherFor, type EntryEncoding, EntryGuard, entryEncoding } from './entry-streams.js';
import { ArchiveError, toArchiveError } from './errors.js';
import { openZipFile } from './file-reader.js';

export interface ExtractOptions {
  /** Password for encrypted entries (ZipCrypto or WinZip AES); strings are encoded as UTF-8. */
  password?: string | Buffer;
  /** Cap on the total uncompressed bytes, declared and actual. Default 16 GiB. */
  maxTotalBytes?: number;
  /** Cap on the number of entries. Default 100 000. */
  maxEntries?: number;
  /** Base names of files to mark executable (besides those a Unix zip marks). Default `['rend.exe']`. */
  executables?: readonly string[];
  signal?: AbortSignal;
  /** Free space to keep beyond the extracted files. Default 512 KiB. */
  reserveBytes?: number;
  /** Free bytes in a directory; injectable for tests. Default: `fs.statfs`. */
  freeBytes?: FreeBytes;
}

export interface ExtractResult {
  files: number;
  directories: number;
  /** Uncompressed bytes written. */
  bytes: number;
}

interface PlannedEntry {
  entry: Entry;
  name: string;
  /** Path inside the staging directory. */
  destination: string;
  isDirectory: boolean;
  encoding: EntryEncoding;
  mode: number;
}

const FLAG_UTF8 = 0x800;
const UNICODE_PATH_FIELD = 0x7075;
const HOST_UNIX = 3;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * yauzl's decoding (UTF-8 flag, Unicode Path field, else CP437, backslashes → `/`), except that a
 * name from a Unix zip without the flag is read as UTF-8 when it is valid UTF-8: Info-ZIP on Linux
 * stores the locale's bytes unflagged, and that locale is UTF-8 nowadays.
 */
function decodeEntryName(entry: Entry): string {
  const raw = entry.fileName as unknown as Buffer; // decodeStrings: false
  const flagged =
    (entry.generalPurposeBitFlag & FLAG_UTF8) !== 0 ||
    entry.extraFields.some((f) => f.id === UNICODE_PATH_FIELD);
  if (!flagged && entry.versionMadeBy >> 8 === HOST_UNIX) {
    try {
      return strictUtf8.decode(raw).replace(/\\/g, '/');
    } catch {
      // not UTF-8: fall back to CP437 below
    }
  }
  return yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, false);
}

/** Read, inflate and write in 1 MiB pieces: node's 16 KiB defaults cost 3× the time in syscalls. */
const IO_CHUNK = 1024 * 1024;
/**
 * Entries up to this size (stored and declared) are read, decoded and written in one piece: for the
 * typical small file the stream pipeline's setup cost more than the bytes themselves.
 */
const SMALL_ENTRY_BYTES = 1024 * 1024;
const DEFAULT_MAX_TOTAL_BYTES = 16 * 1024 ** 3;
const DEFAULT_MAX_ENTRIES = 100_000;
/**
 * Zip bombs: deflate tops out near 1032:1. A project's .blend data deflates 3–10×, image textures
 * 1–3×, and even flat uncompressed images and simulation caches stay well under 100×. An entry that
 * claims more than 200× and would inflate past 16 MiB is a bomb, not a project, and is refused
 * before anything is written. Smaller entries may be as compressible as they like: 16 MiB of
 * zeros harms no disk.
 */
const MAX_COMPRESSION_RATIO = 200;
const RATIO_CHECK_FROM_BYTES = 16 * 1024 * 1024;

/**
 * Extracts `zipPath` into `targetDir` (replacing it if it exists). Throws ArchiveError, and only
 * ArchiveError, on any failure; `targetDir` is then untouched.
 */
export async function extractArchive(
  zipPath: string,
  targetDir: string,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  const target = path.resolve(targetDir);
  const parent = path.dirname(target);
  let staging: string | undefined;
  let zip: ZipFile | undefined;
  try {
    staging = makeStaging(parent, target);
    zip = await openArchive(zipPath);
    const result = await extractInto(zip, staging, options);
    zip.close();
    zip = undefined;
    await replaceDir(staging, target);
    staging = undefined;
    return result;
  } catch (error) {
    throw toArchiveError(error, path.basename(zipPath));
  } finally {
    zip?.close();
    if (staging) await rm(staging, { recursive: true, force: true }).catch(() => {});
  }
}

function openArchive(zipPath: string): Promise<ZipFile> {
  return openZipFile(zipPath, {
    lazyEntries: true,
    autoClose: false,
    decodeStrings: false, // names are decoded and validated here, so a hostile one gets a typed refusal
    validateEntrySizes: true,
  });
}

function makeStaging(parent: string, target: string): string {
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(path.join(parent, `.${path.basename(target)}.extracting-`));
  chmodSync(staging, 0o755); // mkdtemp creates 0700
  return staging;
}

/** Renames `from` onto `to`; an existing `to` is removed first unless it is an empty directory (rename replaces those). */
async function replaceDir(from: string, to: string): Promise<void> {
  try {
    renameSync(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOTDIR' && code !== 'EISDIR') throw error;
    await rm(to, { recursive: true, force: true });
    renameSync(from, to);
  }
}

async function extractInto(zip: ZipFile, root: string, options: ExtractOptions): Promise<ExtractResult> {
  const plan = await planEntries(zip, root, options);
  const password = typeof options.password === 'string' ? Buffer.from(options.password) : options.password;
  let budget = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  const result: ExtractResult = { files: 0, directories: 0, bytes: 0 };
  for (const planned of plan) {
    options.signal?.throwIfAborted();
    if (planned.isDirectory) {
      mkdirSync(planned.destination, { recursive: true });
      result.directories++;
      continue;
    }
    const written = await extractFile(zip, root, planned, password, budget, options.signal);
    budget -= written;
    result.bytes += written;
    result.files++;
  }
  return result;
}

/** Reads the whole central directory and refuses the archive before anything is written. */
async function planEntries(zip: ZipFile, root: string, options: ExtractOptions): Promise<PlannedEntry[]> {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const maxTotalBytes = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  if (zip.entryCount > maxEntries) {
    throw new ArchiveError('too-large', `${zip.entryCount} entries (cap ${maxEntries})`);
  }
  const executables = new Set(options.executables ?? ['rend.exe']);
  const plan: PlannedEntry[] = [];
  const seen = new Set<string>();
  let declaredTotal = 0;
  for await (const entry of zip.eachEntry()) {
    const name = decodeEntryName(entry);
    const destination = resolveInside(root, name);
    assertNotSymlink(entry, name);
    if (seen.has(destination)) throw new ArchiveError('corrupt', `duplicate entry ${JSON.stringify(name)}`);
    seen.add(destination);
    assertSaneRatio(entry, name);
    declaredTotal += entry.uncompressedSize;
    if (declaredTotal > maxTotalBytes) {
      throw new ArchiveError('too-large', `declared size exceeds the cap of ${maxTotalBytes} bytes`);
    }
    const isDirectory = name.endsWith('/');
    plan.push({
      entry,
      name,
      destination,
      isDirectory,
      encoding: isDirectory
        ? { encryption: 'none', compressionMethod: 0, checkCrc: false }
        : entryEncoding(entry, name),
      mode: fileModeFor(entry, name, executables),
    });
  }
  await assertFits(root, declaredTotal, options);
  return plan;
}

function assertSaneRatio(entry: Entry, name: string): void {
  if (entry.uncompressedSize <= RATIO_CHECK_FROM_BYTES) return;
  const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
  if (ratio > MAX_COMPRESSION_RATIO) {
    throw new ArchiveError(
      'too-large',
      `${name}: ${entry.compressedSize} bytes that inflate to ${entry.uncompressedSize}, a compression ratio of ${Math.round(ratio)}:1 (a zip bomb; at most ${MAX_COMPRESSION_RATIO}:1 above 16 MiB)`,
    );
  }
}

/** The declared sizes (which the guard enforces while writing) must fit the free space, with a reserve. */
async function assertFits(root: string, declaredTotal: number, options: ExtractOptions): Promise<void> {
  const free = await (options.freeBytes ?? freeBytesIn)(root);
  const needed = declaredTotal + (options.reserveBytes ?? DEFAULT_RESERVE_BYTES);
  if (free < needed) {
    throw new ArchiveError(
      'no-space',
      `the archive needs ${needed} bytes (with the reserve) and ${path.dirname(root)} has ${free} free`,
    );
  }
}

async function extractFile(
  zip: ZipFile,
  root: string,
  planned: PlannedEntry,
  password: Buffer | undefined,
  budget: number,
  signal: AbortSignal | undefined,
): Promise<number> {
  const { entry, encoding } = planned;
  // An empty entry has no data to decrypt or inflate, whatever its flags say (zip.js marks empty
  // AES entries encrypted but writes no salt).
  const hasData = entry.compressedSize > 0;
  const decipher = hasData ? decipherFor(entry, encoding, password) : undefined;
  const guard = new EntryGuard(
    planned.name,
    entry.uncompressedSize,
    budget,
    encoding.checkCrc ? entry.crc32 : undefined,
  );
  const dir = path.dirname(planned.destination);
  if (dir !== root) mkdirSync(dir, { recursive: true }); // the staging root exists already
  const raw = await zip.openReadStreamPromise(entry, { decodeFileData: false });
  if (entry.compressedSize <= SMALL_ENTRY_BYTES && entry.uncompressedSize <= SMALL_ENTRY_BYTES) {
    try {
      const plain = decodeWhole(Buffer.concat(await raw.toArray()), planned, decipher, guard);
      writeFileSync(planned.destination, plain, { flag: 'wx', mode: planned.mode });
    } catch (error) {
      throw explainZipCryptoFailure(error, planned);
    }
    return guard.bytes;
  }
  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = [raw];
  if (decipher) stages.push(decipher);
  if (hasData && encoding.compressionMethod === 8) stages.push(createInflateRaw({ chunkSize: IO_CHUNK }));
  stages.push(guard);
  const sink = createWriteStream(planned.destination, {
    flags: 'wx',
    mode: planned.mode,
    highWaterMark: IO_CHUNK,
  });
  stages.push(sink);
  try {
    await pipeline(stages, { signal });
  } catch (error) {
    throw explainZipCryptoFailure(error, planned);
  }
  return guard.bytes;
}

/** The in-memory twin of the stream pipeline, with the same decipher and guard. */
function decodeWhole(
  raw: Buffer,
  planned: PlannedEntry,
  decipher: CheckedTransform | undefined,
  guard: EntryGuard,
): Buffer {
  const compressed = decipher ? decipher.transformAll(raw) : raw;
  if (planned.entry.compressedSize === 0 || planned.encoding.compressionMethod !== 8) {
    return guard.transformAll(compressed);
  }
  let inflated: Buffer;
  try {
    // One byte over the declared size is enough to refuse; a zip bomb never gets further.
    inflated = inflateRawSync(compressed, { maxOutputLength: planned.entry.uncompressedSize + 1 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw guard.beyondDeclaredSize();
    throw error;
  }
  return guard.transformAll(inflated);
}

/**
 * A wrong ZipCrypto password passes the one-byte header check once in 256 tries; the garbage then
 * fails to inflate, inflates past the declared size, or misses the CRC. ZipCrypto cannot tell that
 * from damaged (or lying) data, and a wrong password is by far the likelier cause for an archive
 * whose MD5 was verified on download. Either way the entry is refused and nothing is kept.
 */
function explainZipCryptoFailure(error: unknown, planned: PlannedEntry): unknown {
  if (planned.encoding.encryption !== 'zip-crypto') return error;
  const failure = toArchiveError(error, planned.name);
  if (failure.kind !== 'corrupt' && failure.kind !== 'too-large') return failure;
  return new ArchiveError(
    'wrong-password',
    `${planned.name}: wrong password or damaged data (${failure.message})`,
    {
      cause: error,
    },
  );
}
