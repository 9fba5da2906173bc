import type { JobRequestParams } from '@flock/protocol';
import { lt } from 'drizzle-orm';
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
  const row = db
    .insert(jobRequests)
    .values({
      sessionId: record.sessionId,
      login: record.login,
      computeMethod: params.computeMethod,
      cores: params.cpuCores ?? null,
      ramMaxKiB: params.ramMaxKiB,
      rendertimeMaxSeconds: params.rendertimeMaxSeconds,
      gpu: params.gpu ?? null,
      status: record.status,
      jobId: record.jobId ?? null,
      createdAt: record.at,
    })
    .returning({ id: jobRequests.id })
    .get();
  if (row.id > kept)
    db.delete(jobRequests)
      .where(lt(jobRequests.id, row.id - kept + 1))
      .run();
}

export function listJobRequests(db: FarmDb): JobRequestRow[] {
  return db.select().from(jobRequests).orderBy(jobRequests.id).all();
}
