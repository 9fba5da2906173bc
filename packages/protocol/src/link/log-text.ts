import { LOG_FIELD_LIMITS, type LogFields } from './state';

type FieldValues = Readonly<Record<string, string | number | boolean | undefined>>;

/** `key=value …`, each value quoted (as JSON) only when it holds a space, a quote or an `=`. */
export function formatLogFields(fields: FieldValues): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(
      ([key, value]) =>
        `${key}=${typeof value === 'string' && /[\s"=]/.test(value) ? JSON.stringify(value) : value}`,
    )
    .join(' ');
}

/** A line as people read and search it: `message key=value …`. */
export function logLineText(line: { message: string; fields?: FieldValues }): string {
  const fields = line.fields ? formatLogFields(line.fields) : '';
  return fields === '' ? line.message : `${line.message} ${fields}`;
}

/**
 * A logger's fields cut to what a `LogLine` carries: the first 16 with a value, keys and texts
 * shortened, numbers that JSON cannot hold (NaN, Infinity) as text. Undefined when none is left.
 */
export function boundedLogFields(fields: FieldValues): LogFields | undefined {
  const kept: [string, string | number | boolean][] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || key === '') continue;
    const text = typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
    kept.push([
      key.slice(0, LOG_FIELD_LIMITS.keyChars),
      typeof text === 'string' ? text.slice(0, LOG_FIELD_LIMITS.valueChars) : text,
    ]);
    if (kept.length === LOG_FIELD_LIMITS.count) break;
  }
  // fromEntries defines own properties: a key like `__proto__` stays a plain field.
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}

/**
 * A log line's time for the person reading the log on this machine: its local time,
 * `2026-12-08 04:05:06.789`, sortable and without a zone letter to convert from.
 */
export function formatLogTimestamp(at: number): string {
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  const day = `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return `${day} ${time}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}
