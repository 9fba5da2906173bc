import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Alerts } from '../../alerts/service';
import {
  AlertRulesSchema,
  DigestSchema,
  MAX_WEBHOOKS,
  QuietHoursSchema,
  WEBHOOK_KINDS,
  WebhookUrlSchema,
  webhookHint,
} from '../../alerts/settings';
import type { AlertRecord } from '../../alerts/types';
import { audited } from '../audited';
import { coalescedIds } from '../changes';
import { adminProcedure, operatorProcedure, router, viewerProcedure } from '../trpc';

export interface AlertList {
  alerts: AlertRecord[];
  /** Alerts nobody acknowledged yet: the bell's count. */
  unacknowledged: number;
}

const ALERTS_PUSH_INTERVAL_MS = 250;

async function listOf(alerts: Alerts): Promise<AlertList> {
  return { alerts: await alerts.recent(), unacknowledged: await alerts.unacknowledged() };
}

/** Alerts: every role reads them, operators acknowledge them, admins set rules and webhooks. */
export const alertsRouter = router({
  list: viewerProcedure.query(({ ctx }) => listOf(ctx.core.alerts)),

  /** The list again whenever an alert fires, resolves or is acknowledged. */
  live: viewerProcedure.subscription(async function* ({ ctx, signal }): AsyncGenerator<AlertList> {
    const changes = coalescedIds(ctx.core.alerts.changes, ['changed'], signal, ALERTS_PUSH_INTERVAL_MS);
    yield await listOf(ctx.core.alerts);
    for await (const _ of changes) yield await listOf(ctx.core.alerts);
  }),

  /** One alert, or every unacknowledged one (`id` null). */
  acknowledge: operatorProcedure
    .input(z.object({ id: z.number().int().positive().nullable() }).strict())
    .use((call) => audited(call, (input) => ({ params: input })))
    .mutation(async ({ ctx, input }) => ({
      acknowledged: await ctx.core.alerts.acknowledge(input.id, ctx.user.username),
    })),

  /** Rules, quiet hours, digest and the webhooks, each shown only by where it points. */
  settings: adminProcedure.query(({ ctx }) => {
    const { rules, quietHours, digest } = ctx.core.alerts.settings.settings;
    const webhooks = ctx.core.alerts.delivery.webhooks().map(({ id, kind, name, url }) => ({
      id,
      kind,
      name,
      hint: webhookHint(url),
      fromEnvironment: id === 'env',
    }));
    return { rules, quietHours, digest, webhooks, maxWebhooks: MAX_WEBHOOKS };
  }),

  saveSettings: adminProcedure
    .input(
      z
        .object({
          rules: AlertRulesSchema.strict().optional(),
          quietHours: QuietHoursSchema.strict().optional(),
          digest: DigestSchema.strict().optional(),
        })
        .strict(),
    )
    .use((call) => audited(call, (input) => ({ params: input })))
    .mutation(async ({ ctx, input }) => {
      await ctx.core.alerts.settings.update(input, ctx.user.username);
      return { ok: true };
    }),

  addWebhook: adminProcedure
    .input(
      z
        .object({
          kind: z.enum(WEBHOOK_KINDS),
          name: z.string().trim().min(1).max(60),
          url: WebhookUrlSchema,
        })
        .strict(),
    )
    // A webhook's URL often holds its token (Discord, ntfy with auth): the trail keeps its host only.
    .use((call) =>
      audited(call, ({ kind, name, url }) => ({ params: { kind, name, url: webhookHint(url) } })),
    )
    .mutation(async ({ ctx, input }) => {
      const added = await ctx.core.alerts.settings.addWebhook(input, ctx.user.username);
      if (!added)
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: `There are already ${MAX_WEBHOOKS} webhooks: remove one first.`,
        });
      return { id: added.id, hint: webhookHint(added.url) };
    }),

  removeWebhook: adminProcedure
    .input(z.object({ id: z.string().min(1).max(64) }).strict())
    .use((call) => audited(call, (input) => ({ params: input })))
    .mutation(async ({ ctx, input }) => {
      if (!(await ctx.core.alerts.settings.removeWebhook(input.id, ctx.user.username)))
        throw new TRPCError({ code: 'NOT_FOUND', message: 'No such webhook (removed meanwhile?).' });
      return { ok: true };
    }),

  /** Posts a test message now and says how the receiver answered. */
  testWebhook: adminProcedure
    .input(z.object({ id: z.string().min(1).max(64) }).strict())
    .use((call) => audited(call, (input) => ({ params: input })))
    .mutation(async ({ ctx, input }) => {
      const result = await ctx.core.alerts.sendTest(input.id);
      if (!result)
        throw new TRPCError({ code: 'NOT_FOUND', message: 'No such webhook (removed meanwhile?).' });
      return result;
    }),
});
