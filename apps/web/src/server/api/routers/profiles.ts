import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import {
  describeIssues,
  NO_OVERRIDES,
  OverridesInputSchema,
  type ProfileInput,
  ProfileInputSchema,
} from '../../../lib/profiles';
import { TagSchema } from '../../../lib/tags';
import type { ProfileRow } from '../../profiles/repo';
import { withOverrides } from '../../profiles/resolve';
import type { ApplyOutcome } from '../../profiles/service';
import { audited } from '../audited';
import { type Context, operatorProcedure, router, viewerProcedure } from '../trpc';

const profileId = z.number().int().positive();
const machineIds = z.array(z.string().min(1).max(100)).max(10_000);
/** The form's fields, checked with the protocol's schemas in the procedure so every refusal names its field. */
const profileFields = z.object({ name: z.unknown(), limits: z.unknown(), rules: z.unknown() });

/** Parses with `schema`, or refuses naming every field that is wrong. */
function parseNamed<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new TRPCError({ code: 'BAD_REQUEST', message: describeIssues(parsed.error, value).join('; ') });
}

async function requireProfile(ctx: Context, id: number): Promise<ProfileRow> {
  const profile = await ctx.core.profiles.repo.get(id);
  if (!profile)
    throw new TRPCError({ code: 'NOT_FOUND', message: 'No such profile: it may have been removed.' });
  return profile;
}

async function refuseTakenName(ctx: Context, input: ProfileInput, id?: number): Promise<void> {
  const same = await ctx.core.profiles.repo.findByName(input.name);
  if (same && same.id !== id)
    throw new TRPCError({
      code: 'CONFLICT',
      message: `name: a profile named "${input.name}" exists; choose another name.`,
    });
}

/** E.g. `2 applied, 1 queued`, for the audit trail. */
const applyCounts = (outcomes: ApplyOutcome[]): string => {
  const counts = new Map<string, number>();
  for (const { status } of outcomes) counts.set(status, (counts.get(status) ?? 0) + 1);
  return counts.size === 0 ? 'no machine follows it' : [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
};

export const profilesRouter = router({
  /** Every profile, with the machines and tags assigned to it and the machines that follow it. */
  list: viewerProcedure.query(async ({ ctx }) => {
    const { repo } = ctx.core.profiles;
    const [rows, assignments, choices] = await Promise.all([
      repo.list(),
      repo.assignments(),
      ctx.core.profiles.choices(),
    ]);
    return rows.map((profile) => ({
      ...profile,
      machines: assignments
        .filter((a) => a.profileId === profile.id && a.kind === 'machine')
        .map((a) => a.target),
      tags: assignments.filter((a) => a.profileId === profile.id && a.kind === 'tag').map((a) => a.target),
      followers: [...choices].filter(([, c]) => c.profileId === profile.id).map(([id]) => id),
    }));
  }),

  create: operatorProcedure
    .input(profileFields)
    .use((call) => audited(call, (input) => ({ params: { name: input.name } })))
    .mutation(async ({ ctx, input }) => {
      const profile = parseNamed(ProfileInputSchema, input);
      await refuseTakenName(ctx, profile);
      const row = await ctx.core.profiles.repo.create(profile, ctx.user.username, ctx.core.now());
      return { ok: true, id: row.id };
    }),

  /** Changes a profile; nothing is sent to a machine until the profile is applied. */
  update: operatorProcedure
    .input(profileFields.extend({ id: profileId }))
    .use((call) => audited(call, ({ id, name }) => ({ params: { id, name } })))
    .mutation(async ({ ctx, input }) => {
      await requireProfile(ctx, input.id);
      const profile = parseNamed(ProfileInputSchema, input);
      await refuseTakenName(ctx, profile, input.id);
      await ctx.core.profiles.repo.update(input.id, profile, ctx.user.username, ctx.core.now());
      return { ok: true };
    }),

  /** Removes a profile and its assignments; the machines keep what was applied to them. */
  remove: operatorProcedure
    .input(z.object({ id: profileId }))
    .use((call) => audited(call, ({ id }) => ({ params: { id } })))
    .mutation(async ({ ctx, input }) => ({ ok: await ctx.core.profiles.repo.remove(input.id) })),

  /** Machines and tags follow the profile (`profileId` null: they follow none); nothing is sent. */
  assign: operatorProcedure
    .input(z.object({ profileId: profileId.nullable(), machineIds, tags: z.array(TagSchema).max(64) }))
    .use((call) =>
      audited(call, ({ profileId: id, machineIds: ids, tags }) => ({
        machineIds: ids,
        params: { profileId: id, tags },
      })),
    )
    .mutation(async ({ ctx, input }) => {
      if (input.profileId !== null) await requireProfile(ctx, input.profileId);
      const targets = [
        ...input.machineIds
          .filter((id) => ctx.core.fleet.has(id))
          .map((target) => ({ kind: 'machine' as const, target })),
        ...input.tags.map((target) => ({ kind: 'tag' as const, target })),
      ];
      await ctx.core.profiles.repo.assign(input.profileId, targets, ctx.user.username, ctx.core.now());
      return { ok: true };
    }),

  /** Per machine following the profile: what applying it would change and what the machine would do now. */
  preview: viewerProcedure
    .input(z.object({ profileId, machineIds: machineIds.optional() }))
    .query(async ({ ctx, input }) =>
      ctx.core.profiles.preview(await requireProfile(ctx, input.profileId), input.machineIds),
    ),

  /** Applies the profile: sends it (with each machine's overrides, less its owner's limits) to machines that follow it (`apply` is a name tRPC reserves). */
  send: operatorProcedure
    .input(z.object({ profileId, machineIds: machineIds.min(1) }))
    .use((call) =>
      audited(
        call,
        ({ profileId: id, machineIds: ids }) => ({ machineIds: ids, params: { profileId: id } }),
        applyCounts,
      ),
    )
    .mutation(async ({ ctx, input }) =>
      ctx.core.profiles.apply(await requireProfile(ctx, input.profileId), input.machineIds),
    ),

  /** The profile a machine follows (and why), its overrides and what it should run with, for its Rules panel. */
  machine: viewerProcedure
    .input(z.object({ id: z.string().min(1).max(100) }))
    .query(async ({ ctx, input }) => {
      const { profiles, fleet } = ctx.core;
      if (!fleet.has(input.id)) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such machine.' });
      const choice = profiles.choiceFor(input.id, await profiles.repo.assignments());
      const profile = choice ? ((await profiles.repo.get(choice.profileId)) ?? null) : null;
      const overrides = (await profiles.repo.overrides(input.id)) ?? NO_OVERRIDES;
      const names = new Map((await profiles.repo.list()).map((p) => [p.id, p.name]));
      return {
        choice: choice && {
          ...choice,
          passedOver: choice.passedOver.map((p) => ({ ...p, profileName: names.get(p.profileId) ?? '?' })),
        },
        profile: profile && {
          id: profile.id,
          name: profile.name,
          limits: profile.limits,
          rules: profile.rules,
        },
        overrides: { limits: overrides.limits, rules: overrides.rules },
        desired: profile ? withOverrides(profile, overrides) : null,
      };
    }),

  /** A machine's own differences from its profile, kept across applies (none: `{limits: {}, rules: []}`). */
  setOverrides: operatorProcedure
    .input(z.object({ id: z.string().min(1).max(100), limits: z.unknown(), rules: z.unknown() }))
    .use((call) => audited(call, ({ id }) => ({ machineIds: [id] })))
    .mutation(async ({ ctx, input }) => {
      if (!ctx.core.fleet.has(input.id))
        throw new TRPCError({ code: 'NOT_FOUND', message: 'No such machine.' });
      const overrides = parseNamed(OverridesInputSchema, { limits: input.limits, rules: input.rules });
      await ctx.core.profiles.repo.setOverrides(input.id, overrides, ctx.user.username, ctx.core.now());
      return { ok: true };
    }),
});
