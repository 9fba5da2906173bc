/**
 * Request-time window specs, e.g. `"mon-fri 18:00-08:00, sat-sun all day"`, the official client's
 * `"2:00-8:30,17:00-23:00"` (every day) or `"always"`.
 *
 *   spec     := 'always' | clause (',' clause)*
 *   clause   := dayItem* times           (no day items = every day)
 *   dayItem  := DAY ('-' DAY)? ('+' …)?  e.g. `mon-fri`, `sat`, `mon+wed`, `fri-mon` (wraps)
 *   times    := TIME '-' TIME | 'all' 'day' | 'allday'
 *
 * A range whose end is not after its start runs overnight into the next day (`mon 22:00-02:00` is open
 * Monday 22:00 until Tuesday 02:00, and Sunday's overnight range ends on Monday).
 */

export const MINUTES_PER_DAY = 24 * 60;
export const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

/** A half-open interval in minutes since Monday 00:00 local time; `end` may exceed a week (wraps). */
export interface WeekInterval {
  start: number;
  end: number;
}

export class ScheduleParseError extends Error {
  override readonly name = 'ScheduleParseError';

  constructor(
    readonly spec: string,
    /** Index of the offending character in `spec`. */
    readonly position: number,
    readonly reason: string,
  ) {
    super(`invalid request-time window at position ${position} of "${spec}": ${reason}`);
  }
}

type TokenKind = 'word' | 'time' | 'dash' | 'plus' | 'comma';

interface Token {
  kind: TokenKind;
  text: string;
  position: number;
}

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const FULL_DAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const EVERY_DAY = [0, 1, 2, 3, 4, 5, 6];
const DAY_GROUPS: Record<string, number[]> = {
  daily: EVERY_DAY,
  weekdays: [0, 1, 2, 3, 4],
  weekend: [5, 6],
  weekends: [5, 6],
};

const TOKEN_PATTERNS: ReadonlyArray<readonly [TokenKind, RegExp]> = [
  ['time', /\d{1,2}:\d{2}/y],
  ['word', /[a-z]+/iy],
  ['dash', /-/y],
  ['plus', /\+/y],
  ['comma', /,/y],
];

function tokenize(spec: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < spec.length) {
    if (/\s/.test(spec.charAt(index))) {
      index += 1;
      continue;
    }
    const token = matchToken(spec, index);
    if (!token) throw new ScheduleParseError(spec, index, `unexpected character "${spec.charAt(index)}"`);
    tokens.push(token);
    index += token.text.length;
  }
  return tokens;
}

function matchToken(spec: string, index: number): Token | undefined {
  for (const [kind, pattern] of TOKEN_PATTERNS) {
    pattern.lastIndex = index;
    const match = pattern.exec(spec);
    if (match) return { kind, text: match[0], position: index };
  }
  return undefined;
}

/** Parses a spec into merged, sorted week intervals; `'always'` yields one interval covering the week. */
export function parseWindowSpec(spec: string): WeekInterval[] {
  const tokens = tokenize(spec);
  if (tokens.length === 0) throw new ScheduleParseError(spec, 0, 'empty spec (use "always" for no limit)');
  if (tokens.length === 1 && tokens[0]?.text.toLowerCase() === 'always') {
    return [{ start: 0, end: MINUTES_PER_WEEK }];
  }
  const intervals: WeekInterval[] = [];
  for (const clause of splitClauses(spec, tokens)) intervals.push(...parseClause(spec, clause));
  return normalizeIntervals(intervals);
}

function splitClauses(spec: string, tokens: Token[]): Token[][] {
  const clauses: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind === 'comma') {
      if (clauses.at(-1)?.length === 0) throw new ScheduleParseError(spec, token.position, 'empty clause');
      clauses.push([]);
    } else {
      clauses.at(-1)?.push(token);
    }
  }
  if (clauses.at(-1)?.length === 0)
    throw new ScheduleParseError(spec, spec.length, 'empty clause at the end');
  return clauses;
}

class Cursor {
  private index = 0;

  constructor(
    private readonly spec: string,
    private readonly tokens: Token[],
  ) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.index + offset];
  }

  next(): Token {
    const token = this.tokens[this.index];
    if (!token) throw this.fail('unexpected end of clause', this.endPosition());
    this.index += 1;
    return token;
  }

  done(): boolean {
    return this.index >= this.tokens.length;
  }

  fail(reason: string, position = this.peek()?.position ?? this.endPosition()): ScheduleParseError {
    return new ScheduleParseError(this.spec, position, reason);
  }

  private endPosition(): number {
    const last = this.tokens.at(-1);
    return last ? last.position + last.text.length : this.spec.length;
  }
}

function parseClause(spec: string, tokens: Token[]): WeekInterval[] {
  const cursor = new Cursor(spec, tokens);
  const days = parseDays(cursor);
  const range = parseTimes(cursor);
  if (!cursor.done()) throw cursor.fail(`unexpected "${cursor.peek()?.text}" after the time range`);
  return days.map((day) => ({
    start: day * MINUTES_PER_DAY + range.start,
    end: day * MINUTES_PER_DAY + range.end,
  }));
}

function isTimesStart(cursor: Cursor): boolean {
  const token = cursor.peek();
  if (!token) return true;
  const word = token.text.toLowerCase();
  return token.kind === 'time' || word === 'all' || word === 'allday';
}

function parseDays(cursor: Cursor): number[] {
  if (isTimesStart(cursor)) return [...EVERY_DAY];
  const days = new Set<number>();
  while (!isTimesStart(cursor)) {
    for (const day of parseDayItem(cursor)) days.add(day);
    if (cursor.peek()?.kind === 'plus') cursor.next();
  }
  if (cursor.done()) throw cursor.fail('missing time range after the days (e.g. "18:00-08:00" or "all day")');
  return [...days].sort((a, b) => a - b);
}

function parseDayItem(cursor: Cursor): number[] {
  const first = cursor.next();
  const group = DAY_GROUPS[first.text.toLowerCase()];
  if (group) return group;
  const from = dayIndex(cursor, first);
  if (cursor.peek()?.kind !== 'dash') return [from];
  cursor.next();
  const to = dayIndex(cursor, cursor.next());
  const days: number[] = [];
  for (let day = from; ; day = (day + 1) % 7) {
    days.push(day);
    if (day === to) return days;
  }
}

function dayIndex(cursor: Cursor, token: Token): number {
  const word = token.text.toLowerCase();
  const short = DAY_NAMES.indexOf(word as (typeof DAY_NAMES)[number]);
  const index = short >= 0 ? short : FULL_DAY_NAMES.indexOf(word);
  if (token.kind !== 'word' || index < 0) {
    throw cursor.fail(`"${token.text}" is not a day (mon, tue, wed, thu, fri, sat, sun)`, token.position);
  }
  return index;
}

function parseTimes(cursor: Cursor): { start: number; end: number } {
  const first = cursor.next();
  const word = first.text.toLowerCase();
  if (word === 'allday') return { start: 0, end: MINUTES_PER_DAY };
  if (word === 'all') {
    const second = cursor.next();
    if (second.text.toLowerCase() !== 'day') throw cursor.fail('expected "day" after "all"', second.position);
    return { start: 0, end: MINUTES_PER_DAY };
  }
  const start = parseTime(cursor, first, false);
  const dash = cursor.next();
  if (dash.kind !== 'dash') throw cursor.fail('expected "-" between the start and end times', dash.position);
  const endToken = cursor.next();
  const end = parseTime(cursor, endToken, true);
  if (end === start) {
    throw cursor.fail('start and end are equal; use "all day" for a whole day', endToken.position);
  }
  // An end at or before the start runs past midnight into the next day.
  return { start, end: end > start ? end : end + MINUTES_PER_DAY };
}

function parseTime(cursor: Cursor, token: Token, isEnd: boolean): number {
  if (token.kind !== 'time')
    throw cursor.fail(`expected a time like 18:00, got "${token.text}"`, token.position);
  const [hours = 0, minutes = 0] = token.text.split(':').map(Number);
  const isMidnightEnd = isEnd && hours === 24 && minutes === 0;
  if ((hours > 23 && !isMidnightEnd) || minutes > 59) {
    throw cursor.fail(`"${token.text}" is not a time of day`, token.position);
  }
  return hours * 60 + minutes;
}

/** Sorts, wraps intervals that run past the week's end back to Monday, and merges overlaps. */
export function normalizeIntervals(intervals: WeekInterval[]): WeekInterval[] {
  const split: WeekInterval[] = [];
  for (const { start, end } of intervals) {
    if (end <= MINUTES_PER_WEEK) split.push({ start, end });
    else split.push({ start, end: MINUTES_PER_WEEK }, { start: 0, end: end - MINUTES_PER_WEEK });
  }
  split.sort((a, b) => a.start - b.start);
  const merged: WeekInterval[] = [];
  for (const interval of split) {
    const last = merged.at(-1);
    if (last && interval.start <= last.end) last.end = Math.max(last.end, interval.end);
    else merged.push({ ...interval });
  }
  return merged;
}
