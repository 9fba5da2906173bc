import { and, asc, eq, ne, not, or, type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { FarmDb } from './client';
import { accounts, frames, jobs, projects, sessionBlocks, sessions } from './schema';

/** `column in (…)` over a JSON array bound as one parameter, so the statement can be prepared once. */
function inJsonArray(column: SQLiteColumn, name: string): SQL {
  return sql`${column} in (select value from json_each(${sql.placeholder(name)}))`;
}

/** The statements of the per-request path, built once: drizzle's query building costs more than SQLite. */
export function prepareProjectQueries(db: FarmDb) {
  const value = (name: string) => sql`${sql.placeholder(name)}`;
  const frameKey = and(
    eq(frames.projectId, sql.placeholder('projectId')),
    eq(frames.number, sql.placeholder('number')),
  );
  const notFailedBy = sql`not exists (select 1 from ${jobs} where ${jobs.projectId} = ${frames.projectId}
    and ${jobs.frame} = ${frames.number} and ${jobs.sessionId} = ${sql.placeholder('sessionId')}
    and ${jobs.state} = 'failed')`;
  const notBlockedBy = sql`not exists (select 1 from ${sessionBlocks}
    where ${sessionBlocks.sessionId} = ${sql.placeholder('sessionId')}
    and ${sessionBlocks.projectId} = ${frames.projectId})`;
  const unfinished = sql`exists (select 1 from ${frames}
    where ${frames.projectId} = ${projects.id} and ${frames.state} != 'done')`;
  return {
    project: db
      .select()
      .from(projects)
      .where(eq(projects.id, sql.placeholder('id')))
      .prepare(),
    job: db
      .select()
      .from(jobs)
      .where(eq(jobs.id, sql.placeholder('id')))
      .prepare(),
    frame: db.select().from(frames).where(frameKey).prepare(),
    sessionLogin: db
      .select({ login: sessions.login })
      .from(sessions)
      .where(eq(sessions.id, sql.placeholder('id')))
      .prepare(),
    outstanding: db
      .select({ count: sql<number>`count(*)` })
      .from(jobs)
      .where(and(eq(jobs.sessionId, sql.placeholder('sessionId')), eq(jobs.state, 'assigned')))
      .prepare(),
    nextWaiting: db
      .select({ frame: frames, project: projects })
      .from(frames)
      .innerJoin(projects, eq(frames.projectId, projects.id))
      .where(
        and(
          eq(frames.state, 'waiting'),
          eq(projects.state, 'active'),
          inJsonArray(projects.renderer, 'renderers'),
          notFailedBy,
          notBlockedBy,
        ),
      )
      .orderBy(asc(frames.projectId), asc(frames.number))
      // No LIMIT: `.get()` reads the first row only, and a bound `limit ?` made SQLite ~6× slower here.
      .prepare(),
    blockProject: db
      .insert(sessionBlocks)
      .values({
        sessionId: sql.placeholder('sessionId'),
        projectId: sql.placeholder('projectId'),
        createdAt: sql.placeholder('createdAt'),
      })
      .onConflictDoNothing()
      .prepare(),
    maxJobId: db
      .select({ max: sql<number | null>`max(${jobs.id})` })
      .from(jobs)
      .prepare(),
    insertJob: db
      .insert(jobs)
      .values({
        id: sql.placeholder('id'),
        projectId: sql.placeholder('projectId'),
        frame: sql.placeholder('frame'),
        sessionId: sql.placeholder('sessionId'),
        createdAt: sql.placeholder('createdAt'),
      })
      .returning()
      .prepare(),
    startFrame: db
      .update(frames)
      .set({ state: 'rendering', jobId: value('jobId'), failedUploads: 0 })
      .where(frameKey)
      .prepare(),
    finishFrame: db
      .update(frames)
      .set({
        state: 'done',
        jobId: value('jobId'),
        imageFile: value('imageFile'),
        doneBy: value('doneBy'),
        doneAt: value('doneAt'),
        renderTimeSeconds: value('renderTimeSeconds'),
      })
      .where(frameKey)
      .prepare(),
    validateJob: db
      .update(jobs)
      .set({ state: 'validated', endedAt: value('endedAt'), endReason: 'validated' })
      .where(eq(jobs.id, sql.placeholder('id')))
      .prepare(),
    creditAccount: db
      .update(accounts)
      .set({ credits: sql`${accounts.credits} + ${sql.placeholder('amount')}` })
      .where(eq(accounts.login, sql.placeholder('login')))
      .prepare(),
    creditSession: db
      .update(sessions)
      .set({ creditsSession: sql`${sessions.creditsSession} + ${sql.placeholder('amount')}` })
      .where(eq(sessions.id, sql.placeholder('id')))
      .prepare(),
    remainingByProject: db
      .select({ projectId: frames.projectId, remaining: sql<number>`count(*)` })
      .from(frames)
      .innerJoin(projects, eq(frames.projectId, projects.id))
      .where(and(ne(frames.state, 'done'), eq(projects.state, 'active')))
      .groupBy(frames.projectId)
      .prepare(),
    retiredMd5s: db
      .selectDistinct({ md5: projects.archiveMd5 })
      .from(projects)
      .where(
        and(
          inJsonArray(projects.archiveMd5, 'md5s'),
          or(ne(projects.state, 'active'), and(not(unfinished), eq(projects.repeat, false))),
        ),
      )
      .prepare(),
    longestDoneRepeating: db
      .select({ projectId: frames.projectId, number: frames.number })
      .from(frames)
      .innerJoin(projects, eq(frames.projectId, projects.id))
      .where(and(eq(frames.state, 'done'), eq(projects.state, 'active'), eq(projects.repeat, true)))
      .orderBy(asc(frames.doneAt), asc(frames.projectId), asc(frames.number))
      .prepare(),
    requeueDone: db
      .update(frames)
      .set({
        state: 'waiting',
        jobId: null,
        failedUploads: 0,
        imageFile: null,
        doneBy: null,
        doneAt: null,
        renderTimeSeconds: null,
      })
      .where(and(frameKey, eq(frames.state, 'done')))
      .prepare(),
  };
}
