// The real agent against a farm that sends a hostile value in every farm-supplied field that reaches
// a path, a URL, a process argument, a buffer or a loop. For each: nothing outside the cache is
// created, changed or deleted (a sentinel directory is fingerprinted before and after), the agent
// logs a clear error, and it keeps going: once the farm behaves again, it renders the next frame.
import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AgentStateSchema, ErrorType } from '@flock/protocol';
import type { FaultSpec, RunningFarm } from 'flock-farm';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { buildZip, type RawEntry } from './archive-zip-builder.js';
import {
  cleanUp,
  doneFrames,
  syntheticProject,
  type TestAgent,
  tempDir,
  testAgent,
  testFarm,
  until,
} from './e2e-helpers.js';
import { type Recorder, type Sentinel, sentinelDir, startRecorder } from './support/hostile.js';
import { canMountTmpfs, mountTmpfs } from './support/tmpfs.js';

let sentinel: Sentinel;
let recorder: Recorder;

afterEach(async () => {
  await cleanUp();
  await recorder?.close();
  if (sentinel) rmSync(sentinel.dir, { recursive: true, force: true });
});

const MINUTE = 60_000;

/** Replaces one attribute's value in the job-request answer (the first match of `name="…"` after `element`). */
function jobAttribute(element: string, name: string, value: string): FaultSpec {
  return {
    kind: 'rewrite-answer',
    endpoint: 'request-job',
    pattern: `(<${element}\\b[^>]*?\\s)${name}="[^"]*"`,
    replacement: `$1${name}="${value}"`,
    times: 1,
  };
}

interface HostileCase {
  field: string;
  faults: (sentinel: Sentinel, recorder: Recorder) => FaultSpec[];
  /** What the agent's log must say about the refusal. */
  logged: RegExp;
}

const jobAnswerCases: HostileCase[] = [
  {
    field: 'archive_md5',
    faults: (s) => [jobAttribute('job', 'archive_md5', s.traversal('important'))],
    logged: /archive_md5=.*32 hex/,
  },
  {
    field: 'renderer md5',
    faults: (s) => [jobAttribute('renderer', 'md5', s.traversal('important'))],
    logged: /md5=.*on <renderer>.*32 hex/,
  },
  {
    field: 'file-delete md5',
    faults: (s) => [
      {
        kind: 'rewrite-answer',
        endpoint: 'request-job',
        pattern: '(<jobrequest status="0">)',
        replacement: `$1<file md5="${s.traversal('important')}" action="delete"/>`,
        times: 1,
      },
    ],
    logged: /md5=.*on <file>.*32 hex/,
  },
  {
    field: 'job id',
    faults: (s) => [jobAttribute('job', 'id', s.traversal('x'))],
    logged: /id=.*on <job>/,
  },
  {
    field: 'frame',
    faults: (s) => [jobAttribute('job', 'frame', s.traversal('x'))],
    logged: /frame=.*on <job>/,
  },
  {
    field: '.blend path',
    faults: (s) => [jobAttribute('job', 'path', s.traversal('important.blend'))],
    logged: /path=.*on <job>/,
  },
  {
    field: 'commandline',
    faults: (s) => [jobAttribute('renderer', 'commandline', `.e -b .c -o ${s.traversal('x')} -f .f -x 1`)],
    logged: /commandline=.*on <renderer>/,
  },
  {
    field: 'validation_url (another server)',
    faults: (_s, r) => [
      jobAttribute('job', 'validation_url', encodeURIComponent(`${r.url}/steal.php?job=1&frame=0001`)),
    ],
    logged: /validation_url/,
  },
  {
    field: 'a 10 000-character project name (free text, shown by the console)',
    faults: () => [jobAttribute('job', 'name', 'N'.repeat(10_000))],
    logged: /job received .*project=N{300}/,
  },
  {
    field: 'an oversized answer',
    faults: () => [
      {
        kind: 'rewrite-answer',
        endpoint: 'request-job',
        pattern: '</jobrequest>',
        replacement: `<!--${'x'.repeat(9 * 1024 * 1024)}--></jobrequest>`,
        times: 1,
      },
    ],
    logged: /larger than/,
  },
];

/** A config rewrite for the next login, and a 202 that makes the agent log in again. */
function atRelogin(
  fault: Omit<Extract<FaultSpec, { kind: 'rewrite-answer' }>, 'kind' | 'endpoint'>,
): FaultSpec[] {
  return [
    { kind: 'rewrite-answer', endpoint: 'config', times: 1, ...fault },
    { kind: 'status', endpoint: 'request-job', status: 202, times: 1 },
  ];
}

const configCases: HostileCase[] = [
  {
    field: 'endpoint path',
    faults: (s) =>
      atRelogin({ pattern: 'path="/server/archive.php"', replacement: `path="${s.traversal('important')}"` }),
    // the refusal is a quoted log field: its quotes are escaped
    logged: /path=.* on <request>: does not start with a single \\?"\/\\?"/,
  },
  {
    field: 'speed-test target',
    faults: (s) =>
      atRelogin({
        pattern: '<target url="[^"]*"',
        replacement: `<target url="file://${s.dir}/important.zip"`,
      }),
    logged: /url=.* on <target>: file: is not http or https/,
  },
];

/**
 * Arms the faults until they spoiled an answer that carried a job (one that found no job to give has
 * nothing to rewrite) and returns that job's id.
 */
async function deliverHostileJob(
  farm: RunningFarm,
  faults: FaultSpec[],
  step: Parameters<typeof until>[1],
): Promise<number> {
  for (;;) {
    const before = farm.jobRequests().length;
    for (const fault of faults) farm.faults.add(fault);
    await until(() => farm.faults.list().length === 0, { ...step, what: 'the hostile answer' });
    if (faults.some((fault) => fault.endpoint === 'config'))
      return Math.max(...farm.jobs().map((job) => job.id));
    const answered = farm.jobRequests().slice(before);
    const withJob = answered.find((request) => request.jobId !== null);
    if (withJob?.jobId) return withJob.jobId;
  }
}

/** Renders one frame, arms the faults, and waits until a later frame is done. */
async function survives(hostile: HostileCase): Promise<TestAgent> {
  sentinel = sentinelDir();
  recorder = await startRecorder();
  const before = sentinel.snapshot();
  const farm = await testFarm();
  const project = await syntheticProject(farm, 6);
  const clock = new ManualClock(Date.now());
  const t = await testAgent(farm, { clock });
  // Whatever the farm sends, the state the agent streams stays one the console accepts.
  const unfit: string[] = [];
  t.agent.store.on('change', () => {
    const check = AgentStateSchema.safeParse(t.agent.store.state);
    if (!check.success)
      unfit.push(check.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  });
  const step = { clock, stepMs: MINUTE, lines: t.lines };
  // One good frame first: both archives are then cached, so a hostile job gets as far as it can.
  await until(() => doneFrames(farm, project.id) >= 1, { ...step, what: 'a first frame' });
  const hostileJob = await deliverHostileJob(farm, hostile.faults(sentinel, recorder), step);
  await until(() => farm.jobs().some((job) => job.id > hostileJob && job.state === 'validated'), {
    ...step,
    what: 'a frame after the hostile answer',
  });
  expect(sentinel.snapshot()).toEqual(before);
  expect(recorder.requests).toEqual([]);
  expect(unfit).toEqual([]);
  expect(t.lines.join('\n')).toMatch(hostile.logged);
  return t;
}

describe('a hostile job-request answer', () => {
  it.each(jobAnswerCases)(
    '$field: nothing outside the cache is touched, the agent goes on',
    async (hostile) => {
      await survives(hostile);
    },
  );
});

describe('a hostile config answer', () => {
  it.each(configCases)(
    '$field: the re-login is refused, the agent waits, logs in again and goes on',
    async (hostile) => {
      await survives(hostile);
    },
  );
});

const MiB = 1024 * 1024;

/** A project whose archive is `entries` (unencrypted), served by the farm as is. */
async function projectWithArchive(farm: RunningFarm, entries: RawEntry[]) {
  const file = path.join(await tempDir('archive'), 'project.zip');
  const zip = buildZip(entries);
  writeFileSync(file, zip);
  const md5 = createHash('md5').update(zip).digest('hex');
  return farm.addProject({ frames: [1, 1], archive: { file, md5, password: '' } });
}

function reportedTypes(farm: RunningFarm): number[] {
  return farm.errorReports().map((report) => report.type ?? -1);
}

describe('hostile archives and a full disk', () => {
  it('a zip bomb project is refused before it is written, reported, and the agent goes on', async () => {
    const farm = await testFarm();
    await projectWithArchive(farm, [{ name: 'scene.blend', data: Buffer.alloc(64 * MiB) }]);
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await until(() => reportedTypes(farm).includes(ErrorType.UNKNOWN), {
      clock,
      stepMs: MINUTE,
      lines: t.lines,
    });
    expect(t.lines.join('\n')).toMatch(/compression ratio of \d+:1/);
    const good = await syntheticProject(farm, 1);
    await until(() => doneFrames(farm, good.id) === 1, { clock, stepMs: MINUTE, lines: t.lines });
  });

  it.runIf(canMountTmpfs())(
    'a project that does not fit the disk is reported as 100 (no space), not 103 (no permission)',
    async () => {
      const disk = mountTmpfs(4 * MiB);
      try {
        const farm = await testFarm();
        // Incompressible: the archive (2.5 MiB) fits the disk, extracting it a second time does not.
        await projectWithArchive(farm, [{ name: 'scene.blend', data: randomBytes(2.5 * MiB), method: 0 }]);
        const clock = new ManualClock(Date.now());
        const t = await testAgent(farm, { clock, cacheDir: disk?.dir ?? '' });
        await until(() => reportedTypes(farm).some((type) => type !== ErrorType.OK), {
          clock,
          stepMs: MINUTE,
          lines: t.lines,
        });
        expect(reportedTypes(farm).filter((type) => type !== ErrorType.OK)[0]).toBe(
          ErrorType.NO_SPACE_LEFT_ON_DEVICE,
        );
        await t.agent.execute({ type: 'stop', when: 'now' });
        expect(await t.run).toBe(0);
      } finally {
        await cleanUp();
        disk?.unmount();
      }
    },
  );
});

describe('a slow-drip farm (below 1 KiB/s: a read timeout between bytes never fires)', () => {
  it.each([
    { kind: 'slow', endpoint: 'request-job', bytesPerSecond: 20, times: 1 } as const,
    { kind: 'slow', endpoint: 'download-job', bytesPerSecond: 20, times: 1 } as const,
  ])('$endpoint is cut after 60 s, the agent goes on', async (fault) => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 2);
    farm.faults.add(fault);
    const clock = new ManualClock(Date.now());
    // The real floor; small clock steps, so healthy calls (milliseconds) never see a whole window pass.
    const t = await testAgent(farm, { clock, rateFloor: { minBytesPerSecond: 1024, windowMs: MINUTE } });
    await until(() => doneFrames(farm, project.id) >= 1, { clock, stepMs: 5_000, lines: t.lines });
    expect(t.lines.join('\n')).toMatch(/slower than 1024 bytes\/s for 60 s/);
  });
});
