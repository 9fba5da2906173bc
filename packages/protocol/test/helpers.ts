import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type ConfigParams, isProtocolError, type ProtocolErrorKind } from '../src/index';

export function fixture(name: string): string {
  return readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
}

/** Removes one attribute from the first start tag of `element` (to build "attribute missing" cases). */
export function withoutAttribute(xml: string, element: string, attribute: string): string {
  const tag = new RegExp(`<${element}\\s[^>]*>`).exec(xml);
  if (!tag) throw new Error(`no <${element}> in the fixture`);
  const attributePattern = new RegExp(`\\s${attribute}="[^"]*"`);
  if (!attributePattern.test(tag[0])) throw new Error(`no ${attribute} on <${element}> in the fixture`);
  const stripped = tag[0].replace(attributePattern, '');
  return xml.slice(0, tag.index) + stripped + xml.slice(tag.index + tag[0].length);
}

/** Replaces one attribute value in the first start tag of `element`. */
export function withAttribute(xml: string, element: string, attribute: string, value: string): string {
  const tag = new RegExp(`<${element}\\s[^>]*>`).exec(xml);
  if (!tag) throw new Error(`no <${element}> in the fixture`);
  const replaced = tag[0].replace(new RegExp(`(\\s${attribute}=)"[^"]*"`), `$1"${value}"`);
  return xml.slice(0, tag.index) + replaced + xml.slice(tag.index + tag[0].length);
}

/** Runs `action` and returns the ProtocolError it throws, failing the test on anything else. */
export function protocolErrorOf(action: () => unknown): {
  kind: ProtocolErrorKind;
  detail?: string;
  message: string;
} {
  try {
    action();
  } catch (error) {
    if (isProtocolError(error)) return error;
    throw new Error(`expected a ProtocolError, got ${String(error)}`);
  }
  throw new Error('expected a ProtocolError, nothing was thrown');
}

export function expectProtocolError(
  action: () => unknown,
  kind: ProtocolErrorKind,
  detail?: RegExp | string,
): void {
  const error = protocolErrorOf(action);
  expect(error.kind).toBe(kind);
  if (detail !== undefined) expect(error.detail).toMatch(detail);
}

/** A complete login as the agent sends it. */
export const sampleConfigParams: ConfigParams = {
  login: 'alice',
  password: 'p@ss word&=',
  version: '7.25001.0',
  os: 'linux',
  osVersion: 'linux debian 12',
  bits: '64bit',
  cpuFamily: '6',
  cpuModel: '158',
  cpuModelName: 'Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz',
  cpuCores: 12,
  ramKiB: 32_000_000,
  ramMaxKiB: 16_000_000,
  hostname: 'render-01',
  ui: 'flock',
  headless: true,
  hwid: '1f2e3d',
};
