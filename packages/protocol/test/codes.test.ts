import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BAD_ANSWER_BACKOFF,
  CONFIG_STATUSES,
  type CodeInfo,
  ConfigStatus,
  configStatus,
  ERROR_TYPES,
  ERROR_TYPES_WITHOUT_PAUSE,
  ErrorType,
  errorType,
  growingBackoffDelay,
  JOB_REQUEST_FLOOR_MS,
  JOB_REQUEST_STATUSES,
  JobRequestStatus,
  jobRequestStatus,
  KEEPALIVE_STATUSES,
  KeepAliveStatus,
  keepAliveStatus,
  NO_JOB_BACKOFF_MS,
  SERVER_DOWN_BACKOFF,
  UPLOAD_BACKOFF,
  uploadRetryDelay,
  VALIDATION_STATUSES,
  ValidationStatus,
  validationStatus,
} from '../src/index';

const MINUTE = 60_000;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);

const tables: [string, Readonly<Record<number, CodeInfo>>, Record<string, number>, number[]][] = [
  ['config', CONFIG_STATUSES, ConfigStatus, [0, ...range(100, 104)]],
  ['job request', JOB_REQUEST_STATUSES, JobRequestStatus, [0, ...range(200, 208)]],
  ['validation', VALIDATION_STATUSES, ValidationStatus, [0, ...range(300, 304), 306, 308]],
  ['keepmealive', KEEPALIVE_STATUSES, KeepAliveStatus, [0, 400]],
  ['error type', ERROR_TYPES, ErrorType, [...range(0, 29), 99, ...range(100, 105)]],
];

describe.each(tables)('%s codes', (_label, codes, constants, expected) => {
  it('has exactly the documented codes', () => {
    expect(Object.keys(codes).map(Number)).toEqual(expected);
  });

  it('names each entry like its named constant', () => {
    for (const [name, value] of Object.entries(constants)) {
      expect(codes[value]?.name).toBe(name);
      expect(codes[value]?.code).toBe(value);
    }
    expect(Object.keys(constants)).toHaveLength(expected.length);
  });

  it('explains every code in one line fit for a UI', () => {
    for (const info of Object.values(codes)) {
      expect(info.explanation).toMatch(/^[A-Z].{8,90}\.$/);
      expect(info.explanation).not.toContain('\n');
    }
  });
});

describe('job request reactions (docs/protocol.md §1.2, §8)', () => {
  it('backs off 5, 8, 12, 15, 20 minutes when there is no job', () => {
    expect(NO_JOB_BACKOFF_MS).toEqual([5, 8, 12, 15, 20].map((minutes) => minutes * MINUTE));
    expect(jobRequestStatus(200).reaction).toEqual({ kind: 'backoff-ladder', stepsMs: NO_JOB_BACKOFF_MS });
  });

  it.each([
    [204, 15, 30],
    [206, 20, 30],
    [207, 10, 30],
  ])('retries %i after %i–%i minutes', (status, min, max) => {
    expect(jobRequestStatus(status).reaction).toEqual({
      kind: 'retry',
      minMs: min * MINUTE,
      maxMs: max * MINUTE,
    });
  });

  it('relogs on 202, stops on 201, idles on 203/205/208, renders on 0', () => {
    expect(jobRequestStatus(JobRequestStatus.SESSION_DEAD).reaction).toEqual({ kind: 'relogin' });
    expect(jobRequestStatus(JobRequestStatus.NO_RIGHTS).reaction).toEqual({ kind: 'stop' });
    for (const status of [203, 205, 208]) {
      expect(jobRequestStatus(status).reaction).toEqual({ kind: 'idle-until-user' });
    }
    expect(jobRequestStatus(0).reaction).toEqual({ kind: 'proceed' });
  });

  it('reports an unknown status (the official client: generic error report)', () => {
    expect(jobRequestStatus(299)).toMatchObject({ code: 299, name: 'UNKNOWN', reaction: { kind: 'report' } });
  });
});

describe('validation reactions (docs/protocol.md §7)', () => {
  it('treats 301 and 304 as final "session disabled", no retry', () => {
    for (const status of [301, 304]) {
      expect(validationStatus(status).reaction).toEqual({
        kind: 'final',
        errorType: ErrorType.SESSION_DISABLED,
      });
    }
  });

  it('treats 306 and 308 as final image errors and 300 as final unknown', () => {
    expect(validationStatus(306).reaction).toEqual({ kind: 'final', errorType: ErrorType.IMAGE_TOO_LARGE });
    expect(validationStatus(308).reaction).toEqual({ kind: 'final', errorType: ErrorType.IMAGE_TOO_LARGE });
    expect(validationStatus(300).reaction).toEqual({ kind: 'final', errorType: ErrorType.UNKNOWN });
  });

  it('retries 302, 303 and unknown statuses', () => {
    for (const status of [302, 303, 399]) expect(validationStatus(status).reaction.kind).toBe('retry');
  });
});

describe('config and keepmealive reactions', () => {
  it('stops on every config error, known or not (the official client does not retry a login)', () => {
    for (const status of [100, 101, 102, 103, 104, 150])
      expect(configStatus(status).reaction).toEqual({ kind: 'stop' });
    expect(configStatus(0).reaction).toEqual({ kind: 'proceed' });
  });

  it('aborts the job on 400 and reports it as killed by the server', () => {
    expect(keepAliveStatus(400).reaction).toEqual({
      kind: 'abort-job',
      errorType: ErrorType.RENDERER_KILLED_BY_SERVER,
    });
    expect(keepAliveStatus(KeepAliveStatus.OK).reaction).toEqual({ kind: 'proceed' });
  });
});

describe('error types (docs/protocol.md §5.5, §9)', () => {
  it('has the contract constants', () => {
    expect(ErrorType).toMatchObject({
      OK: 0,
      WRONG_CONFIGURATION: 1,
      RENDERER_KILLED_BY_USER: 20,
      RENDERER_OUT_OF_MEMORY: 21,
      RENDERER_KILLED_BY_SERVER: 22,
      RENDERER_KILLED_BY_USER_OVER_TIME: 23,
      RENDERER_CRASHED_PYTHON_ERROR: 24,
      DENOISING_NOT_SUPPORTED: 29,
      UNKNOWN: 99,
    });
  });

  it('goes on at once after reporting 0, 7, 12, 20, 22, 23 and pauses 5 minutes after any other', () => {
    expect([...ERROR_TYPES_WITHOUT_PAUSE].sort((a, b) => a - b)).toEqual([0, 7, 12, 20, 22, 23]);
    for (const info of Object.values(ERROR_TYPES)) {
      const expected = ERROR_TYPES_WITHOUT_PAUSE.has(info.code)
        ? { kind: 'proceed' }
        : { kind: 'retry', minMs: 5 * MINUTE, maxMs: 5 * MINUTE };
      expect(info.reaction).toEqual(expected);
    }
  });

  it('gives an unknown entry for codes outside the table', () => {
    expect(errorType(64)).toMatchObject({ code: 64, name: 'UNKNOWN' });
    expect(errorType(ErrorType.MISSING_SCENE).name).toBe('MISSING_SCENE');
  });

  it('keeps the tables immutable', () => {
    expect(Object.isFrozen(ERROR_TYPES)).toBe(true);
    expect(Object.isFrozen(ERROR_TYPES[0])).toBe(true);
  });
});

describe('growing back-off while the farm is in trouble', () => {
  const low = () => 0;
  const high = () => 0.999_999;

  it('starts at 30 s and doubles up to 8 min, each step spread by ±20 %', () => {
    const steps = [0.5, 1, 2, 4, 8].map((minutes) => minutes * MINUTE);
    steps.forEach((step, retry) => {
      expect(growingBackoffDelay(SERVER_DOWN_BACKOFF, retry, low)).toBe(step * 0.8);
      expect(growingBackoffDelay(SERVER_DOWN_BACKOFF, retry, high)).toBe(Math.round(step * 1.2));
    });
  });

  it("then stays in the official client's range: 10–30 min unreachable, 15–30 min bad answers", () => {
    for (const retry of [5, 6, 50]) {
      expect(growingBackoffDelay(SERVER_DOWN_BACKOFF, retry, low)).toBe(10 * MINUTE);
      expect(growingBackoffDelay(SERVER_DOWN_BACKOFF, retry, () => 0.5)).toBe(20 * MINUTE);
      expect(growingBackoffDelay(BAD_ANSWER_BACKOFF, retry, low)).toBe(15 * MINUTE);
    }
  });

  it('never waits longer than the cap, whatever the retry count and random value (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 10_000 }),
        fc.double({ min: 0, max: 0.999_999, noNaN: true }),
        (retry, r) => {
          const delay = growingBackoffDelay(SERVER_DOWN_BACKOFF, retry, () => r);
          expect(delay).toBeGreaterThanOrEqual(24_000);
          expect(delay).toBeLessThanOrEqual(30 * MINUTE);
        },
      ),
    );
  });
});

describe('the floor under job requests while jobs end without a frame', () => {
  it('grows 10 s, 1, 5, 20 min', () => {
    expect(JOB_REQUEST_FLOOR_MS).toEqual([10_000, MINUTE, 5 * MINUTE, 20 * MINUTE]);
  });
});

describe('upload retry delay', () => {
  it("starts with the official client's 22 s and 44 s, adds at most the jitter and caps the growth", () => {
    const policy = UPLOAD_BACKOFF;
    expect(uploadRetryDelay(1, policy, () => 0)).toBe(22_000);
    expect(uploadRetryDelay(1, policy, () => 1)).toBe(27_500);
    expect(uploadRetryDelay(2, policy, () => 0)).toBe(44_000);
    expect(uploadRetryDelay(3, policy, () => 0)).toBe(88_000);
    expect(uploadRetryDelay(50, policy, () => 0)).toBe(policy.maxMs);
    expect(uploadRetryDelay(5000, policy, () => 0.5)).toBe(policy.maxMs * 1.125);
  });

  it('is the retry range the validation table gives for a retried upload', () => {
    expect(validationStatus(ValidationStatus.UPLOAD_FAILED).reaction).toEqual({
      kind: 'retry',
      minMs: UPLOAD_BACKOFF.firstMs,
      maxMs: UPLOAD_BACKOFF.secondMs,
    });
  });
});
