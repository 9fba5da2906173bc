// One farm session as a sub-client of the agent has it (its own login and cookie) and the job it was
// given: for tests and benchmarks of what several sessions share (the archive cache), without the
// agent's loop.
import {
  buildDownloadRequest,
  buildJobRequest,
  type Endpoints,
  type Job,
  parseJobRequestAnswer,
} from '@flock/protocol';
import type { Clock } from '../src/clock.js';
import { FarmHttp } from '../src/farm/http.js';
import { FarmSession } from '../src/farm/session.js';
import { Logger } from '../src/log/index.js';
import { testMachineFacts } from './machine.js';

export interface SessionWithJob {
  http: FarmHttp;
  endpoints: Endpoints;
  job: Job;
  /** The job's project archive download, with the session's headers (cookie, User-Agent). */
  projectDownload: { md5: string; url: string; headers: Record<string, string> };
}

/** Logs in to the farm as `demo` (CPU, one core) and asks for one job; throws when none is given. */
export async function farmSessionWithJob(
  farmUrl: string,
  clock: Clock,
  hwid: string,
): Promise<SessionWithJob> {
  const machine = testMachineFacts('test-box');
  // A fake clock may jump far while a real request takes milliseconds: no minimum rate here.
  const http = new FarmHttp({
    clock,
    userAgent: 'Flock/test',
    rateFloor: { windowMs: 7 * 24 * 60 * 60_000 },
  });
  const session = new FarmSession({
    http,
    log: new Logger(clock),
    serverUrl: () => farmUrl,
    params: {
      version: '7.25209.0',
      os: machine.os,
      osVersion: machine.osVersion,
      bits: machine.bits,
      cpuFamily: machine.cpu.family,
      cpuModel: machine.cpu.model,
      cpuModelName: machine.cpu.name,
      cpuCores: 1,
      ramKiB: machine.ramKiB,
      hostname: machine.hostname,
      headless: true,
      hwid,
    },
    account: () => ({ login: 'demo', password: 'demo' }),
    skipSpeedtest: true,
  });
  const endpoints = await session.login();
  const params = {
    computeMethod: 1 as const,
    networkDl: 0,
    networkUp: 0,
    cores: 1,
    memoryKiB: 4 * 1024 * 1024,
    maxFrameTimeSeconds: 0,
  };
  const answer = await http.sendXml(buildJobRequest(endpoints, params, []), (body, type) =>
    parseJobRequestAnswer(body, type),
  );
  if (!answer.job) throw new Error(`no job for session ${hwid}: status ${answer.status}`);
  const { url } = buildDownloadRequest(endpoints, 'job', answer.job.id);
  return {
    http,
    endpoints,
    job: answer.job,
    projectDownload: { md5: answer.job.archiveMd5, url, headers: http.headersFor(url) },
  };
}
