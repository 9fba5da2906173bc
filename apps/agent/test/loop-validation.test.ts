// The farm loop and the farm's validation answers, against the real sandbox farm (synthetic
// renderer): retried and final answers, and no job request while three frames are outstanding.
import { ErrorType, MAX_OUTSTANDING_FRAMES } from '@flock/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import {
  cleanUp,
  doneFrames,
  renderedUntilDone,
  reportTypes,
  syntheticProject,
  testAgent,
  testFarm,
  until,
} from './e2e-helpers.js';

afterEach(cleanUp);

describe('validation answers', () => {
  // 305 and 307 are in no table of the official client's: like any other unknown status, retried.
  it.each([302, 303, 305, 307])('%i: the upload is retried and the frame delivered', async (status) => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1);
    farm.faults.add({ kind: 'status', endpoint: 'validation', status, times: 1 });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await renderedUntilDone(farm, t, clock, project.id, 1);
    expect(t.lines.join('\n')).toMatch(/upload failed, will retry/);
  });

  it.each([
    [300, ErrorType.UNKNOWN],
    [301, ErrorType.SESSION_DISABLED],
    [304, ErrorType.SESSION_DISABLED],
    [306, ErrorType.IMAGE_TOO_LARGE],
    [308, ErrorType.IMAGE_TOO_LARGE],
  ])(
    '%i: final refusal reported as type %i with the job; the agent keeps rendering',
    async (status, type) => {
      const farm = await testFarm();
      const project = await syntheticProject(farm, 2);
      farm.faults.add({ kind: 'status', endpoint: 'validation', status, times: 1 });
      const clock = new ManualClock(Date.now());
      const t = await testAgent(farm, { clock });
      await until(() => reportTypes(farm).includes(type), {
        clock,
        stepMs: 30_000,
        what: `report ${type}`,
        lines: t.lines,
      });
      const report = farm.errorReports().find((r) => r.type === type);
      expect(report?.jobId).toBeGreaterThan(0);
      // 304 means the session is dead: the agent logs in again before its next request
      const logins = status === 304 ? 2 : 1;
      await until(() => farm.sessions().length === logins, {
        clock,
        stepMs: 30_000,
        what: `${logins} logins`,
      });
      // the refused frame went back to the farm (or to another machine); this one renders the other
      await until(() => doneFrames(farm, project.id) >= 1, {
        clock,
        stepMs: 30_000,
        what: 'a frame done',
        lines: t.lines,
      });
    },
  );
});

describe('outstanding frames', () => {
  it('asks for no job while the farm has not settled three frames, and asks again once it has', async () => {
    const farm = await testFarm();
    await syntheticProject(farm, 6);
    // Every upload is refused as "upload failed" (retried): the rendered frames stay outstanding.
    const refusing = farm.faults.add({ kind: 'status', endpoint: 'validation', status: 303 });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await until(() => t.agent.store.state.reason?.code === 'upload-queue-full', {
      what: 'the upload queue full',
      lines: t.lines,
    });
    expect(farm.jobRequests()).toHaveLength(MAX_OUTSTANDING_FRAMES);
    // Ten minutes of retried uploads: still no job request.
    for (let minute = 0; minute < 10; minute += 1) {
      await clock.advance(60_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(farm.jobRequests()).toHaveLength(MAX_OUTSTANDING_FRAMES);
    expect(t.agent.store.state.reason?.code).toBe('upload-queue-full');
    farm.faults.remove(refusing);
    await until(() => farm.jobRequests().length > MAX_OUTSTANDING_FRAMES, {
      clock,
      stepMs: 30_000,
      what: 'a job request once uploads are settled',
      lines: t.lines,
    });
  });
});
