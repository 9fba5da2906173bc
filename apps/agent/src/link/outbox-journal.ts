/**
 * The outbox's journal file: one JSON line per event the console has not acknowledged, each the link's
 * `event` message with the boot that created it (`{"type":"event","bootId":…,"seq":…,"at":…,"event":…}`).
 *
 * Commit point: an event is kept once its whole line, newline included, is appended and fsynced. An
 * acknowledgement is never written: the file is compacted instead (the pending events written to a
 * temp file, fsynced, renamed over the journal, the directory fsynced), and until then a crash only
 * means acknowledged events are sent again, which the console stores once per (machine, boot, seq).
 *
 * Reading trusts nothing: a file larger than the bound is read from its last bytes only, every line is
 * checked with the protocol's event message schema, and a torn last line (a crash mid-append), a line
 * that is not an event, or a repeated (boot, seq) is skipped and counted, never fatal.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type AgentEvent, AgentToConsoleSchema } from '@flock/protocol';

/** An event waiting for the console's acknowledgement, with the boot that created it. */
export interface OutboxEntry {
  bootId: string;
  seq: number;
  at: number;
  event: AgentEvent;
}

/** The file's name in the agent's state dir (its cache dir). */
export const OUTBOX_JOURNAL_FILE = 'console-outbox.jsonl';

/** The most bytes of journal kept (and read): about a hundred frames with the largest thumbnails. */
export const MAX_JOURNAL_BYTES = 16 * 1024 * 1024;

export interface JournalRead {
  entries: OutboxEntry[];
  /** Lines skipped: not an event, a repeated (boot, seq), or the torn end of an interrupted append. */
  skipped: number;
  torn: boolean;
  /** Bytes at the start of an oversized file that were not read. */
  cutBytes: number;
}

/** One journal line (newline included). */
export function journalLine(entry: OutboxEntry): string {
  const { bootId, seq, at, event } = entry;
  return `${JSON.stringify({ type: 'event', bootId, seq, at, event })}\n`;
}

/** The entries of a journal's text, oldest first; whatever is not a checked event line is skipped. */
export function parseJournal(text: string): Omit<JournalRead, 'cutBytes'> {
  const lines = text.split('\n');
  // A text not ending in a newline ends in a line whose append was cut short.
  const last = lines.pop() ?? '';
  const torn = last.length > 0;
  const entries: OutboxEntry[] = [];
  const seen = new Set<string>();
  let skipped = torn ? 1 : 0;
  for (const line of lines) {
    const entry = parseLine(line);
    const key = entry && `${entry.bootId}\u0000${entry.seq}`;
    if (!entry || !key || seen.has(key)) {
      if (line.length > 0) skipped++;
      continue;
    }
    seen.add(key);
    entries.push(entry);
  }
  return { entries, skipped, torn };
}

function parseLine(line: string): OutboxEntry | undefined {
  if (line.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = AgentToConsoleSchema.safeParse(value);
  if (!parsed.success || parsed.data.type !== 'event' || parsed.data.bootId === undefined) return undefined;
  const { bootId, seq, at, event } = parsed.data;
  return { bootId, seq, at, event };
}

/** Reads the journal (nothing when it does not exist), at most its last MAX_JOURNAL_BYTES. */
export async function readJournal(file: string, maxBytes = MAX_JOURNAL_BYTES): Promise<JournalRead> {
  const size = await stat(file).then(
    (info) => info.size,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return 0;
      throw error;
    },
  );
  if (size === 0) return { entries: [], skipped: 0, torn: false, cutBytes: 0 };
  if (size <= maxBytes) return { ...parseJournal(await readFile(file, 'utf8')), cutBytes: 0 };
  const handle = await open(file, 'r');
  try {
    const tail = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(tail, 0, maxBytes, size - maxBytes);
    const text = tail.subarray(0, bytesRead).toString('utf8');
    // The first line read is most likely the end of one that started before: left out.
    return { ...parseJournal(text.slice(text.indexOf('\n') + 1)), cutBytes: size - maxBytes };
  } finally {
    await handle.close();
  }
}

/** Appends the entries' lines and fsyncs: the commit point of each. */
export async function appendToJournal(file: string, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const handle = await open(file, 'a', 0o600);
  try {
    await appendFile(handle, entries.map(journalLine).join(''));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces the journal by exactly these entries (none: the file is removed). */
export async function rewriteJournal(file: string, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) {
    await rm(file, { force: true });
    return;
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(entries.map(journalLine).join(''));
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, file);
  const dir = await open(dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
