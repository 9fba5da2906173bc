import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CertPinSchema,
  certPinOfDigest,
  decodeConsoleMessage,
  encodeMessage,
  FarmAccountSchema,
  LinkCredentialsSchema,
} from '../src/link';

const pin = certPinOfDigest(createHash('sha256').update('a public key').digest('base64'));
const credentials = { consoleUrl: 'https://192.0.2.7:3000', machineId: 'm-1', secret: 's'.repeat(43) };

describe('certificate pins', () => {
  it("are curl's --pinnedpubkey form: sha256// and a base64 SHA-256", () => {
    expect(pin).toMatch(/^sha256\/\/[A-Za-z0-9+/]{43}=$/);
    expect(CertPinSchema.safeParse(pin).success).toBe(true);
    for (const bad of ['', pin.slice(8), `sha1//${pin.slice(8)}`, `${pin}A`, pin.replace('=', '')])
      expect(CertPinSchema.safeParse(bad).success, bad).toBe(false);
  });

  it('go into the stored link credentials of https consoles only', () => {
    expect(LinkCredentialsSchema.safeParse({ ...credentials, pin }).success).toBe(true);
    expect(LinkCredentialsSchema.safeParse(credentials).success).toBe(true);
    const plain = LinkCredentialsSchema.safeParse({
      ...credentials,
      consoleUrl: 'http://192.0.2.7:3000',
      pin,
    });
    expect(plain.success).toBe(false);
    expect(plain.error?.issues[0]?.message).toContain('https console only');
  });
});

describe('the farm-account link messages', () => {
  it('carry an account, none, or why it was withheld', () => {
    for (const message of [
      { type: 'farm-account', account: { login: 'alice', renderKey: 'k3y with spaces' } },
      { type: 'farm-account', account: null },
      { type: 'farm-account-withheld', reason: 'plain-link' },
    ] as const) {
      expect(decodeConsoleMessage(encodeMessage(message))).toEqual({ ok: true, message });
    }
  });

  it('refuse control characters, empty and oversized values', () => {
    for (const account of [
      { login: '', renderKey: 'k' },
      { login: 'alice\n', renderKey: 'k' },
      { login: 'alice', renderKey: 'k\u0000' },
      { login: 'a'.repeat(101), renderKey: 'k' },
      { login: 'alice', renderKey: 'k'.repeat(201) },
    ]) {
      expect(FarmAccountSchema.safeParse(account).success, JSON.stringify(account)).toBe(false);
      const decoded = decodeConsoleMessage(JSON.stringify({ type: 'farm-account', account }));
      expect(decoded.ok).toBe(false);
    }
    expect(decodeConsoleMessage('{"type":"farm-account-withheld","reason":"tired"}').ok).toBe(false);
  });

  it('never throw on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), fc.string(), (account, reason) => {
        decodeConsoleMessage(JSON.stringify({ type: 'farm-account', account }));
        decodeConsoleMessage(JSON.stringify({ type: 'farm-account-withheld', reason }));
      }),
    );
  });
});
