import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobRequestStatus } from '@flock/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFarmDb } from '../src/db/client';
import { listJobRequests, recordJobRequest } from '../src/db/job-requests';
import { ManualFarmClock, type RunningFarm } from '../src/index';
import { JOB_PARAMS, TestClient } from './helpers/client';
import { testFarm } from './helpers/farm';

let farm: RunningFarm;
let clock: ManualFarmClock;

beforeEach(async () => {
  clock = new ManualFarmClock();
  farm = await testFarm({ clock });
  await farm.addProject({ frames: [1, 5], resolution: [16, 12] });
});
afterEach(() => farm.close());

describe('the job request log', () => {
  it('records what each request asked for and what it got', async () => {
    const client = new TestClient(farm.url);
    await client.login();
    const session = farm.sessions()[0]?.id;
    const first = await client.job();
    clock.advance(1_000);
    const gpu = { type: 'OPTIX', model: 'RTX 4090', ramBytes: 24 * 2 ** 30 };
    await client.requestJob([], { cores: 1, computeMethod: 0, memoryKiB: 1_000_000, gpu });
    expect(farm.jobRequests()).toEqual([
      {
        id: 1,
        sessionId: session,
        login: 'demo',
        computeMethod: 1,
        cores: 2,
        memoryKiB: 4_000_000,
        maxFrameTimeSeconds: 0,
        gpu: null,
        status: JobRequestStatus.OK,
        jobId: Number(first.id),
        createdAt: clock.now() - 1_000,
      },
      expect.objectContaining({ cores: 1, computeMethod: 0, memoryKiB: 1_000_000, gpu, status: 0 }),
    ]);
  });

  it('records refused and empty answers too, but not unreadable requests', async () => {
    const client = new TestClient(farm.url);
    await client.login();
    for (let i = 0; i < 4; i++) await client.requestJob(); // the fourth: 3 jobs unvalidated already
    const broken = await fetch(`${client.ends.requestJob}?computemethod=lots`, {
      method: 'POST',
      headers: { cookie: client.cookie ?? '', 'content-type': 'application/xml' },
      body: '<cache/>',
    });
    expect(await broken.text()).toContain('status="204"');
    farm.faults.add({ kind: 'status', endpoint: 'request-job', status: JobRequestStatus.MAINTENANCE });
    await client.requestJob([], { cores: 3 });
    expect(farm.jobRequests().map((row) => [row.status, row.jobId !== null, row.cores])).toEqual([
      [0, true, 2],
      [0, true, 2],
      [0, true, 2],
      [JobRequestStatus.NO_JOB, false, 2],
      [JobRequestStatus.MAINTENANCE, false, 3],
    ]);
  });

  it('keeps only the latest requests', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flock-farm-requests-'));
    const db = openFarmDb(join(dir, 'farm.sqlite'));
    try {
      for (let at = 1; at <= 7; at++) {
        const record = {
          sessionId: 's',
          login: 'demo',
          params: JOB_PARAMS,
          status: 200,
          jobId: undefined,
          at,
        };
        recordJobRequest(db, record, 3);
      }
      expect(listJobRequests(db).map((row) => row.createdAt)).toEqual([5, 6, 7]);
    } finally {
      db.$client.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
