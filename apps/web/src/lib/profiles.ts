import { type LimitName, LimitsSchema, type Rule, RulesSchema } from '@flock/protocol';
import { z } from 'zod';

/**
 * The limits a profile may set: every limit but `gpu`, whose value is one machine's device id and
 * means nothing on another machine.
 */
export const PROFILE_LIMIT_NAMES = [
  'computeMethod',
  'cores',
  'memoryBytes',
  'maxFrameTimeSeconds',
  'priority',
  'requestTime',
] as const satisfies readonly LimitName[];
export type ProfileLimitName = (typeof PROFILE_LIMIT_NAMES)[number];

export const ProfileLimitsSchema = LimitsSchema.pick({
  computeMethod: true,
  cores: true,
  memoryBytes: true,
  maxFrameTimeSeconds: true,
  priority: true,
  requestTime: true,
})
  .partial()
  .strict();
export type ProfileLimits = z.infer<typeof ProfileLimitsSchema>;

export const ProfileNameSchema = z
  .string()
  .trim()
  .min(1, 'a profile needs a name')
  .max(80, 'a profile name has at most 80 characters');

/** What the profile form sends, and what the server checks again: name, a subset of limits, rules. */
export const ProfileInputSchema = z.object({
  name: ProfileNameSchema,
  limits: ProfileLimitsSchema,
  rules: RulesSchema,
});
export type ProfileInput = z.infer<typeof ProfileInputSchema>;

/** A machine's own differences from its profile. */
export const OverridesInputSchema = z.object({ limits: ProfileLimitsSchema, rules: RulesSchema });
export type Overrides = z.infer<typeof OverridesInputSchema>;

export const NO_OVERRIDES: Overrides = Object.freeze({ limits: {}, rules: [] });

/** How a field of a profile is named to the user: `rules[2] ('hot').when.celsius`, `limits.cores`. */
export function fieldName(
  path: readonly PropertyKey[],
  input?: { rules?: readonly Partial<Rule>[] },
): string {
  let name = '';
  path.forEach((part, at) => {
    if (typeof part === 'number') {
      const ruleName = at === 1 && path[0] === 'rules' ? input?.rules?.[part]?.name : undefined;
      name += `[${part + 1}]${typeof ruleName === 'string' && ruleName ? ` ('${ruleName}')` : ''}`;
    } else name += `${name ? '.' : ''}${String(part)}`;
  });
  return name || 'the profile';
}

/** Every problem of a refused input, each naming its field: `rules[1] ('hot').when.celsius: …`. */
export function describeIssues(error: z.ZodError, input?: unknown): string[] {
  const named = input as { rules?: Partial<Rule>[] } | undefined;
  return error.issues.map((issue) => `${fieldName(issue.path, named)}: ${issue.message}`);
}

/** A form's candidate checked with `schema`: the value when it passes, else every problem naming its field. */
export interface FieldCheck<T> {
  value: T | null;
  issues: string[];
  /** Whether the check refused this field or one inside it (`rules[2]` covers `rules[2].when.celsius`). */
  invalid: (path: string) => boolean;
}

/** Checks what a form holds as you type, with the schema the server checks it with again. */
export function checkFields<T>(
  schema: z.ZodType<T>,
  candidate: { readonly [field: string]: unknown; rules?: readonly Partial<Rule>[] },
): FieldCheck<T> {
  const checked = schema.safeParse(candidate);
  if (checked.success) return { value: checked.data, issues: [], invalid: () => false };
  const badFields = checked.error.issues.map((issue) =>
    fieldName(issue.path, candidate).replace(/ \('[^']*'\)/g, ''),
  );
  return {
    value: null,
    issues: describeIssues(checked.error, candidate),
    invalid: (path) =>
      badFields.some(
        (field) => field === path || field.startsWith(`${path}[`) || field.startsWith(`${path}.`),
      ),
  };
}
