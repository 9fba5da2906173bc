import { describe, expect, it } from 'vitest';
import { isProtocolError, ProtocolError } from '../src/index';

describe('ProtocolError', () => {
  it('carries its kind and detail and says both in the message', () => {
    const error = new ProtocolError('missing-attribute', '"status" on <config>');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ProtocolError');
    expect(error.kind).toBe('missing-attribute');
    expect(error.detail).toBe('"status" on <config>');
    expect(error.message).toBe('missing-attribute: "status" on <config>');
  });

  it('has the bare kind as message without a detail', () => {
    const error = new ProtocolError('empty-body');
    expect(error.detail).toBeUndefined();
    expect(error.message).toBe('empty-body');
  });

  it('is recognised by isProtocolError, other errors and values are not', () => {
    expect(isProtocolError(new ProtocolError('not-xml'))).toBe(true);
    expect(isProtocolError(new Error('not-xml'))).toBe(false);
    expect(isProtocolError({ kind: 'not-xml' })).toBe(false);
    expect(isProtocolError(undefined)).toBe(false);
  });
});
