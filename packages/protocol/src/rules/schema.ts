import { z } from 'zod';
import { ScheduleParseError } from '../schedule/parse';
import { parseSchedule } from '../schedule/schedule';

// Owner rules: conditions read on the machine (the user at the keyboard, programs running, battery,
// temperatures, the owner's own CPU load, time windows) and what the agent does while one holds. The
// agent evaluates them, so they hold while the console is away; the console edits them and, for a dry
// run, evaluates them against the facts a machine last reported, with the same code (`evaluateRules`).

/** The bounds of every number a rule holds, the same on the command line, in the config file and in the console. */
export const RULE_BOUNDS = Object.freeze({
  rules: { max: 32 },
  nameChars: { max: 80 },
  idleMinutes: { min: 1, max: 24 * 60 },
  processNames: { min: 1, max: 32 },
  processNameChars: { max: 100 },
  celsius: { min: 20, max: 150 },
  cpuPercent: { min: 1, max: 100 },
  cores: { min: 1, max: 4096 },
  snoozeMinutes: { min: 0, max: 7 * 24 * 60 },
});

/**
 * A program's name as the OS lists it (`blender`, `Teams.exe`, `steam`): letters, digits, spaces and
 * `. _ - + ( )`, no path. Compared without case and without a trailing `.exe` (`processNameMatches`).
 */
export const ProcessNameSchema = z
  .string()
  .trim()
  .min(1, 'a process name is empty')
  .max(RULE_BOUNDS.processNameChars.max)
  .regex(
    /^[\p{L}\p{N} ._+()-]+$/u,
    'a process name has letters, digits, spaces and . _ - + ( ) only, no path',
  );

/** A request-time style window (`mon-fri 09:00-18:00`), checked with the agent's own grammar. */
export const WindowSpecSchema = z
  .string()
  .trim()
  .min(1)
  .max(300)
  .superRefine((spec, context) => {
    try {
      parseSchedule(spec);
    } catch (error) {
      if (!(error instanceof ScheduleParseError)) throw error;
      context.addIssue({ code: 'custom', message: error.message });
    }
  });

const int = ({ min, max }: { min: number; max: number }) => z.number().int().min(min).max(max);

export const RuleConditionSchema = z.discriminatedUnion('kind', [
  /** Holds while someone used the keyboard or mouse in the last `idleMinutes`: "only when I'm away". */
  z.object({ kind: z.literal('user-active'), idleMinutes: int(RULE_BOUNDS.idleMinutes) }),
  /** Holds while a program of that name runs: "not while my own Blender or a game runs". */
  z.object({
    kind: z.literal('process-running'),
    names: z.array(ProcessNameSchema).min(RULE_BOUNDS.processNames.min).max(RULE_BOUNDS.processNames.max),
  }),
  /** Holds while the machine runs on its battery. */
  z.object({ kind: z.literal('on-battery') }),
  /** Holds while the sensor reads above `celsius` and until it is back to `celsius` − 5. */
  z.object({
    kind: z.literal('temperature-above'),
    sensor: z.enum(['cpu', 'gpu']),
    celsius: int(RULE_BOUNDS.celsius),
  }),
  /**
   * Holds while the owner's own programs (the machine's busy CPU less the render's) use more than
   * `percent` of the whole machine, over the last minute, and until they are 10 points below it.
   */
  z.object({ kind: z.literal('owner-cpu-above'), percent: int(RULE_BOUNDS.cpuPercent) }),
  /** Holds within the window, read in the machine's own time zone: "office hours". */
  z.object({ kind: z.literal('time-window'), window: WindowSpecSchema }),
]);
export type RuleCondition = z.infer<typeof RuleConditionSchema>;
export type RuleConditionKind = RuleCondition['kind'];

export const RuleActionSchema = z.discriminatedUnion('type', [
  /** Finish the current frame and its upload, ask for no new job: the farm loses no work (the default). */
  z.object({ type: z.literal('stop-requesting') }),
  /** Stop the current frame now and ask for no new job. */
  z.object({ type: z.literal('pause-now') }),
  /** Render with at most `cores` cores (from the next frame) while the condition holds. */
  z.object({ type: z.literal('limit-cores'), cores: int(RULE_BOUNDS.cores) }),
]);
export type RuleAction = z.infer<typeof RuleActionSchema>;

export const DEFAULT_RULE_ACTION: RuleAction = Object.freeze({ type: 'stop-requesting' });

export const RuleSchema = z.object({
  name: z.string().trim().min(1, 'a rule needs a name').max(RULE_BOUNDS.nameChars.max),
  when: RuleConditionSchema,
  action: RuleActionSchema.default(DEFAULT_RULE_ACTION),
});
export type Rule = z.infer<typeof RuleSchema>;

/** A set of rules, each named once (the name is how people, the reason chain and diffs refer to it). */
export const RulesSchema = z
  .array(RuleSchema)
  .max(RULE_BOUNDS.rules.max)
  .superRefine((rules, context) => {
    const seen = new Set<string>();
    rules.forEach((rule, index) => {
      const key = rule.name.toLowerCase();
      if (seen.has(key))
        context.addIssue({
          code: 'custom',
          path: [index, 'name'],
          message: `two rules are named "${rule.name}"`,
        });
      seen.add(key);
    });
  });

/**
 * What the agent read on its machine, for its rules and for the console's dry run. `null` means the
 * machine cannot tell (no battery, no sensor, no desktop session reader): a rule on it never holds and
 * the fact is listed once in `RulesState.unavailable`.
 */
export const MachineFactsSchema = z.object({
  /** When these were read (the agent's clock). */
  at: z.number().int().nonnegative(),
  /**
   * `desktop`: a user session whose input idle time is read; `headless`: no session (a server, a
   * service with no display), always idle; `unknown`: a session the agent cannot read, counted idle.
   */
  session: z.enum(['desktop', 'headless', 'unknown']),
  /** Seconds since the last keyboard or mouse input of the desktop session. */
  userIdleSeconds: z.number().nonnegative().nullable(),
  onBattery: z.boolean().nullable(),
  cpuCelsius: z.number().min(-50).max(250).nullable(),
  gpuCelsius: z.number().min(-50).max(250).nullable(),
  /** The owner's programs' share of the whole machine's CPU, 0–100, averaged over the last minute. */
  ownerCpuPercent: z.number().min(0).max(100).nullable(),
  /** Which of the names the rules watch run now (only those: the agent never reports its process list). */
  runningWatched: z.array(ProcessNameSchema).max(RULE_BOUNDS.rules.max * RULE_BOUNDS.processNames.max),
  /** The machine's IANA time zone, which time windows are read in. */
  timeZone: z.string().max(100).nullable(),
});
export type MachineFacts = z.infer<typeof MachineFactsSchema>;

/** A fact a machine cannot read; named once in the state, never an error loop. */
export const FactNameSchema = z.enum([
  'user-idle',
  'battery',
  'cpu-temperature',
  'gpu-temperature',
  'owner-cpu',
]);
export type FactName = z.infer<typeof FactNameSchema>;

/** One rule in force now, as the reason chain shows it. */
export const ActiveRuleSchema = z.object({
  rule: z.string().max(RULE_BOUNDS.nameChars.max),
  source: z.enum(['owner', 'console']),
  action: RuleActionSchema,
  /** "`blender` is running"; the reader adds what the action does and the rule's name. */
  message: z.string().max(500),
  /** When it lifts at the earliest, when that is known (a window's end, the idle time still needed). */
  until: z.number().int().nonnegative().nullable(),
});
export type ActiveRule = z.infer<typeof ActiveRuleSchema>;

/** The rules part of the agent's state; left out by older agents. */
export const RulesStateSchema = z.object({
  /** Set on the machine itself (command line, config file): always in force, read-only in the console. */
  owner: RulesSchema,
  /** Sent by the console (a profile or the machine's own); kept by the agent across restarts. */
  console: RulesSchema,
  /** Until when the rules are ignored ("snooze for 2 h"); null when not snoozed. */
  snoozedUntil: z.number().int().nonnegative().nullable(),
  active: z.array(ActiveRuleSchema).max(2 * RULE_BOUNDS.rules.max),
  facts: MachineFactsSchema.nullable(),
  unavailable: z.array(FactNameSchema).max(FactNameSchema.options.length),
});
export type RulesState = z.infer<typeof RulesStateSchema>;
