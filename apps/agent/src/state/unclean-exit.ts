// A run that ended without stopping properly (a crash, a kill -9, a power cut) leaves its state file
// saying `running: true` with a pid that is gone. The next start reports it as an AGENT_CRASHED error
// event with that run's last log lines, so the console can alert on it.
import {
  AGENT_CRASHED,
  type AgentEvent,
  CurrentJobSchema,
  formatLocalTime,
  type LogLine,
  LogLineSchema,
} from '@flock/protocol';
import { isAlive, readStateFile } from './state-file.js';
import type { AgentStateStore } from './store.js';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** What the report reads of a state file, checked: the file is on disk and may be damaged. */
function leftRun(
  content: unknown,
): { pid: number; writtenAt: number; jobId: string | null; lines: LogLine[] } | undefined {
  if (!isRecord(content) || content.running !== true) return undefined;
  const { pid, writtenAt, state } = content;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (typeof writtenAt !== 'number' || !Number.isFinite(writtenAt) || !isRecord(state)) return undefined;
  const job = CurrentJobSchema.safeParse(state.job);
  const log = Array.isArray(state.recentLog) ? state.recentLog.slice(-REPORTED_LINES) : [];
  const lines = log.flatMap((line) => {
    const parsed = LogLineSchema.safeParse(line);
    return parsed.success ? [parsed.data] : [];
  });
  return { pid, writtenAt, jobId: job.success ? job.data.id : null, lines };
}

/** How many of the ended run's last log lines go with the report. */
const REPORTED_LINES = 20;

/** The report of an earlier run in `cacheDir` that did not stop properly; undefined when none. */
export async function uncleanExitReport(
  cacheDir: string,
  store: AgentStateStore,
  now: number,
): Promise<Extract<AgentEvent, { kind: 'error' }> | undefined> {
  const left = leftRun(await readStateFile(cacheDir));
  if (!left) return undefined;
  const { pid, writtenAt, jobId, lines } = left;
  if (pid === process.pid || isAlive(pid)) return undefined;
  return {
    kind: 'error',
    jobId,
    code: AGENT_CRASHED,
    message: `The agent stopped without shutting down (a crash, a kill or a power cut), last seen ${formatLocalTime(writtenAt, now)}, and was started again.`,
    logExcerpt: store.logExcerpt(lines),
  };
}
