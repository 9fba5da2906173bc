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

  record(name: string, identity: FileIdentity, md5: string): void {
    this.entries.set(name, { size: identity.size, mtimeMs: identity.mtimeMs, md5 });
  }

  forget(name: string): void {
    this.entries.delete(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Writes the memo atomically (temp file + rename); saves are serialised. */
  save(): Promise<void> {
    const snapshot: MemoFile = { version: 1, files: Object.fromEntries(this.entries) };
    this.saving = this.saving.then(async () => {
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
    /^[0-9a-f]{32}$/.test(entry.md5)
  );
}
