import { and, inArray } from 'drizzle-orm';
import { MAX_TAGS_PER_MACHINE } from '../../lib/tags';
import type { ConsoleDb } from './client';
import { machineTags } from './schema';

/** Rows per INSERT: keeps a bulk tag of thousands of machines under SQLite's bound-parameter limit. */
const ROWS_PER_INSERT = 500;
/** Machines per `IN (…)` list, for the same reason. */
const IDS_PER_QUERY = 5_000;

export type TagsByMachine = Map<string, string[]>;

/** Adding tags would give these machines more than MAX_TAGS_PER_MACHINE; nothing was changed. */
export interface TooManyTags {
  ok: false;
  machineIds: string[];
}

/** The machines' tags (the console repository's other tables are in repo.ts). */
export class TagsRepo {
  constructor(private readonly db: ConsoleDb) {}

  /** Every machine's tags, sorted; machines without tags are absent. */
  async all(): Promise<TagsByMachine> {
    return groupByMachine(this.db.select().from(machineTags).all());
  }

  /**
   * Adds `tags` to each machine, in one transaction: either every machine gets them, or — when one
   * would pass MAX_TAGS_PER_MACHINE — none does. Answers each machine's tags afterwards.
   */
  async add(
    machineIds: string[],
    tags: string[],
    now: number,
  ): Promise<{ ok: true; tags: TagsByMachine } | TooManyTags> {
    return this.db.transaction((tx) => {
      const current = this.tagsOf(tx, machineIds);
      const over = machineIds.filter(
        (id) => new Set([...(current.get(id) ?? []), ...tags]).size > MAX_TAGS_PER_MACHINE,
      );
      if (over.length > 0) return { ok: false as const, machineIds: over };
      const rows = machineIds.flatMap((machineId) => tags.map((tag) => ({ machineId, tag, createdAt: now })));
      for (let start = 0; start < rows.length; start += ROWS_PER_INSERT)
        tx.insert(machineTags)
          .values(rows.slice(start, start + ROWS_PER_INSERT))
          .onConflictDoNothing()
          .run();
      return { ok: true as const, tags: this.tagsOf(tx, machineIds) };
    });
  }

  /** Removes `tags` from each machine (absent ones are no change); answers each machine's tags afterwards. */
  async remove(machineIds: string[], tags: string[]): Promise<TagsByMachine> {
    return this.db.transaction((tx) => {
      for (const ids of chunks(machineIds, IDS_PER_QUERY))
        tx.delete(machineTags)
          .where(and(inArray(machineTags.machineId, ids), inArray(machineTags.tag, tags)))
          .run();
      return this.tagsOf(tx, machineIds);
    });
  }

  /** The tags of these machines, each present (an empty list when it has none). */
  private tagsOf(tx: Pick<ConsoleDb, 'select'>, machineIds: string[]): TagsByMachine {
    const found = new Map<string, string[]>(machineIds.map((id) => [id, []]));
    for (const ids of chunks(machineIds, IDS_PER_QUERY)) {
      const rows = tx.select().from(machineTags).where(inArray(machineTags.machineId, ids)).all();
      for (const [id, tags] of groupByMachine(rows)) found.set(id, tags);
    }
    return found;
  }
}

function groupByMachine(rows: { machineId: string; tag: string }[]): TagsByMachine {
  const byMachine = new Map<string, string[]>();
  for (const { machineId, tag } of rows) {
    const tags = byMachine.get(machineId);
    if (tags) tags.push(tag);
    else byMachine.set(machineId, [tag]);
  }
  for (const tags of byMachine.values()) tags.sort((a, b) => a.localeCompare(b));
  return byMachine;
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}
