import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { FrameDevice, JobPhaseSpan } from '@flock/protocol';

/** One rendered frame waiting for the farm's verdict, exactly as stored in `<dir>/<id>.json`. */
export interface UploadItem {
  id: string;
  jobId: string;
  /** The frame as the farm sent it (e.g. `0007`). */
  frame: string;
  /** The job's validation URL, decoded, as parsed from the job answer. */
  validationUrl: string;
  renderTimeSeconds: number;
  memoryUsedKiB?: number;
  cores?: number;
  projectName?: string;
  /** The job's phases before the upload, for the console's timeline (checked again when sent). */
  phases?: JobPhaseSpan[];
  /** The device Blender rendered on, for the console's record of the frame (checked again when sent). */
  device?: FrameDevice;
  /** Which farm session (login) rendered the frame. */
  sessionKey: string;
  /** Opaque values for the sender (e.g. the session cookie the frame was rendered under). */
  meta: Record<string, string>;
  /** Absolute path of the frame image inside the queue dir. */
  file: string;
  /** The name to upload the file under (Blender's output name, e.g. `1541_0201.png`). */
  filename: string;
  contentType: string;
  createdAt: number;
  /** Completed send attempts so far. */
  attempts: number;
  /** Earliest instant of the next attempt. */
  nextAttemptAt: number;
  lastError?: string;
  /**
   * Set just before a POST and cleared when its answer is handled. Found set at start-up, it means the
   * agent died mid-send: the farm may already have the frame.
   */
  inFlightSince?: number;
}

const ITEM_SUFFIX = '.json';
const TEMP_SUFFIX = '.tmp';
const CORRUPT_SUFFIX = '.corrupt';

export function newItemId(jobId: string, frame: string, now: number): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return `${safe(jobId)}-${safe(frame)}-${now}-${randomBytes(4).toString('hex')}`;
}

export function frameFileName(id: string, sourceFile: string): string {
  return `${id}${extname(sourceFile).toLowerCase() || '.bin'}`;
}

/**
 * Writes `<dir>/<id>.json` atomically: temp file, fsync, rename, then fsync the directory. `first`
 * (the frame's own move into the queue) runs beside the temp file's write; the rename, which
 * commits the item, waits for it and does not happen if it fails.
 */
export async function writeItem(
  dir: string,
  item: UploadItem,
  durable = true,
  first: Promise<unknown> = Promise.resolve(),
): Promise<void> {
  const target = join(dir, `${item.id}${ITEM_SUFFIX}`);
  const temp = `${target}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`;
  const [written, ready] = await Promise.allSettled([writeTemp(temp, item, durable), first]);
  const failed = [written, ready].find((outcome) => outcome.status === 'rejected');
  if (failed) {
    await rm(temp, { force: true });
    throw failed.reason;
  }
  await rename(temp, target);
  if (durable) await syncDirectory(dir);
}

async function writeTemp(temp: string, item: UploadItem, durable: boolean): Promise<void> {
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(item, null, 2)}\n`);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function removeItem(dir: string, item: UploadItem): Promise<void> {
  // The JSON goes first: it is the commit point. A frame file left behind is an orphan, swept at start.
  await rm(join(dir, `${item.id}${ITEM_SUFFIX}`), { force: true });
  await syncDirectory(dir);
  await rm(item.file, { force: true });
}

/** Moves the rendered frame into the queue dir (rename; copy + delete across file systems) and fsyncs it. */
export async function moveFrameInto(dir: string, sourceFile: string, targetName: string): Promise<string> {
  const target = join(dir, targetName);
  try {
    await rename(sourceFile, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(sourceFile, target, constants.COPYFILE_EXCL);
    await unlink(sourceFile);
  }
  const handle = await open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  return target;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface LoadedQueue {
  items: UploadItem[];
  /** Files that could not be used (unreadable JSON renamed to `.corrupt`, stray temp files, orphan frames). */
  problems: { file: string; reason: string }[];
}

/** Reads every stored item; sweeps leftovers of a crash (temp files, frames whose JSON was never written). */
export async function loadItems(dir: string): Promise<LoadedQueue> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const names = await readdir(dir);
  const items: UploadItem[] = [];
  const problems: LoadedQueue['problems'] = [];
  for (const name of names.filter((n) => n.endsWith(ITEM_SUFFIX))) {
    const path = join(dir, name);
    const item = parseItem(await readFile(path, 'utf8'), dir);
    if (item) {
      items.push(item);
    } else {
      await rename(path, `${path}${CORRUPT_SUFFIX}`);
      problems.push({
        file: path,
        reason: `unreadable queue entry kept as ${basename(path)}${CORRUPT_SUFFIX}`,
      });
    }
  }
  const frameFiles = new Set(items.map((item) => basename(item.file)));
  const corrupt = names
    .filter((n) => n.endsWith(CORRUPT_SUFFIX))
    .concat(problems.map((p) => basename(p.file)));
  // A frame beside an unreadable entry is kept for a human to look at, never swept.
  const keptIds = new Set(corrupt.map((name) => name.split('.')[0]));
  for (const name of names) {
    if (name.endsWith(ITEM_SUFFIX) || name.endsWith(CORRUPT_SUFFIX) || frameFiles.has(name)) continue;
    if (keptIds.has(name.split('.')[0]) && !name.endsWith(TEMP_SUFFIX)) continue;
    await rm(join(dir, name), { force: true });
    problems.push({
      file: join(dir, name),
      reason: name.endsWith(TEMP_SUFFIX) ? 'unfinished write removed' : 'frame without queue entry removed',
    });
  }
  return { items: items.sort((a, b) => a.createdAt - b.createdAt), problems };
}

function parseItem(text: string, dir: string): UploadItem | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const item = withCurrentNames(value);
  if (!isItem(item)) return undefined;
  // The queue dir may have moved (renamed cache dir): the frame always sits beside its JSON.
  return { ...item, file: join(dir, basename(item.file)) };
}

/** Entries written by agents before the render time was named `renderTimeSeconds` call it `rendertimeSeconds`. */
function withCurrentNames(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('rendertimeSeconds' in value)) return value;
  const { rendertimeSeconds, ...rest } = value as Record<string, unknown>;
  return { renderTimeSeconds: rendertimeSeconds, ...rest };
}

function isItem(value: unknown): value is UploadItem {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const strings = ['id', 'jobId', 'frame', 'validationUrl', 'sessionKey', 'file', 'filename', 'contentType'];
  const numbers = ['renderTimeSeconds', 'createdAt', 'attempts', 'nextAttemptAt'];
  return (
    strings.every((key) => typeof v[key] === 'string') &&
    numbers.every((key) => typeof v[key] === 'number' && Number.isFinite(v[key])) &&
    typeof v.meta === 'object' &&
    v.meta !== null
  );
}
