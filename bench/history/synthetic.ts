// One synthetic day of a fleet, deterministic per day: what the agents would have sent (events) and the
// roll-up sums the console adds for them (hourly and daily, per machine and for the fleet, and the
// fleet's monthly per project).

import { THUMBNAILS_KEPT_PER_MACHINE } from '../../apps/web/src/server/db/repo';
import {
  bucketOf,
  DAY_MS,
  HOUR_MS,
  monthOf,
  splitIntoBuckets,
} from '../../apps/web/src/server/history/buckets';
import { FLEET_KEY, FLEET_TOTAL_KEY, NO_PROJECT_KEY } from '../../apps/web/src/server/history/repo';
import type { AgentEvent, JobPhaseSpan } from '../../packages/protocol/src/index';

/** Frames a machine delivers per connected hour (one every 15 minutes, download and upload included). */
export const FRAMES_PER_HOUR = 4;
export const PROJECTS = 300;
/** A 160-pixel JPEG thumbnail is about 6 KB: 8 KB of base64. */
const THUMBNAIL = `data:image/jpeg;base64,${'A'.repeat(8 * 1024)}`;
const LOG_EXCERPT = 'Fra:12 Mem:512.00M (Peak 740.00M) | Time:00:41.12 | Rendering 12 / 64 samples\n'.repeat(
  28,
);

/** A job's phases as an agent reports them with its frame: download to upload, ending at `end`. */
function phasesEndingAt(end: number, renderTimeMs: number): JobPhaseSpan[] {
  const spans: JobPhaseSpan[] = [];
  let at = end - (20_000 + 2_000 + 5_000 + renderTimeMs + 10_000);
  for (const [phase, ms] of [
    ['download', 20_000],
    ['extract', 2_000],
    ['prepare', 5_000],
    ['render', renderTimeMs],
    ['upload', 10_000],
  ] as const) {
    spans.push({ phase, startedAt: at, endedAt: at + ms });
    at += ms;
  }
  return spans;
}

export interface SyntheticEvent {
  machineId: string;
  bootId: string;
  seq: number;
  at: number;
  event: AgentEvent;
  thumbnail: string | null;
  /** The credits a frame's row holds once its `frame-credits` event is stored. */
  credits: number | null;
}
type RollUpRow = [number, number, number, number, number, number, number, number];
export interface SyntheticDay {
  events: SyntheticEvent[];
  hourly: RollUpRow[];
  daily: RollUpRow[];
  /** The fleet's project rows of the day, added to its month. */
  monthly: RollUpRow[];
  frames: number;
}

/** mulberry32: a small seeded generator, so every run writes the same data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Sums {
  readonly rows = new Map<string, RollUpRow>();
  add(
    bucket: number,
    machine: number,
    project: number,
    amounts: Partial<Record<'frames' | 'credits' | 'render' | 'errors' | 'online', number>>,
  ) {
    // As HistoryRepo adds: the machine's row and the fleet's of the project, and the fleet's of all projects.
    const rows: [key: number, project: number][] = [
      [machine, project],
      [FLEET_KEY, project],
      [FLEET_TOTAL_KEY, NO_PROJECT_KEY],
    ];
    for (const [key, projectOfRow] of rows) {
      const id = `${bucket}|${key}|${projectOfRow}`;
      const row = this.rows.get(id) ?? [bucket, key, projectOfRow, 0, 0, 0, 0, 0];
      row[3] += amounts.frames ?? 0;
      row[4] += amounts.credits ?? 0;
      row[5] += amounts.render ?? 0;
      row[6] += amounts.errors ?? 0;
      row[7] += amounts.online ?? 0;
      this.rows.set(id, row);
    }
  }
}

export async function syntheticDay(options: {
  dayStart: number;
  machineIds: string[];
  machineKeys: Map<string, number>;
  projectKey: (name: string) => Promise<number>;
}): Promise<SyntheticDay> {
  const { dayStart, machineIds, machineKeys } = options;
  const rand = random(dayStart / DAY_MS);
  const hourly = new Sums();
  const daily = new Sums();
  const events: SyntheticEvent[] = [];
  let frames = 0;
  for (const [index, machineId] of machineIds.entries()) {
    const machine = machineKeys.get(machineId) as number;
    const own = random(index + 1);
    // Each machine has its habits: 6 to 24 connected hours a day, from a start hour of its own.
    const onlineHours = 6 + Math.floor(own() * 19);
    const from = dayStart + Math.floor(own() * (24 - onlineHours + 1)) * HOUR_MS;
    const to = Math.min(dayStart + DAY_MS, from + onlineHours * HOUR_MS);
    for (const piece of splitIntoBuckets(from, to, HOUR_MS))
      hourly.add(piece.bucket, machine, NO_PROJECT_KEY, { online: piece.ms });
    daily.add(dayStart, machine, NO_PROJECT_KEY, { online: to - from });
    // A boot a day, shaped like the agent's (a random UUID).
    const bootId = `b0a7c3d2-${String(index).padStart(4, '0')}-4000-8000-${String(dayStart / DAY_MS).padStart(12, '0')}`;
    let seq = 0;
    let project = '';
    const uncredited: (SyntheticEvent & { project: string; jobId: string })[] = [];
    const dayFrames = Math.round(onlineHours * FRAMES_PER_HOUR * (0.8 + rand() * 0.4));
    for (let n = 0; n < dayFrames; n++) {
      if (n % 8 === 0) project = `Project ${Math.floor(PROJECTS * rand() ** 3)}`;
      const at = Math.min(to - 1, from + Math.floor(((n + rand()) / dayFrames) * (to - from)));
      const jobId = `${dayStart / 1000}-${index}-${n}`;
      const renderTimeMs = 300_000 + Math.floor(rand() * 540_000);
      const done: SyntheticEvent & { project: string; jobId: string } = {
        machineId,
        bootId,
        seq: ++seq,
        at,
        event: {
          kind: 'frame-done',
          jobId,
          project,
          frame: n,
          renderTimeMs,
          credits: null,
          thumbnail: null,
          phases: phasesEndingAt(at, renderTimeMs),
        },
        // Every frame comes with one; the newest few are what the console keeps after trimming.
        thumbnail: n >= dayFrames - THUMBNAILS_KEPT_PER_MACHINE ? THUMBNAIL : null,
        credits: null,
        project,
        jobId,
      };
      events.push(done);
      const key = await options.projectKey(project);
      hourly.add(bucketOf(at, HOUR_MS), machine, key, { frames: 1, render: renderTimeMs });
      daily.add(dayStart, machine, key, { frames: 1, render: renderTimeMs });
      uncredited.push(done);
      // The farm reports credits on the next job request: every 4 frames, for those frames.
      if (uncredited.length === 4 || n === dayFrames - 1) {
        const credited = uncredited.splice(0);
        for (const f of credited) f.credits = 5 + Math.round(rand() * 45);
        events.push({
          machineId,
          bootId,
          seq: ++seq,
          at: at + 1,
          event: {
            kind: 'frame-credits',
            frames: credited.map((f) => ({ jobId: f.jobId, credits: f.credits ?? 0 })),
          },
          thumbnail: null,
          credits: null,
        });
        for (const f of credited) {
          const fKey = await options.projectKey(f.project);
          hourly.add(bucketOf(f.at, HOUR_MS), machine, fKey, { credits: f.credits ?? 0 });
          daily.add(dayStart, machine, fKey, { credits: f.credits ?? 0 });
        }
      }
    }
    frames += dayFrames;
    if (rand() < 0.5) {
      const at = from + Math.floor(rand() * (to - from));
      events.push({
        machineId,
        bootId,
        seq: ++seq,
        at,
        event: {
          kind: 'error',
          jobId: null,
          code: 'RENDERER_CRASHED',
          message: 'Blender exited with code 139',
          logExcerpt: LOG_EXCERPT,
        },
        thumbnail: null,
        credits: null,
      });
      hourly.add(bucketOf(at, HOUR_MS), machine, NO_PROJECT_KEY, { errors: 1 });
      daily.add(dayStart, machine, NO_PROJECT_KEY, { errors: 1 });
    }
  }
  const monthly = [...daily.rows.values()]
    .filter(([, key, project]) => key === FLEET_KEY && project !== NO_PROJECT_KEY)
    .map(([bucket, ...sums]): RollUpRow => [monthOf(bucket), ...sums]);
  return { events, hourly: [...hourly.rows.values()], daily: [...daily.rows.values()], monthly, frames };
}
