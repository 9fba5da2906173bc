import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema';

export type FarmDb = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * Opens (creating if needed) the farm database and brings its schema up to date. WAL with
 * synchronous=NORMAL: a commit survives the farm being killed (-9 included) without an fsync of its
 * own, as SQLite documents for WAL; only a power cut can roll back the last commits, which leaves
 * their frames assigned to a session that expires and hands them out again. FULL cost an fsync on every
 * session touch and job assignment, most of the farm's time per frame.
 */
export function openFarmDb(file: string): FarmDb {
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return db;
}
