import { TRPCError } from '@trpc/server';
import { AuthError, type AuthErrorKind } from '../../auth/service';

type Code = TRPCError['code'];

// Only a failed login answers UNAUTHORIZED: the browser treats that code as "session gone, log in".
const CODES: Record<AuthErrorKind, Code> = {
  'rate-limited': 'TOO_MANY_REQUESTS',
  busy: 'TOO_MANY_REQUESTS',
  'bad-credentials': 'UNAUTHORIZED',
  'already-set-up': 'UNAUTHORIZED',
  'wrong-current-password': 'FORBIDDEN',
  'weak-password': 'BAD_REQUEST',
  'bad-name': 'BAD_REQUEST',
  'name-taken': 'CONFLICT',
  'last-admin': 'PRECONDITION_FAILED',
  'no-such-user': 'NOT_FOUND',
};

/** Rethrows an AuthError as the matching tRPC error (its message is meant for the user). */
export function asTrpcError(error: unknown): never {
  if (!(error instanceof AuthError)) throw error;
  throw new TRPCError({ code: CODES[error.kind], message: error.message });
}
