/**
 * The one error type of this package. Every parser and reader throws only ProtocolError (this is
 * fuzzed), so callers can tell "the other side sent something wrong" from their own bugs.
 */
export type ProtocolErrorKind =
  | 'empty-body'
  | 'too-large'
  | 'wrong-content-type'
  | 'not-xml'
  | 'wrong-root'
  | 'missing-element'
  | 'missing-attribute'
  | 'bad-number'
  | 'invalid-value'
  | 'missing-parameter';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';

  constructor(
    readonly kind: ProtocolErrorKind,
    readonly detail?: string,
  ) {
    super(detail === undefined ? kind : `${kind}: ${detail}`);
  }
}

export function isProtocolError(value: unknown): value is ProtocolError {
  return value instanceof ProtocolError;
}
