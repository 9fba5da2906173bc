// The next frame's estimate and the request-window check: pure, on the agent's injected clock.
import { formatLocalTime, parseSchedule } from '@flock/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import {
  estimateNextFrame,
  FRAMES_PER_PROJECT,
  type FrameTimes,
  frameDelivered,
  MAX_PROJECTS,
  NO_FRAME_TIMES,
  parseFrameTimes,
  projectGiven,
  wallTimeOf,
} from '../src/farm/frame-estimate.js';
import {
  aboutDuration,
  fitMarginMs,
  requestWindowHold,
  windowClosingReason,
} from '../src/farm/request-window.js';

const MINUTE = 60_000;

function delivered(times: FrameTimes, project: string, minutes: number[]): FrameTimes {
  return minutes.reduce((acc, value) => frameDelivered(acc, project, value * MINUTE), times);
}

describe('the next frame estimate', () => {
  it('is none before any frame', () => {
    expect(estimateNextFrame(NO_FRAME_TIMES)).toBeUndefined();
    expect(estimateNextFrame(projectGiven(NO_FRAME_TIMES, 'a'))).toBeUndefined();
  });

  it("is the median of the last given project's last 5 frames, one slow frame left out", () => {
    let times = delivered(projectGiven(NO_FRAME_TIMES, 'a'), 'a', [30, 10, 11, 12, 9, 10]);
    times = delivered(times, 'b', [2, 2]);
    // a's 30 (the frame that downloaded the archive) fell out of the last 5; b is not the one given
    expect(times.projects.find((entry) => entry.name === 'a')?.wallMs).toHaveLength(FRAMES_PER_PROJECT);
    expect(estimateNextFrame(times)).toEqual({ ms: 10 * MINUTE, basis: 'project', frames: 5 });
    times = projectGiven(times, 'b');
    expect(estimateNextFrame(times)).toEqual({ ms: 2 * MINUTE, basis: 'project', frames: 2 });
  });

  it('falls back to the median of all recent frames for a project with none delivered yet', () => {
    const times = projectGiven(delivered(delivered(NO_FRAME_TIMES, 'a', [4, 6]), 'b', [10]), 'c');
    expect(estimateNextFrame(times)).toEqual({ ms: 6 * MINUTE, basis: 'recent', frames: 3 });
  });

  it('keeps at most MAX_PROJECTS projects, the least recently active dropped first', () => {
    let times = delivered(NO_FRAME_TIMES, 'first', [5]);
    for (let index = 0; index < MAX_PROJECTS; index++) times = delivered(times, `p${index}`, [1]);
    expect(times.projects).toHaveLength(MAX_PROJECTS);
    expect(times.projects.map((entry) => entry.name)).not.toContain('first');
    times = projectGiven(times, 'p0');
    expect(times.projects.at(-1)?.name).toBe('p0');
  });

  it('does not keep a time that cannot be a frame', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 8 * 24 * 60 * MINUTE])
      expect(frameDelivered(NO_FRAME_TIMES, 'a', bad)).toBe(NO_FRAME_TIMES);
  });

  it("a frame's wall time runs from its download's start to its upload's end", () => {
    const spans = [
      { phase: 'download', startedAt: 1000, endedAt: 2000 },
      { phase: 'render', startedAt: 2000, endedAt: 9000 },
      { phase: 'upload', startedAt: 9000, endedAt: 12_000 },
    ] as const;
    expect(wallTimeOf([...spans])).toBe(11_000);
    expect(wallTimeOf([])).toBeUndefined();
  });
});

describe('finish before the window closes', () => {
  // Monday 17:30 UTC, the window "mon 08:00-18:00" read in UTC: it closes in 30 minutes.
  const schedule = parseSchedule('mon 08:00-18:00', { timeZone: 'UTC' });
  const closes = Date.UTC(2026, 0, 5, 18, 0);
  const nextOpening = Date.UTC(2026, 0, 12, 8, 0);

  it('stops requesting when the estimate and its margin pass the close, until the next opening', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 17, 30));
    const reason = windowClosingReason(schedule, clock.now(), {
      ms: 29 * MINUTE,
      basis: 'project',
      frames: 5,
    });
    expect(reason).toEqual({
      code: 'window-closing',
      message: `the next frame (about 29 min) would not finish before the window closes at ${formatLocalTime(closes, clock.now())}`,
      until: nextOpening,
    });
  });

  it('requests when the frame fits, and as before without an estimate or outside the window', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 17, 30));
    // 27 min + its 2.7 min margin end before 18:00
    const fits = { ms: 27 * MINUTE, basis: 'recent', frames: 3 } as const;
    expect(windowClosingReason(schedule, clock.now(), fits)).toBeUndefined();
    expect(windowClosingReason(schedule, clock.now(), undefined)).toBeUndefined();
    expect(windowClosingReason(parseSchedule('always'), clock.now(), fits)).toBeUndefined();
    await clock.advance(90 * MINUTE);
    expect(windowClosingReason(schedule, clock.now(), fits)).toBeUndefined(); // closed: its own reason
  });

  it('leaves a tenth of a long frame as margin', () => {
    expect(fitMarginMs(5 * MINUTE)).toBe(MINUTE);
    expect(fitMarginMs(100 * MINUTE)).toBe(10 * MINUTE);
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 16, 0));
    const long = { ms: 110 * MINUTE, basis: 'project', frames: 5 } as const; // + 11 min > 120 min
    expect(windowClosingReason(schedule, clock.now(), long)?.code).toBe('window-closing');
    expect(windowClosingReason(schedule, clock.now(), { ...long, ms: 105 * MINUTE })).toBeUndefined();
  });

  it('holds back outside the window until it opens, and when closing soon until it closed', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 17, 30));
    const slow = delivered(projectGiven(NO_FRAME_TIMES, 'a'), 'a', [40]);
    expect(requestWindowHold(undefined, clock.now(), slow)).toBeUndefined();
    expect(requestWindowHold(schedule, clock.now(), NO_FRAME_TIMES)).toBeUndefined();
    expect(requestWindowHold(schedule, clock.now(), slow)).toMatchObject({
      reason: { code: 'window-closing', until: nextOpening },
      recheckAt: closes,
    });
    expect(requestWindowHold(schedule, closes, slow)).toEqual({
      reason: {
        code: 'outside-request-time',
        message: 'outside the request-time windows',
        until: nextOpening,
      },
      recheckAt: nextOpening,
    });
  });

  it('asks as before when the frame would not fit in the whole next window either', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 17, 30));
    const evenings = parseSchedule('mon 17:00-18:00, mon 20:00-21:00', { timeZone: 'UTC' });
    const tooLong = { ms: 55 * MINUTE, basis: 'project', frames: 5 } as const; // + 5.5 min > 1 h
    expect(windowClosingReason(evenings, clock.now(), tooLong)).toBeUndefined();
    expect(windowClosingReason(evenings, clock.now(), { ...tooLong, ms: 50 * MINUTE })).toMatchObject({
      code: 'window-closing',
      until: Date.UTC(2026, 0, 5, 20, 0),
    });
  });

  it('says durations for people', () => {
    expect(aboutDuration(20_000)).toBe('about 1 min');
    expect(aboutDuration(12 * MINUTE)).toBe('about 12 min');
    expect(aboutDuration(125 * MINUTE)).toBe('about 2 h 05 min');
  });
});

describe('frame times read back from the state file', () => {
  it('keep what this module wrote', () => {
    const times = projectGiven(delivered(NO_FRAME_TIMES, 'a', [3, 4]), 'a');
    expect(parseFrameTimes(JSON.parse(JSON.stringify(times)))).toEqual(times);
    expect(parseFrameTimes(undefined)).toEqual(NO_FRAME_TIMES);
  });

  it('never throw, and stay within their bounds whatever the file holds', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.anything(), (json, anything) => {
        for (const value of [json, anything, { projects: json, lastGiven: anything }]) {
          const times = parseFrameTimes(value);
          expect(times.projects.length).toBeLessThanOrEqual(MAX_PROJECTS);
          for (const entry of times.projects) {
            expect(entry.wallMs.length).toBeLessThanOrEqual(FRAMES_PER_PROJECT);
            expect(entry.wallMs.every((ms) => Number.isFinite(ms) && ms >= 0)).toBe(true);
          }
          if (times.lastGiven !== null)
            expect(times.projects.some((entry) => entry.name === times.lastGiven)).toBe(true);
        }
      }),
    );
  });
});
