import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSchedule, ScheduleParseError } from '../src/schedule';

const UTC = { timeZone: 'UTC' };
const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
/** 2026-01-05 is a Monday. `at(dayOffset, 'HH:MM')` is that local time in UTC. */
function at(dayOffset: number, time: string): number {
  const [hours = 0, minutes = 0] = time.split(':').map(Number);
  return Date.UTC(2026, 0, 5 + dayOffset, hours, minutes);
}
const MON = 0;
const TUE = 1;
const FRI = 4;
const SAT = 5;
const SUN = 6;
const NEXT_MON = 7;

function parseError(spec: string): ScheduleParseError {
  try {
    parseSchedule(spec, UTC);
  } catch (error) {
    if (error instanceof ScheduleParseError) return error;
    throw error;
  }
  throw new Error(`"${spec}" parsed without error`);
}

describe('request-time windows: explicit cases', () => {
  it('weeknights run overnight into the next weekday; weekends all day', () => {
    const schedule = parseSchedule('mon-fri 18:00-08:00, sat-sun all day', UTC);
    expect(schedule.isOpen(at(MON, '12:00'))).toBe(false);
    expect(schedule.isOpen(at(MON, '17:59'))).toBe(false);
    expect(schedule.isOpen(at(MON, '18:00'))).toBe(true);
    expect(schedule.isOpen(at(TUE, '07:59'))).toBe(true);
    expect(schedule.isOpen(at(TUE, '08:00'))).toBe(false);
    expect(schedule.isOpen(at(SAT, '07:00'))).toBe(true);
    expect(schedule.isOpen(at(SUN, '23:59'))).toBe(true);
    // Sunday is not a weeknight, so Monday morning is closed: ranges belong to the day they start on.
    expect(schedule.isOpen(at(NEXT_MON, '03:00'))).toBe(false);
  });

  it('says when a closed window opens next and when an open one closes', () => {
    const schedule = parseSchedule('mon-fri 18:00-08:00, sat-sun all day', UTC);
    expect(schedule.nextOpening(at(MON, '12:00'))).toBe(at(MON, '18:00'));
    expect(schedule.nextClosing(at(MON, '12:00'))).toBe(at(MON, '12:00'));
    expect(schedule.nextClosing(at(MON, '19:30'))).toBe(at(TUE, '08:00'));
    expect(schedule.nextOpening(at(MON, '19:30'))).toBe(at(MON, '19:30'));
    // Friday night flows into the weekend without a gap and closes at Monday 00:00.
    expect(schedule.nextClosing(at(FRI, '20:00'))).toBe(at(NEXT_MON, '00:00'));
    expect(schedule.status(at(NEXT_MON, '03:00'))).toEqual({ open: false, changesAt: at(NEXT_MON, '18:00') });
  });

  it('wraps a Sunday overnight range into Monday (week wrap)', () => {
    const schedule = parseSchedule('sun 22:00-02:00', UTC);
    expect(schedule.isOpen(at(MON, '01:59'))).toBe(true);
    expect(schedule.isOpen(at(MON, '02:00'))).toBe(false);
    expect(schedule.isOpen(at(SUN, '21:59'))).toBe(false);
    expect(schedule.isOpen(at(SUN, '22:00'))).toBe(true);
    expect(schedule.nextOpening(at(MON, '03:00'))).toBe(at(SUN, '22:00'));
    expect(schedule.nextClosing(at(SUN, '23:00'))).toBe(at(NEXT_MON, '02:00'));
  });

  it("reads the official client's form as every day, seconds inside a minute included", () => {
    const schedule = parseSchedule('2:00-8:30,17:00-23:00', UTC);
    for (let day = 0; day < 7; day += 1) {
      expect(schedule.isOpen(at(day, '02:00'))).toBe(true);
      expect(schedule.isOpen(at(day, '08:29') + 59_999)).toBe(true);
      expect(schedule.isOpen(at(day, '08:30'))).toBe(false);
      expect(schedule.isOpen(at(day, '23:00'))).toBe(false);
    }
    expect(schedule.nextOpening(at(TUE, '09:00') + 12_345)).toBe(at(TUE, '17:00'));
    expect(schedule.nextOpening(at(TUE, '23:30'))).toBe(at(TUE + 1, '02:00'));
  });

  it('treats "always" as never closing', () => {
    const schedule = parseSchedule('always', UTC);
    expect(schedule.always).toBe(true);
    expect(schedule.isOpen(at(SAT, '04:00'))).toBe(true);
    expect(schedule.nextClosing(at(SAT, '04:00'))).toBeNull();
    expect(schedule.nextOpening(at(SAT, '04:00'))).toBe(at(SAT, '04:00'));
    expect(parseSchedule('mon-sun all day', UTC).always).toBe(true);
    expect(parseSchedule('00:00-24:00', UTC).always).toBe(true);
  });

  it('accepts day lists, wrapping day ranges, full names and groups', () => {
    const schedule = parseSchedule('Mon+Wed 09:00-10:00, fri-mon 12:00-13:00, Weekdays 20:00-21:00', UTC);
    expect(schedule.isOpen(at(MON, '09:30'))).toBe(true);
    expect(schedule.isOpen(at(TUE, '09:30'))).toBe(false);
    expect(schedule.isOpen(at(TUE + 1, '09:30'))).toBe(true);
    expect(schedule.isOpen(at(SUN, '12:30'))).toBe(true);
    expect(schedule.isOpen(at(TUE, '12:30'))).toBe(false);
    expect(schedule.isOpen(at(FRI, '20:30'))).toBe(true);
    expect(schedule.isOpen(at(SAT, '20:30'))).toBe(false);
    expect(parseSchedule('saturday allday', UTC).isOpen(at(SAT, '00:00'))).toBe(true);
  });

  it('follows the local zone across a daylight-saving jump', () => {
    // Europe/Berlin skips 02:00–03:00 local on 2026-03-29 (01:00 UTC).
    const schedule = parseSchedule('02:30-04:00', { timeZone: 'Europe/Berlin' });
    const beforeJump = Date.UTC(2026, 2, 29, 0, 30); // 01:30 CET
    expect(schedule.isOpen(beforeJump)).toBe(false);
    expect(schedule.nextOpening(beforeJump)).toBe(Date.UTC(2026, 2, 29, 1, 0)); // 03:00 CEST
    expect(schedule.nextClosing(Date.UTC(2026, 2, 29, 1, 0))).toBe(Date.UTC(2026, 2, 29, 2, 0));
    // Winter: 18:00 in Berlin is 17:00 UTC.
    const weeknights = parseSchedule('mon-fri 18:00-08:00', { timeZone: 'Europe/Berlin' });
    expect(weeknights.nextOpening(at(MON, '12:00'))).toBe(at(MON, '17:00'));
  });
});

describe('request-time windows: typed parse errors with positions', () => {
  it.each([
    ['', 0, /empty spec/],
    ['   ', 0, /empty spec/],
    ['mon-fri', 7, /missing time range/],
    ['mon-fry 18:00-20:00', 4, /not a day/],
    ['25:00-26:00', 0, /not a time of day/],
    ['10:60-11:00', 0, /not a time of day/],
    ['24:00-02:00', 0, /not a time of day/],
    ['18:00-18:00', 6, /equal/],
    ['18:00 08:00', 6, /expected "-"/],
    ['18:00-', 6, /unexpected end/],
    ['mon-fri 18:00-08:00,', 20, /empty clause/],
    [',18:00-20:00', 0, /empty clause/],
    ['18h-20h', 0, /unexpected character/],
    ['mon 18:00-20:00 tue', 16, /after the time range/],
    ['all night', 4, /expected "day"/],
    ['always, mon 18:00-20:00', 0, /not a day/],
  ])('%j fails at %i', (spec, position, reason) => {
    const error = parseError(spec);
    expect(error.position).toBe(position);
    expect(error.reason).toMatch(reason);
    expect(error.spec).toBe(spec);
    expect(error.message).toContain(`position ${position}`);
  });

  it('throws nothing but ScheduleParseError for any input', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'monfriall day0123456789:-+,xyz '.split('')) }),
        (spec) => {
          try {
            parseSchedule(spec, UTC);
          } catch (error) {
            expect(error).toBeInstanceOf(ScheduleParseError);
            const { position } = error as ScheduleParseError;
            expect(position).toBeGreaterThanOrEqual(0);
            expect(position).toBeLessThanOrEqual(spec.length);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

interface ModelClause {
  days: number[] | 'every';
  range: { start: number; end: number } | 'all-day';
}

const clauseArbitrary: fc.Arbitrary<ModelClause> = fc.record({
  days: fc.oneof(
    fc.constant('every' as const),
    fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1 }),
  ),
  range: fc.oneof(
    fc.constant('all-day' as const),
    fc
      .record({ start: fc.integer({ min: 0, max: 1439 }), end: fc.integer({ min: 0, max: 1440 }) })
      .filter(({ start, end }) => start !== end && !(start === 0 && end === 1440)),
  ),
});

function clock(minutes: number): string {
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

function renderClause({ days, range }: ModelClause): string {
  const dayText = days === 'every' ? '' : `${days.map((day) => DAY_NAMES[day]).join('+')} `;
  const rangeText = range === 'all-day' ? 'all day' : `${clock(range.start)}-${clock(range.end)}`;
  return dayText + rangeText;
}

/** The reference meaning, written the obvious way: a day's range, and yesterday's overnight tail. */
function modelIsOpen(clauses: ModelClause[], atMs: number): boolean {
  const date = new Date(atMs);
  const day = (date.getUTCDay() + 6) % 7;
  const minute = date.getUTCHours() * 60 + date.getUTCMinutes();
  const has = (days: ModelClause['days'], d: number) => days === 'every' || days.includes(d);
  return clauses.some(({ days, range }) => {
    if (range === 'all-day') return has(days, day);
    const overnight = range.end <= range.start;
    if (has(days, day) && minute >= range.start && (overnight || minute < range.end)) return true;
    return overnight && has(days, (day + 6) % 7) && minute < range.end;
  });
}

const instantArbitrary = fc.integer({ min: at(MON, '00:00'), max: at(MON, '00:00') + 21 * 86_400_000 });

describe('request-time windows: properties', () => {
  it('agrees with the reference model at every instant', () => {
    fc.assert(
      fc.property(
        fc.array(clauseArbitrary, { minLength: 1, maxLength: 4 }),
        instantArbitrary,
        (clauses, t) => {
          const schedule = parseSchedule(clauses.map(renderClause).join(', '), UTC);
          expect(schedule.isOpen(t)).toBe(modelIsOpen(clauses, t));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('nextOpening/nextClosing land exactly on the first flip after the instant', () => {
    fc.assert(
      fc.property(
        fc.array(clauseArbitrary, { minLength: 1, maxLength: 3 }),
        instantArbitrary,
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
          minLength: 5,
          maxLength: 5,
        }),
        (clauses, t, samples) => {
          const schedule = parseSchedule(clauses.map(renderClause).join(', '), UTC);
          const open = schedule.isOpen(t);
          const flip = open ? schedule.nextClosing(t) : schedule.nextOpening(t);
          if (flip === null) {
            expect(open).toBe(true);
            expect(schedule.always).toBe(true);
            return;
          }
          expect(flip).toBeGreaterThan(t);
          expect(schedule.isOpen(flip)).toBe(!open);
          expect(schedule.isOpen(flip - 1)).toBe(open);
          for (const fraction of samples)
            expect(schedule.isOpen(t + Math.floor((flip - t) * fraction))).toBe(open);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
