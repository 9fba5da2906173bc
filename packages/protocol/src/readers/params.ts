import { ProtocolError } from '../errors';

/**
 * Request parameters as a server framework hands them over: URLSearchParams, or a plain record
 * (repeated parameters as arrays; the first value counts).
 */
export type ParamSource = URLSearchParams | Readonly<Record<string, string | readonly string[] | undefined>>;

const WHOLE_NUMBER = /^-?\d{1,15}$/;

export function optionalParam(source: ParamSource, name: string): string | undefined {
  const value = source instanceof URLSearchParams ? (source.get(name) ?? undefined) : source[name];
  return typeof value === 'string' ? value : value?.[0];
}

/** Throws ProtocolError('missing-parameter', name) so the farm can answer with its status (104, 300). */
export function requiredParam(source: ParamSource, name: string): string {
  const value = optionalParam(source, name);
  if (value === undefined) throw new ProtocolError('missing-parameter', name);
  return value;
}

export function toWholeNumber(name: string, value: string): number {
  if (!WHOLE_NUMBER.test(value)) {
    throw new ProtocolError('bad-number', `${name}="${value.slice(0, 100)}" is not a whole number`);
  }
  return Number(value);
}

export function requiredInt(source: ParamSource, name: string): number {
  return toWholeNumber(name, requiredParam(source, name));
}

export function optionalInt(source: ParamSource, name: string): number | undefined {
  const value = optionalParam(source, name);
  return value === undefined ? undefined : toWholeNumber(name, value);
}

/** `1`/`true` and `0`/`false` (the official client sends digits, the Rust client words). */
export function toBoolean(name: string, value: string): boolean {
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new ProtocolError('invalid-value', `${name}="${value.slice(0, 100)}" is not a boolean`);
}

/** Drops undefined properties so optional fields are absent rather than present-but-undefined. */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter((entry) => entry[1] !== undefined)) as T;
}
