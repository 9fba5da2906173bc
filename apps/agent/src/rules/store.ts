// The console's rules and the snooze, kept in a small JSON file in the cache dir so they hold across a
// restart while the console is away (the owner's rules come from flags and the config file each run).
// The file is checked as hostile on reading: too large, not JSON or not valid rules means none.
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Rule, RulesSchema } from '@flock/protocol';
import type { Logger } from '../log/index.js';

export const RULES_FILE = 'rules.json';

/** 32 rules of at most a few kilobytes each: a larger file is not one this agent wrote. */
const MAX_FILE_BYTES = 256 * 1024;

export interface KeptRules {
  console: Rule[];
  snoozedUntil: number | null;
}

const NONE: KeptRules = Object.freeze({ console: [], snoozedUntil: null });

export class RulesStore {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly cacheDir: string,
    private readonly log: Logger,
  ) {}

  /** The rules of earlier runs; a missing, oversized or invalid file means none (and is said). */
  async load(): Promise<KeptRules> {
    const file = this.file;
    let text: string;
    try {
      if ((await stat(file)).size > MAX_FILE_BYTES) {
        this.log.warn("the console's rules file is too large; ignored", { file, maxBytes: MAX_FILE_BYTES });
        return NONE;
      }
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.log.warn("the console's rules file is unreadable; starting with none", {
          error: (error as Error).message,
        });
      return NONE;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.log.warn("the console's rules file is not JSON; starting with none", { file });
      return NONE;
    }
    const kept = (value ?? {}) as { console?: unknown; snoozedUntil?: unknown };
    const rules = RulesSchema.safeParse(kept.console);
    if (!rules.success) {
      const issue = rules.error.issues[0];
      this.log.warn("the console's rules file holds invalid rules; starting with none", {
        error: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
      });
      return NONE;
    }
    const until = kept.snoozedUntil;
    const snoozedUntil = typeof until === 'number' && Number.isSafeInteger(until) && until > 0 ? until : null;
    return { console: rules.data, snoozedUntil };
  }

  /** Saves in the background (one write at a time, each whole); a failure is logged, the rules hold in memory. */
  save(kept: KeptRules): void {
    const file = this.file;
    const temp = `${file}.${process.pid}.tmp`;
    const text = JSON.stringify(kept);
    this.writing = this.writing
      .then(() => writeFile(temp, text, { mode: 0o600 }))
      .then(() => rename(temp, file))
      .catch((error: Error) =>
        this.log.warn("cannot save the console's rules; they hold until the agent stops", {
          error: error.message,
        }),
      );
  }

  /** Resolves once the last change is on disk. */
  async flushed(): Promise<void> {
    await this.writing;
  }

  private get file(): string {
    return path.join(this.cacheDir, RULES_FILE);
  }
}
