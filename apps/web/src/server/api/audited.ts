import type { TRPCError } from '@trpc/server';
import type { SessionUser } from '../auth/service';
import type { Context } from './trpc';

/** What an audit entry says about a call: the machines it acts on and its parameters, without secrets. */
export interface AuditDescription {
  machineIds?: string[];
  params?: Record<string, unknown>;
}

interface AuditedCall<I, R> {
  ctx: Context & { user: SessionUser };
  input: I;
  path: string;
  next: () => Promise<R>;
}

type CallResult = { ok: true; data: unknown } | { ok: false; error: TRPCError };

/**
 * The one way a mutation writes the audit trail, as the middleware right after its input:
 * `.use((call) => audited(call, (input) => ({ machineIds: [input.id] })))`; the description may be
 * looked up (async, with the context) before the call changes anything. Runs after the role
 * check and input validation, so only accepted calls are recorded, with their outcome; `summarize`
 * turns a successful result into the entry's detail (e.g. per-machine command outcomes).
 */
export async function audited<I, R extends { ok: boolean }>(
  call: AuditedCall<I, R>,
  describeCall: (
    input: I,
    ctx: AuditedCall<I, R>['ctx'],
  ) => AuditDescription | Promise<AuditDescription> = () => ({}),
  summarize?: (data: never) => string | undefined,
): Promise<R> {
  const { ctx } = call;
  const at = ctx.core.now();
  const description = await describeCall(call.input, ctx);
  const result = await call.next();
  const settled = result as unknown as CallResult;
  await ctx.core.audit.record({
    at,
    user: ctx.user,
    action: call.path,
    params: description.params ?? {},
    machineIds: description.machineIds ?? [],
    outcome: settled.ok ? 'ok' : 'failed',
    detail: settled.ok ? summarize?.(settled.data as never) : settled.error.message,
  });
  return result;
}
