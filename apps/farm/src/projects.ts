import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { FarmClock } from './clock';
import type { FarmDb } from './db/client';
import { prepareProjectQueries } from './db/project-queries';
import {
  type FrameRow,
  frames,
  type JobRow,
  type JobState,
  jobs,
  type ProjectRow,
  projects,
  type RendererKind,
  type SessionRow,
} from './db/schema';
import type { FarmLogger } from './log';

/**
 * Projects and their frame queue. Every state change runs in one SQLite transaction, so a farm killed
 * at any moment neither loses a frame (it stays `rendering` until its session dies, then goes back to
 * `waiting`) nor credits one twice (a frame becomes `done` exactly once).
 */
export type NewProject = Omit<ProjectRow, 'id' | 'state' | 'createdAt'>;

export interface AssignedJob {
  job: JobRow;
  project: ProjectRow;
}

export type CompletionOutcome =
  | { kind: 'credited'; credits: number }
  /** Accepted, but the frame was already done (a retried upload, or another session was faster). */
  | { kind: 'already-done' }
  /** No such job for this session. */
  | { kind: 'unknown-job' };

/** Credits granted for each validated frame. */
export const CREDITS_PER_FRAME = 10;
/** The first job id handed out: clear of the test frames' ids (below FIRST_REAL_JOB_ID). */
export const FIRST_JOB_ID = 100;
/** A job whose uploads were refused this often (302/303) goes back to the queue. */
export const MAX_FAILED_UPLOADS = 3;

export class ProjectStore {
  private readonly queries: ReturnType<typeof prepareProjectQueries>;

  constructor(
    private readonly db: FarmDb,
    private readonly clock: FarmClock,
    private readonly log: FarmLogger,
  ) {
    this.queries = prepareProjectQueries(db);
  }

  add(project: NewProject): ProjectRow {
    return this.db.transaction(() => {
      const row = this.db
        .insert(projects)
        .values({ ...project, createdAt: this.clock.now() })
        .returning()
        .get();
      const numbers = range(project.frameStart, project.frameEnd);
      for (let start = 0; start < numbers.length; start += 500) {
        const chunk = numbers.slice(start, start + 500).map((number) => ({ projectId: row.id, number }));
        this.db.insert(frames).values(chunk).run();
      }
      return row;
    });
  }

  get(id: number): ProjectRow | undefined {
    return this.queries.project.get({ id });
  }

  list(): ProjectRow[] {
    return this.db.select().from(projects).orderBy(asc(projects.id)).all();
  }

  frames(projectId: number): FrameRow[] {
    return this.db
      .select()
      .from(frames)
      .where(eq(frames.projectId, projectId))
      .orderBy(asc(frames.number))
      .all();
  }

  job(id: number): JobRow | undefined {
    return this.queries.job.get({ id });
  }

  /** Stops handing out a project's frames; its running jobs get heartbeat 400. */
  cancel(projectId: number): void {
    this.db.transaction(() => {
      this.db.update(projects).set({ state: 'cancelled' }).where(eq(projects.id, projectId)).run();
      const running = this.db
        .select({ id: jobs.id })
        .from(jobs)
        .where(and(eq(jobs.projectId, projectId), eq(jobs.state, 'assigned')))
        .all();
      for (const { id } of running) this.endJob(id, 'cancelled', 'project cancelled');
    });
  }

  /** Unvalidated jobs of a session (the farm hands out at most 3). */
  outstanding(sessionId: string): number {
    return this.queries.outstanding.get({ sessionId })?.count ?? 0;
  }

  /**
   * Hands the next waiting frame (oldest project first) to the session, or undefined when none waits.
   * When none waits, a repeating project's longest-done frame is queued again first.
   * Only projects whose renderer this farm can serve are considered, never a frame this session
   * already failed (a frame that crashes a machine must not come back to it in a loop), and never a
   * project the session blocked.
   */
  assignNext(sessionId: string, renderers: readonly RendererKind[]): AssignedJob | undefined {
    return this.db.transaction(() => {
      const query = { sessionId, renderers: JSON.stringify(renderers) };
      const next =
        this.queries.nextWaiting.get(query) ??
        (this.requeueLongestDoneRepeating() ? this.queries.nextWaiting.get(query) : undefined);
      if (!next) return undefined;
      const maxId = this.queries.maxJobId.get()?.max;
      const job = this.queries.insertJob.get({
        id: Math.max(FIRST_JOB_ID, (maxId ?? 0) + 1),
        projectId: next.project.id,
        frame: next.frame.number,
        sessionId,
        createdAt: this.clock.now(),
      });
      if (!job) throw new Error(`job for frame ${next.frame.number} was not inserted`);
      this.queries.startFrame.run({ projectId: next.project.id, number: next.frame.number, jobId: job.id });
      return { job, project: next.project };
    });
  }

  /** A repeating project's longest-done frame back in the queue; false when there is none. */
  private requeueLongestDoneRepeating(): boolean {
    const frame = this.queries.longestDoneRepeating.get();
    if (!frame) return false;
    this.queries.requeueDone.run(frame);
    this.log.info('repeating project: frame back in the queue', {
      project: frame.projectId,
      frame: frame.number,
    });
    return true;
  }

  /** True while the job may keep rendering: still assigned and its project active. */
  isJobLive(jobId: number): boolean {
    const row = this.db
      .select({ state: jobs.state, projectState: projects.state })
      .from(jobs)
      .innerJoin(projects, eq(jobs.projectId, projects.id))
      .where(eq(jobs.id, jobId))
      .get();
    return row?.state === 'assigned' && row.projectState === 'active';
  }

  /** The account whose session received this job (jobs survive a re-login of the same account). */
  loginOf(job: JobRow): string | undefined {
    return this.queries.sessionLogin.get({ id: job.sessionId })?.login;
  }

  /**
   * Records a validated frame. The uploading session must belong to the account the job was given
   * to; it may be a newer session (a client that logged in again after 202 still uploads its queue).
   * `persistImage` stores the uploaded file inside the transaction, so a frame is done only together
   * with its image. A late upload of a re-queued frame is still accepted (the work is real) and the
   * frame's newer job is cancelled; a frame is credited once.
   */
  complete(
    jobId: number,
    upload: { session: SessionRow; renderTimeSeconds: number; persistImage: (project: ProjectRow) => string },
  ): CompletionOutcome {
    return this.db.transaction(() => {
      const job = this.job(jobId);
      if (!job || this.loginOf(job) !== upload.session.login) return { kind: 'unknown-job' };
      const project = this.get(job.projectId);
      const frame = this.frameOf(job);
      if (!project || !frame) return { kind: 'unknown-job' };
      if (frame.state === 'done' || project.state !== 'active') {
        if (job.state === 'assigned') this.endJob(job.id, 'cancelled', 'frame already done');
        return { kind: 'already-done' };
      }
      if (frame.jobId !== null && frame.jobId !== job.id && frame.state === 'rendering') {
        this.endJob(frame.jobId, 'cancelled', `frame done by the late upload of job ${job.id}`);
      }
      const imageFile = upload.persistImage(project);
      this.queries.finishFrame.run({
        projectId: job.projectId,
        number: job.frame,
        jobId: job.id,
        imageFile,
        doneBy: upload.session.login,
        doneAt: this.clock.now(),
        renderTimeSeconds: upload.renderTimeSeconds,
      });
      this.queries.validateJob.run({ id: job.id, endedAt: this.clock.now() });
      this.credit(upload.session.id, upload.session.login, CREDITS_PER_FRAME);
      return { kind: 'credited', credits: CREDITS_PER_FRAME };
    });
  }

  /** Counts a refused upload; the third one sends the frame back to the queue. Returns true then. */
  recordFailedUpload(jobId: number): boolean {
    return this.db.transaction(() => {
      const job = this.job(jobId);
      if (job?.state !== 'assigned') return false;
      const frame = this.db
        .update(frames)
        .set({ failedUploads: sql`${frames.failedUploads} + 1` })
        .where(
          and(eq(frames.projectId, job.projectId), eq(frames.number, job.frame), eq(frames.jobId, jobId)),
        )
        .returning()
        .get();
      if (!frame || frame.failedUploads < MAX_FAILED_UPLOADS) return false;
      this.endJob(jobId, 'failed', `${frame.failedUploads} refused uploads`);
      return true;
    });
  }

  /**
   * Ends a job that will bring no frame and re-queues its frame. `failed` (the default: a render
   * error, a final refusal) also keeps the frame away from this session; `requeued` does not (the
   * frame was not at fault: a download problem, a kill by the farm).
   */
  failJob(jobId: number, reason: string, outcome: 'failed' | 'requeued' = 'failed'): void {
    this.endJob(jobId, outcome, reason);
  }

  /** The session's user blocked the project: none of its frames is offered to that session again. */
  blockForSession(sessionId: string, projectId: number): void {
    this.queries.blockProject.run({ sessionId, projectId, createdAt: this.clock.now() });
    this.log.info('project blocked by the session', { session: sessionId.slice(0, 8), project: projectId });
  }

  /** Re-queues every unvalidated job of an ended session. */
  releaseSession(sessionId: string, reason: string): void {
    const assigned = this.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.sessionId, sessionId), eq(jobs.state, 'assigned')))
      .all();
    for (const { id } of assigned) this.endJob(id, 'requeued', reason);
  }

  /** Frames still to render and projects that have some, over active projects. */
  counts(): { frameRemaining: number; waitingProjects: number } {
    const rows = this.queries.remainingByProject.all();
    return {
      frameRemaining: rows.reduce((sum, row) => sum + row.remaining, 0),
      waitingProjects: rows.length,
    };
  }

  /** Archive MD5s of projects that need no more rendering: clients may delete them from their cache. */
  retiredArchiveMd5s(candidates: readonly string[]): string[] {
    if (candidates.length === 0) return [];
    return this.queries.retiredMd5s.all({ md5s: JSON.stringify(candidates) }).map((row) => row.md5);
  }

  /** The most recently validated frames, newest first. */
  recentFrames(limit: number): FrameRow[] {
    return this.db
      .select()
      .from(frames)
      .where(eq(frames.state, 'done'))
      .orderBy(desc(frames.doneAt))
      .limit(limit)
      .all();
  }

  frame(projectId: number, number: number): FrameRow | undefined {
    return this.queries.frame.get({ projectId, number });
  }

  private frameOf(job: JobRow): FrameRow | undefined {
    return this.frame(job.projectId, job.frame);
  }

  /** Ends an assigned job; its frame goes back to `waiting` unless another job has taken it since. */
  private endJob(jobId: number, state: Exclude<JobState, 'assigned' | 'validated'>, reason: string): void {
    this.db.transaction(() => {
      const job = this.db
        .update(jobs)
        .set({ state, endedAt: this.clock.now(), endReason: reason })
        .where(and(eq(jobs.id, jobId), eq(jobs.state, 'assigned')))
        .returning()
        .get();
      if (!job) return;
      this.db
        .update(frames)
        .set({ state: 'waiting', jobId: null, failedUploads: 0 })
        .where(
          and(
            eq(frames.projectId, job.projectId),
            eq(frames.number, job.frame),
            eq(frames.jobId, jobId),
            eq(frames.state, 'rendering'),
          ),
        )
        .run();
      this.log.info(`job ${state}, frame back in the queue`, {
        job: jobId,
        project: job.projectId,
        frame: job.frame,
        reason,
      });
    });
  }

  private credit(sessionId: string, login: string, amount: number): void {
    this.queries.creditAccount.run({ login, amount });
    this.queries.creditSession.run({ id: sessionId, amount });
  }
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start + 1 }, (_, index) => start + index);
}
