import type { JobRequestParams } from '@flock/protocol';
import { lt, sql } from 'drizzle-orm';
import type { FarmDb } from './client';
import { type JobRequestRow, jobRequests } from './schema';

/** Only the latest requests are kept: a farm that runs for months must not grow without bound. */
export const JOB_REQUESTS_KEPT = 10_000;

export interface JobRequestRecord {
  sessionId: string;
  login: string;
  params: JobRequestParams;
  status: number;
  jobId: number | undefined;
  at: number;
}

/** Records one job request's parameters and answer, dropping the oldest beyond JOB_REQUESTS_KEPT. */
export function recordJobRequest(db: FarmDb, record: JobRequestRecord, kept = JOB_REQUESTS_KEPT): void {
  const { params } = record;
  const statements = statementsOf(db);
  const row = statements.insert.get({
    sessionId: record.sessionId,
    login: record.login,
    computeMethod: params.computeMethod,
    cores: params.cores ?? null,
    memoryKiB: params.memoryKiB,
    maxFrameTimeSeconds: params.maxFrameTimeSeconds,
    // Bound as it is: the json column's encoder would store a JSON `null` instead of SQL NULL.
    gpu: params.gpu === undefined ? null : JSON.stringify(params.gpu),
    status: record.status,
    jobId: record.jobId ?? null,
    createdAt: record.at,
  });
  if (row && row.id > kept) statements.deleteBelow.run({ id: row.id - kept + 1 });
}

/** The two statements, built once per database: one insert per job request. */
const prepared = new WeakMap<FarmDb, ReturnType<typeof prepareStatements>>();

function statementsOf(db: FarmDb): ReturnType<typeof prepareStatements> {
  let statements = prepared.get(db);
  if (!statements) {
    statements = prepareStatements(db);
    prepared.set(db, statements);
  }
  return statements;
}

function prepareStatements(db: FarmDb) {
  const value = (name: string) => sql`${sql.placeholder(name)}`;
  return {
    insert: db
      .insert(jobRequests)
      .values({
        sessionId: value('sessionId'),
        login: value('login'),
        computeMethod: value('computeMethod'),
        cores: value('cores'),
        memoryKiB: value('memoryKiB'),
        maxFrameTimeSeconds: value('maxFrameTimeSeconds'),
        gpu: value('gpu'),
        status: value('status'),
        jobId: value('jobId'),
        createdAt: value('createdAt'),
      })
      .returning({ id: jobRequests.id })
      .prepare(),
    deleteBelow: db
      .delete(jobRequests)
      .where(lt(jobRequests.id, sql.placeholder('id')))
      .prepare(),
  };
}

export function listJobRequests(db: FarmDb): JobRequestRow[] {
  return db.select().from(jobRequests).orderBy(jobRequests.id).all();
}
