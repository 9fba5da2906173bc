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

/** A database with only the first `count` migrations applied. */
function migratedUpTo(file: string, count: number): Database.Database {
  const folder = tempDir('flock-migrations-');
  mkdirSync(join(folder, 'meta'));
  const journal = JSON.parse(readFileSync(join(MIGRATIONS, 'meta', '_journal.json'), 'utf8'));
  journal.entries = journal.entries.slice(0, count);
  for (const { tag } of journal.entries)
    copyFileSync(join(MIGRATIONS, `${tag}.sql`), join(folder, `${tag}.sql`));
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify(journal));
  const sqlite = new Database(file);
  migrate(drizzle(sqlite), { migrationsFolder: folder });
  return sqlite;
}

/** A database as the first release left it: only migration 0000 applied, its one user the admin. */
function firstReleaseDatabase(file: string): void {
  const sqlite = migratedUpTo(file, 1);
  sqlite
    .prepare('insert into users (username, password_hash, created_at) values (?, ?, ?)')
    .run('admin', 'h', 1);
  sqlite.close();
}

describe('users migration', () => {
  it('makes the existing admin an admin', async () => {
    const file = join(tempDir('flock-console-'), 'console.sqlite');
    firstReleaseDatabase(file);
    const database = openDatabase(file);
    const repo = new ConsoleRepo(database.db);
    await repo.createUser('ana', 'h', 2, 'viewer');
    expect((await repo.listUsers()).map((u) => [u.username, u.role])).toEqual([
      ['admin', 'admin'],
      ['ana', 'viewer'],
    ]);
    database.close();
  });

  it('keeps admins admins and makes the other users operators when roles arrive', async () => {
    const file = join(tempDir('flock-console-'), 'console.sqlite');
    const before = migratedUpTo(file, 3); // users with is_admin, before roles
    const insert = before.prepare(
      'insert into users (username, password_hash, created_at, is_admin) values (?, ?, ?, ?)',
    );
    insert.run('admin', 'h', 1, 1);
    insert.run('bob', 'h', 2, 1);
    insert.run('ana', 'h', 3, 0);
    before.close();
    const database = openDatabase(file);
    const repo = new ConsoleRepo(database.db);
    expect((await repo.listUsers()).map((u) => [u.username, u.role])).toEqual([
      ['admin', 'admin'],
      ['ana', 'operator'],
      ['bob', 'admin'],
    ]);
    database.close();
  });
});
