// MD5 of cached archives, remembered per file by (size, mtime) and persisted in a small JSON file,
// so neither a job request nor a restart has to read the archives again (the official client re-hashes
// them all on every job request; docs/decisions.md D7).
import { readFile, rename, writeFile } from 'node:fs/promises';

export interface FileIdentity {
  size: number;
  mtimeMs: number;
}

interface MemoEntry extends FileIdentity {
  md5: string;
  /** When a job last used the archive (the clock's ms): the cache budget evicts the least recent first. */
  usedAt?: number;
}

/** What the cache budget needs to know of one remembered archive. */
export interface MemoUse {
  name: string;
  size: number;
  /** Last use; an entry from before uses were recorded counts from its file's mtime. */
  usedAt: number;
}

interface MemoFile {
  version: 1;
  files: Record<string, MemoEntry>;
}

export class Md5Memo {
  private readonly entries = new Map<string, MemoEntry>();
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  /** Loads the memo; a missing or unreadable file is an empty memo (everything is re-verified once). */
  static async load(file: string): Promise<Md5Memo> {
    const memo = new Md5Memo(file);
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<MemoFile>;
      if (parsed.version === 1 && parsed.files && typeof parsed.files === 'object') {
        for (const [name, entry] of Object.entries(parsed.files)) {
          if (isMemoEntry(entry)) memo.entries.set(name, entry);
        }
      }
    } catch {
      // absent or damaged: start empty
    }
    return memo;
  }

  /** The remembered MD5 when the file still has the size and mtime it had when hashed. */
  lookup(name: string, identity: FileIdentity): string | undefined {
    const entry = this.entries.get(name);
    return entry && entry.size === identity.size && entry.mtimeMs === identity.mtimeMs
      ? entry.md5
      : undefined;
  }

  /** Remembers the file's MD5; `usedAt` (default: the last use recorded for this name) orders eviction. */
  record(name: string, identity: FileIdentity, md5: string, usedAt = this.entries.get(name)?.usedAt): void {
    const entry: MemoEntry = { size: identity.size, mtimeMs: identity.mtimeMs, md5 };
    if (usedAt !== undefined) entry.usedAt = usedAt;
    this.entries.set(name, entry);
  }

  /** Records a use of a remembered file (nothing for an unknown name). */
  touch(name: string, usedAt: number): void {
    const entry = this.entries.get(name);
    if (entry) entry.usedAt = usedAt;
  }

  /** Every remembered file with its size and last use. */
  uses(): MemoUse[] {
    return [...this.entries].map(([name, entry]) => ({
      name,
      size: entry.size,
      usedAt: entry.usedAt ?? entry.mtimeMs,
    }));
  }

  forget(name: string): void {
    this.entries.delete(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Resolves once the saves asked for so far have ended, written or not. */
  async settled(): Promise<void> {
    await this.saving.catch(() => undefined);
  }

  /** Writes the memo atomically (temp file + rename); saves are serialised, and one that failed does not stop the next. */
  save(): Promise<void> {
    const snapshot: MemoFile = {
      version: 1,
      files: Object.fromEntries([...this.entries].map(([name, entry]) => [name, { ...entry }])),
    };
    this.saving = this.saving
      .catch(() => undefined)
      .then(async () => {
        const temp = `${this.file}.tmp`;
        await writeFile(temp, `${JSON.stringify(snapshot)}\n`);
        await rename(temp, this.file);
      });
    return this.saving;
  }
}

function isMemoEntry(value: unknown): value is MemoEntry {
  const entry = value as MemoEntry;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.size === 'number' &&
    typeof entry.mtimeMs === 'number' &&
    typeof entry.md5 === 'string' &&
    /^[0-9a-f]{32}$/.test(entry.md5) &&
    (entry.usedAt === undefined || Number.isFinite(entry.usedAt))
  );
}
