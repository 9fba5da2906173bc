// The console link's durable outbox against real files in a temp dir: events kept across a restart with
// the boot that created them, a torn last line and damaged or hostile lines skipped (never fatal), the
// count and byte bounds, compaction once the console acknowledges; and a fuzz of the journal reader.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AgentEvent, AgentToConsoleSchema } from '@flock/protocol';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox, type OutboxOptions } from '../src/link/outbox.js';
import { journalLine, type OutboxEntry, parseJournal, readJournal } from '../src/link/outbox-journal.js';
import { cleanUp, tempDir } from './e2e-helpers.js';

afterEach(cleanUp);

const frameDone = (frame: number): AgentEvent => ({
  kind: 'frame-done',
  jobId: `job-${frame}`,
  project: 'Sheep',
  frame,
  renderTimeMs: 1000,
  credits: null,
  thumbnail: null,
});
const framesOf = (entries: readonly OutboxEntry[]) =>
  entries.map((entry) => (entry.event.kind === 'frame-done' ? entry.event.frame : -1));

async function journalIn(): Promise<{
  file: string;
  logs: string[];
  open: (o?: Partial<OutboxOptions>) => Promise<Outbox>;
}> {
  const file = join(await tempDir('outbox'), 'console-outbox.jsonl');
  const logs: string[] = [];
  let boot = 0;
  const open = (options: Partial<OutboxOptions> = {}) =>
    Outbox.open({
      bootId: `boot-${++boot}`,
      capacity: 500,
      journal: file,
      log: (level, message) => logs.push(`${level} ${message}`),
      ...options,
    });
  return { file, logs, open };
}

const linesOf = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter(Boolean).length;

describe('the outbox journal', () => {
  it('keeps unacknowledged events across a restart, each with the boot that created it', async () => {
    const { file, open } = await journalIn();
    const first = await open();
    for (const frame of [1, 2, 3]) first.add(frameDone(frame), 1000 + frame);
    await first.flushed();

    const second = await open();
    expect(second.pending().map(({ bootId, seq, at }) => ({ bootId, seq, at }))).toEqual([
      { bootId: 'boot-1', seq: 0, at: 1001 },
      { bootId: 'boot-1', seq: 1, at: 1002 },
      { bootId: 'boot-1', seq: 2, at: 1003 },
    ]);
    expect(second.add(frameDone(4), 2000)).toMatchObject({ bootId: 'boot-2', seq: 0 });
    // An acknowledgement names its boot: the console's for boot-1 leaves boot-2's event alone.
    second.acknowledge('boot-1', 2);
    expect(framesOf(second.pending())).toEqual([4]);
    await second.flushed();
    expect(framesOf((await readJournal(file)).entries)).toEqual([4]);
  });

  it('skips a torn last line (a crash mid-append) and rewrites the file clean', async () => {
    const { file, logs, open } = await journalIn();
    const lines = [1, 2].map((frame) =>
      journalLine({ bootId: 'old', seq: frame, at: 5, event: frameDone(frame) }),
    );
    const torn = journalLine({ bootId: 'old', seq: 3, at: 5, event: frameDone(3) }).slice(0, 40);
    await writeFile(file, lines.join('') + torn);

    const outbox = await open();
    expect(framesOf(outbox.pending())).toEqual([1, 2]);
    expect(logs.join('\n')).toMatch(/1 damaged lines .* skipped, the last one cut short by a crash/);
    await outbox.flushed();
    expect(await readFile(file, 'utf8')).toBe(lines.join(''));
    // Appends after it start on a line of their own.
    outbox.add(frameDone(9), 6);
    await outbox.flushed();
    expect(framesOf((await readJournal(file)).entries)).toEqual([1, 2, 9]);
  });

  it('skips corrupt and hostile lines with a log line, never failing', async () => {
    const { file, logs, open } = await journalIn();
    const good = (seq: number) => journalLine({ bootId: 'old', seq, at: 5, event: frameDone(seq) });
    const hostile = [
      'not json at all',
      '{"type":"event","seq":1,"at":5,"event":{"kind":"frame-done"}}', // no boot, no event fields
      JSON.stringify({ type: 'event', bootId: 'old', seq: -1, at: 5, event: frameDone(1) }),
      JSON.stringify({ type: 'event', bootId: 'x'.repeat(500), seq: 7, at: 5, event: frameDone(7) }),
      JSON.stringify({ type: 'heartbeat', at: 5 }),
      JSON.stringify({ ...frameDone(8), renderTimeMs: -3 }),
      '\u0000\u0001\ufffd',
      '[]',
      'null',
    ];
    await writeFile(file, `${good(1)}${hostile.join('\n')}\n${good(2)}${good(1)}`);

    const outbox = await open();
    expect(framesOf(outbox.pending())).toEqual([1, 2]); // the repeated (old, 1) once
    expect(logs.join('\n')).toMatch(new RegExp(`${hostile.length + 1} damaged lines of .* skipped`));
    await outbox.flushed();
    expect(await linesOf(file)).toBe(2);
  });

  it('is bounded: the oldest events go first, in memory and in the file', async () => {
    const { file, open } = await journalIn();
    const outbox = await open({ capacity: 5 });
    for (let frame = 0; frame < 12; frame++) outbox.add(frameDone(frame), frame);
    expect(framesOf(outbox.pending())).toEqual([7, 8, 9, 10, 11]);
    expect(outbox.dropped).toBe(7);
    await outbox.flushed();
    const reopened = await open({ capacity: 5 });
    expect(framesOf(reopened.pending())).toEqual([7, 8, 9, 10, 11]);

    const lineBytes = Buffer.byteLength(
      journalLine({ bootId: 'boot-9', seq: 10, at: 10, event: frameDone(10) }),
    );
    const small = await open({ maxBytes: lineBytes * 3 });
    expect(small.pending()).toHaveLength(3);
    await small.flushed();
    expect((await stat(file)).size).toBeLessThanOrEqual(lineBytes * 3);
  });

  it('reads an oversized file from its end only', async () => {
    const { file, logs, open } = await journalIn();
    const lines = Array.from({ length: 50 }, (_, seq) =>
      journalLine({ bootId: 'old', seq, at: 5, event: frameDone(seq) }),
    );
    await writeFile(file, `${'x'.repeat(100_000)}\n${lines.join('')}`);
    const outbox = await open({ maxBytes: Buffer.byteLength(lines.join('')) + 10 });
    expect(framesOf(outbox.pending())).toEqual(lines.map((_, seq) => seq));
    expect(logs.join('\n')).toMatch(/only its last \d+ bytes were read/);
  });

  it('is compacted as the console acknowledges, and removed once everything is acknowledged', async () => {
    const { file, open } = await journalIn();
    const outbox = await open();
    for (let frame = 0; frame < 4; frame++) outbox.add(frameDone(frame), frame);
    await outbox.flushed();
    expect(await linesOf(file)).toBe(4);
    outbox.acknowledge('boot-1', 0);
    await outbox.flushed();
    expect(await linesOf(file)).toBe(4); // one stale line among three pending: not yet worth a rewrite
    outbox.acknowledge('boot-1', 1);
    await outbox.flushed();
    expect(await linesOf(file)).toBe(2);
    expect(framesOf((await readJournal(file)).entries)).toEqual([2, 3]);
    outbox.acknowledge('boot-1', 3);
    await outbox.flushed();
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('keeps working in memory when the journal cannot be written, and says so once', async () => {
    const dir = await tempDir('outbox');
    await writeFile(join(dir, 'blocker'), 'a file, not a directory');
    const logs: string[] = [];
    const outbox = await Outbox.open({
      bootId: 'b',
      capacity: 10,
      journal: join(dir, 'blocker', 'console-outbox.jsonl'),
      log: (level, message) => logs.push(`${level} ${message}`),
    });
    outbox.add(frameDone(1), 1);
    await outbox.flushed();
    outbox.add(frameDone(2), 2);
    await outbox.flushed();
    expect(framesOf(outbox.pending())).toEqual([1, 2]);
    expect(logs.filter((line) => line.includes('cannot keep the events'))).toHaveLength(1);
  });
});

describe('the outbox journal reader (fuzz)', () => {
  const entryArb = fc.record({
    bootId: fc.string({ minLength: 1, maxLength: 100 }),
    seq: fc.nat(),
    at: fc.nat(),
    event: fc.nat({ max: 10_000 }).map(frameDone),
  });

  it('never throws, and returns only checked events, each (boot, seq) once', () => {
    const line = fc.oneof(
      entryArb.map((entry) => journalLine(entry).slice(0, -1)),
      fc.string(),
      fc.json(),
      fc
        .jsonValue()
        .map((value) => JSON.stringify({ type: 'event', bootId: 'b', seq: 1, at: 1, event: value })),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.boolean(), (lines, endsInNewline) => {
        const read = parseJournal(lines.join('\n') + (endsInNewline ? '\n' : ''));
        const keys = new Set(read.entries.map((entry) => `${entry.bootId}\u0000${entry.seq}`));
        expect(keys.size).toBe(read.entries.length);
        for (const entry of read.entries)
          expect(AgentToConsoleSchema.safeParse({ type: 'event', ...entry }).success).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('reads back what was written, and a prefix of it from a file cut anywhere', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(entryArb, { selector: (entry) => `${entry.bootId}\u0000${entry.seq}`, maxLength: 20 }),
        fc.nat(),
        (entries, cut) => {
          const text = entries.map(journalLine).join('');
          expect(parseJournal(text).entries).toEqual(entries);
          const cutText = text.slice(0, text.length === 0 ? 0 : cut % (text.length + 1));
          const read = parseJournal(cutText);
          expect(read.entries).toEqual(entries.slice(0, read.entries.length));
          expect(read.torn).toBe(cutText.length > 0 && !cutText.endsWith('\n'));
        },
      ),
      { numRuns: 300 },
    );
  });
});
