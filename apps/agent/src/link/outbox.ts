// Events not yet acknowledged by the console, oldest first, kept in a journal file (outbox-journal.ts)
// so that frames rendered while the console is away reach it even across a restart: the agent's own
// record is the source. Bounded in count and bytes: when full the oldest are dropped (and counted),
// since the agent must keep rendering however long the console is away. Every change is made in
// memory at once; the file follows, one write at a time.
import type { AgentEvent } from '@flock/protocol';
import type { LinkLogger } from './linked-agent';
import {
  appendToJournal,
  journalLine,
  MAX_JOURNAL_BYTES,
  type OutboxEntry,
  readJournal,
  rewriteJournal,
} from './outbox-journal';

export type { OutboxEntry } from './outbox-journal';

export interface OutboxOptions {
  /** This process's boot: the origin of the events it adds (the link's hello says it too). */
  bootId: string;
  /** The most events kept. */
  capacity: number;
  /** The most bytes of events kept (as journal lines); default MAX_JOURNAL_BYTES. */
  maxBytes?: number;
  /** The journal file; without one the events live in memory only. */
  journal?: string;
  log?: LinkLogger;
}

interface Kept extends OutboxEntry {
  bytes: number;
  /** Its line is in the journal. */
  journaled: boolean;
}

export class Outbox {
  readonly bootId: string;
  /** Events dropped to stay within the bounds. */
  dropped = 0;
  private entries: Kept[] = [];
  private nextSeq = 0;
  private bytes = 0;
  /** Lines in the journal file: the journaled entries and those acknowledged or dropped since. */
  private linesInFile = 0;
  private compactWanted = false;
  private writing: Promise<void> = Promise.resolve();
  private writeQueued = false;
  private lastWriteError: string | undefined;

  constructor(private readonly options: OutboxOptions) {
    this.bootId = options.bootId;
  }

  /** The outbox with what an earlier run left in the journal (damaged lines skipped and logged). */
  static async open(options: OutboxOptions): Promise<Outbox> {
    const outbox = new Outbox(options);
    if (options.journal) await outbox.load(options.journal);
    return outbox;
  }

  add(event: AgentEvent, at: number): OutboxEntry {
    const entry: OutboxEntry = { bootId: this.bootId, seq: this.nextSeq++, at, event };
    this.keep(entry, false);
    this.dropOverBounds();
    this.schedule();
    return entry;
  }

  /** Forgets the events of `bootId` up to and including `seq`. */
  acknowledge(bootId: string, seq: number): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((entry) => {
      const acknowledged = entry.bootId === bootId && entry.seq <= seq;
      if (acknowledged) this.bytes -= entry.bytes;
      return !acknowledged;
    });
    if (this.entries.length !== before) this.schedule();
  }

  pending(): readonly OutboxEntry[] {
    return this.entries;
  }

  /** Resolves once the journal holds what the outbox holds (or a write failed and was logged). */
  async flushed(): Promise<void> {
    while (this.writeQueued) await this.writing;
    await this.writing;
  }

  private keep(entry: OutboxEntry, journaled: boolean): void {
    const bytes = Buffer.byteLength(journalLine(entry));
    this.entries.push({ ...entry, bytes, journaled });
    this.bytes += bytes;
  }

  private dropOverBounds(): number {
    const maxBytes = this.options.maxBytes ?? MAX_JOURNAL_BYTES;
    let dropped = 0;
    while (
      this.entries.length > this.options.capacity ||
      (this.bytes > maxBytes && this.entries.length > 1)
    ) {
      const oldest = this.entries.shift();
      if (oldest) this.bytes -= oldest.bytes;
      dropped++;
    }
    this.dropped += dropped;
    return dropped;
  }

  private async load(file: string): Promise<void> {
    const log = this.options.log ?? (() => {});
    let read: Awaited<ReturnType<typeof readJournal>>;
    try {
      read = await readJournal(file, this.options.maxBytes ?? MAX_JOURNAL_BYTES);
    } catch (error) {
      log(
        'warn',
        `console link: cannot read the events kept for the console (${file}): ${(error as Error).message}`,
      );
      return;
    }
    for (const entry of read.entries) this.keep(entry, true);
    this.linesInFile = read.entries.length;
    const dropped = this.dropOverBounds();
    if (read.entries.length > 0)
      log('info', `console link: ${this.entries.length} events kept for the console from an earlier run`);
    if (read.skipped > 0 || read.cutBytes > 0) {
      const torn = read.torn ? ', the last one cut short by a crash' : '';
      const cut =
        read.cutBytes > 0
          ? `; only its last ${this.options.maxBytes ?? MAX_JOURNAL_BYTES} bytes were read`
          : '';
      log('warn', `console link: ${read.skipped} damaged lines of ${file} skipped${torn}${cut}`);
    }
    if (dropped > 0)
      log('warn', `console link: ${dropped} kept events over the outbox's bounds dropped, oldest first`);
    // A clean file that holds exactly what is kept needs no rewrite.
    if (read.skipped > 0 || read.cutBytes > 0 || dropped > 0) {
      this.compactWanted = true;
      this.schedule();
    }
  }

  /** One write at a time; a write already waiting covers every change made before it runs. */
  private schedule(): void {
    if (!this.options.journal || this.writeQueued) return;
    this.writeQueued = true;
    this.writing = this.writing.then(() => this.write());
  }

  private async write(): Promise<void> {
    this.writeQueued = false;
    const file = this.options.journal;
    if (!file) return;
    const journaled = this.entries.filter((entry) => entry.journaled).length;
    const stale = this.linesInFile - journaled;
    // Compacted when nothing is pending, or when more of the file is stale than pending.
    const compact = this.compactWanted || (stale > 0 && (this.entries.length === 0 || stale >= journaled));
    const batch = compact ? [...this.entries] : this.entries.filter((entry) => !entry.journaled);
    if (batch.length === 0 && !compact) return;
    try {
      if (compact) await rewriteJournal(file, batch);
      else await appendToJournal(file, batch);
      for (const entry of batch) entry.journaled = true;
      this.linesInFile = compact ? batch.length : this.linesInFile + batch.length;
      this.compactWanted = false;
      this.lastWriteError = undefined;
    } catch (error) {
      // A failed append may have left half a line: the next write rewrites the whole file.
      this.compactWanted = true;
      const message = (error as Error).message;
      if (message !== this.lastWriteError)
        this.options.log?.(
          'warn',
          `console link: cannot keep the events for the console in ${file}: ${message}`,
        );
      this.lastWriteError = message;
    }
  }
}
