import { type AgentEvent, type AgentState, MachineNameSchema } from '@flock/protocol';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { installCommands } from '../../../lib/install-commands';
import { CLOSE } from '../../link/hub';
import { log } from '../../log';
import type { MachineSummary } from '../../views';
import { audited } from '../audited';
import { coalescedIds } from '../changes';
import { adminProcedure, type Context, operatorProcedure, router, viewerProcedure } from '../trpc';

const machineId = z.object({ id: z.string().min(1).max(100) });

const agentBuildSummary = (build: { version: string; minNode: string } | null) =>
  build ? { version: build.version, minNode: build.minNode } : null;

export type MachineUpdate =
  | { kind: 'state'; summary: MachineSummary; state: AgentState | null }
  | { kind: 'event'; event: AgentEvent; at: number }
  | { kind: 'removed' };

function requireMachine(ctx: Context, id: string) {
  const record = ctx.core.fleet.record(id);
  if (!record) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such machine.' });
  return record;
}

/** A machine's recent frames (newest first, with thumbnails) and errors, for its page. */
export type MachineHistory = Awaited<ReturnType<typeof history>>;

async function history(ctx: Context, id: string) {
  const [frames, errors] = await Promise.all([
    ctx.core.repo.recentFrames(id, 20),
    ctx.core.repo.recentErrors(id, 10),
  ]);
  return {
    frames: frames.map(({ id: frameId, project, frame, renderTimeMs, credits, thumbnail, finishedAt }) => ({
      id: frameId,
      project,
      frame,
      renderTimeMs,
      credits,
      thumbnail,
      finishedAt,
    })),
    errors: errors.map((row) => ({ id: row.id, at: row.at, event: row.payload })),
  };
}

export const machinesRouter = router({
  /** The machine as it is now; its frames and errors come from `history`. */
  get: viewerProcedure.input(machineId).query(({ ctx, input }) => {
    const record = requireMachine(ctx, input.id);
    return {
      summary: ctx.core.fleet.summary(input.id) as MachineSummary,
      state: record.state,
      machine: record.state?.machine ?? record.hello?.machine ?? null,
    };
  }),

  /** The machine page's live feed: its state (coalesced) and every event as it arrives. */
  live: viewerProcedure.input(machineId).subscription(async function* ({
    ctx,
    input,
    signal,
  }): AsyncGenerator<MachineUpdate> {
    const { fleet } = ctx.core;
    requireMachine(ctx, input.id);
    const queued: MachineUpdate[] = [];
    const onEvent = (id: string, event: AgentEvent, at: number) => {
      if (id === input.id) queued.push({ kind: 'event', event, at });
    };
    fleet.bus.on('agentEvent', onEvent);
    try {
      const changes = coalescedIds(fleet.bus, ['machine', 'removed', 'agentEvent'], signal, 150, input.id);
      // The current state first (also after a reconnect of the stream), then every change.
      const current = (): MachineUpdate => {
        const summary = fleet.summary(input.id);
        return summary
          ? { kind: 'state', summary, state: fleet.record(input.id)?.state ?? null }
          : { kind: 'removed' };
      };
      yield current();
      for await (const _ of changes) {
        yield* queued.splice(0);
        const update = current();
        yield update;
        if (update.kind === 'removed') return;
      }
    } finally {
      fleet.bus.off('agentEvent', onEvent);
    }
  }),

  history: viewerProcedure.input(machineId).query(({ ctx, input }) => {
    requireMachine(ctx, input.id);
    return history(ctx, input.id);
  }),

  logs: viewerProcedure
    .input(
      machineId.extend({
        limit: z.number().int().min(1).max(5000).default(500),
        search: z.string().max(200).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      requireMachine(ctx, input.id);
      const lines = await ctx.core.hub.requestLogs(input.id, input.limit, input.search);
      if (!lines)
        throw new TRPCError({
          code: 'PRECONDITION_FAILED',
          message: 'The machine is offline or did not answer.',
        });
      return lines;
    }),

  /** The machine's one name: the console lists it so and its agent gives it to the farm from its next login. */
  rename: operatorProcedure
    .input(machineId.extend({ name: z.string().trim().min(1).max(100) }))
    .use((call) => audited(call, ({ id, name }) => ({ machineIds: [id], params: { name } })))
    .mutation(async ({ ctx, input }) => {
      requireMachine(ctx, input.id);
      const name = MachineNameSchema.safeParse(input.name);
      if (!name.success)
        throw new TRPCError({ code: 'BAD_REQUEST', message: name.error.issues[0]?.message ?? 'Not a name.' });
      await ctx.core.repo.renameMachine(input.id, name.data);
      await ctx.core.history.repo.rememberName(input.id, name.data);
      ctx.core.fleet.rename(input.id, name.data);
      ctx.core.hub.sendMachineName(input.id, name.data);
      return { ok: true };
    }),

  /** Revokes the machine's secret and drops its live connection at once. */
  remove: adminProcedure
    .input(machineId)
    .use((call) => audited(call, ({ id }) => ({ machineIds: [id] })))
    .mutation(async ({ ctx, input }) => {
      requireMachine(ctx, input.id);
      await ctx.core.repo.revokeMachine(input.id, ctx.core.now());
      ctx.core.fleet.remove(input.id);
      ctx.core.hub.drop(input.id, CLOSE.revoked, 'removed from the console');
      await ctx.core.farmAccounts.clearMachine(input.id, ctx.user.username);
      log('info', `console: machine ${input.id} removed by ${ctx.user.username}`);
      return { ok: true };
    }),

  /**
   * A one-time pairing code and the exact command to run on the new machine; over HTTPS also the pin of
   * the console's certificate, which the agent checks on every connection.
   */
  addCode: adminProcedure
    .input(z.object({ consoleUrl: z.url() }))
    .use((call) => audited(call, ({ consoleUrl }) => ({ params: { consoleUrl } })))
    .mutation(async ({ ctx, input }) => {
      const { code, expiresAt } = await ctx.core.pairing.createCode();
      const origin = new URL(input.consoleUrl).origin;
      const pin = ctx.core.certificatePin;
      return {
        code,
        expiresAt,
        commands: installCommands({ consoleUrl: origin, code, pin }),
        /** What the install commands install; null until the console has an agent build. */
        agentBuild: agentBuildSummary(ctx.core.agentBuilds.current),
        ...(pin ? { pin } : {}),
      };
    }),
});
