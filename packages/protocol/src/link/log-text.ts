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
