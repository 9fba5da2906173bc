import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../src/server/db/client';
import { ConsoleRepo } from '../src/server/db/repo';
import { tempDir } from './support/console';

const MIGRATIONS = join(import.meta.dirname, '..', 'drizzle');

/** A database as the first release left it: only migration 0000 applied, its one user the admin. */
function firstReleaseDatabase(file: string): void {
  const folder = tempDir('flock-migrations-');
  mkdirSync(join(folder, 'meta'));
  copyFileSync(join(MIGRATIONS, '0000_init.sql'), join(folder, '0000_init.sql'));
  const journal = JSON.parse(readFileSync(join(MIGRATIONS, 'meta', '_journal.json'), 'utf8'));
  journal.entries = journal.entries.slice(0, 1);
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal));
  const sqlite = new Database(file);
  migrate(drizzle(sqlite), { migrationsFolder: folder });
  sqlite
    .prepare('insert into users (username, password_hash, created_at) values (?, ?, ?)')
    .run('admin', 'h', 1);
  sqlite.close();
}

describe('users migration', () => {
  it('makes the existing admin an admin and new users plain users by default', async () => {
    const file = join(tempDir('flock-console-'), 'console.sqlite');
    firstReleaseDatabase(file);
    const database = openDatabase(file);
    const repo = new ConsoleRepo(database.db);
    await repo.createUser('ana', 'h', 2, false);
    expect((await repo.listUsers()).map((u) => [u.username, u.isAdmin])).toEqual([
      ['admin', true],
      ['ana', false],
    ]);
    database.close();
  });
});
