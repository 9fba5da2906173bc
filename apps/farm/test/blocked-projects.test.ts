// "Block this project" in the official client kills the render and reports it as type 20; the farm
// then offers that session no frame of the project again (other sessions still get them).
import { ErrorType, JobRequestStatus } from '@flock/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualFarmClock, type RunningFarm } from '../src/index';
import { TestClient } from './helpers/client';
import { png, testFarm } from './helpers/farm';

let farm: RunningFarm;

beforeEach(async () => {
  farm = await testFarm();
});
afterEach(() => farm.close());

async function worker(): Promise<TestClient> {
  const client = new TestClient(farm.url);
  await client.login();
  return client;
}

const projectOf = (jobId: string) => farm.jobs().find((row) => String(row.id) === jobId)?.projectId;

describe('a project blocked by the user (error report type 20)', () => {
  it('is not offered to that session again; other projects and other sessions go on', async () => {
    const blocked = await farm.addProject({ frames: [1, 5], resolution: [16, 12] });
    const other = await farm.addProject({ frames: [1, 1], resolution: [16, 12] });
    const client = await worker();
    const first = await client.job();
    expect(projectOf(first.id)).toBe(blocked.id);
    expect(await client.reportError(ErrorType.RENDERER_KILLED_BY_USER, first, 'blocked')).toBe(0);

    const next = await client.job();
    expect(projectOf(next.id)).toBe(other.id);
    expect(await client.validate(next, png(16, 12))).toBe(0);
    // four frames of the blocked project still wait, none for this session
    expect((await client.requestJob()).status).toBe(JobRequestStatus.NO_JOB);

    const someoneElse = await (await worker()).job();
    expect(projectOf(someoneElse.id)).toBe(blocked.id);
  });

  it('are forgotten when the session ends (logged out or expired), as the block lives in the client', async () => {
    await farm.close();
    const clock = new ManualFarmClock();
    farm = await testFarm({ clock, maxPeriodSeconds: 60 });
    await farm.addProject({ frames: [1, 5], resolution: [16, 12] });
    const leaving = await worker();
    await leaving.reportError(ErrorType.RENDERER_KILLED_BY_USER, await leaving.job(), 'blocked');
    const silent = await worker();
    await silent.reportError(ErrorType.RENDERER_KILLED_BY_USER, await silent.job(), 'blocked');
    expect(farm.sessionBlocks()).toHaveLength(2);

    await leaving.logout();
    const alive = farm.sessions().filter((session) => session.state === 'alive');
    expect(farm.sessionBlocks().map((block) => block.sessionId)).toEqual(alive.map((session) => session.id));
    clock.advance(61_000);
    farm.expireSessions();
    expect(farm.sessionBlocks()).toEqual([]);
  });

  it('a fault can make the farm ignore blocks (a farm that keeps offering the project)', async () => {
    const blocked = await farm.addProject({ frames: [1, 5], resolution: [16, 12] });
    farm.faults.add({ kind: 'ignore-block', endpoint: 'error' });
    const client = await worker();
    const first = await client.job();
    expect(await client.reportError(ErrorType.RENDERER_KILLED_BY_USER, first, 'blocked')).toBe(0);
    expect(projectOf((await client.job()).id)).toBe(blocked.id);
  });
});
