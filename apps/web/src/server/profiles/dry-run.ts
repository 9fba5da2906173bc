import {
  type ActiveRule,
  type AgentState,
  evaluateRules,
  type FactName,
  type MachineFacts,
  processNameMatches,
  type Rule,
  type RulesEffect,
  ruleKey,
  watchedProcessNames,
} from '@flock/protocol';

// "What would this machine do right now under these rules": the protocol's own evaluation on the
// facts the machine last reported. A fact it cannot read, or a program it does not watch yet (its
// agent reports only the programs its current rules name), is shown as unknown, never guessed.

export interface RuleVerdict {
  rule: string;
  source: ActiveRule['source'];
  verdict: 'holds' | 'clear' | 'unknown';
  /** What holds ("`blender` is running"), or why it is unknown. */
  message: string;
  until: number | null;
}

export interface DryRun {
  /** When the facts were read, by the machine's clock; null when it reported none. */
  factsAt: number | null;
  rules: RuleVerdict[];
  /** What the rules that surely hold do; with `certain` false an unknown rule could add to it. */
  effect: RulesEffect;
  certain: boolean;
  snoozedUntil: number | null;
}

const FACT_WORDS: Record<FactName, string> = {
  'user-idle': 'the machine cannot read keyboard and mouse idle time',
  battery: 'the machine has no battery reading',
  'cpu-temperature': 'the machine has no CPU temperature sensor',
  'gpu-temperature': 'the machine has no GPU temperature sensor',
  'owner-cpu': "the machine cannot read its owner's CPU load",
};

export function dryRun(state: AgentState | null, consoleRules: readonly Rule[], now: number): DryRun {
  const rulesState = state?.rules;
  const owner = rulesState?.owner ?? [];
  const facts = rulesState?.facts ?? null;
  const snoozedUntil = rulesState?.snoozedUntil ?? null;
  const sourced = [
    ...owner.map((rule) => ({ rule, source: 'owner' as const })),
    ...consoleRules.map((rule) => ({ rule, source: 'console' as const })),
  ];
  if (!facts) {
    const message = rulesState
      ? 'the machine has not read its facts yet'
      : 'the machine reports no facts (offline, or an agent older than rules)';
    return {
      factsAt: null,
      rules: sourced.map(({ rule, source }) => ({
        rule: rule.name,
        source,
        verdict: 'unknown',
        message,
        until: null,
      })),
      effect: { requesting: true, pauseNow: false, coreLimit: null },
      certain: sourced.length === 0,
      snoozedUntil,
    };
  }
  const watched = watchedProcessNames([...owner, ...(rulesState?.console ?? [])]);
  const heldBefore = new Set((rulesState?.active ?? []).map((active) => ruleKey(active.source, active.rule)));
  const rules = sourced.map(({ rule, source }) => {
    const alone = evaluateRules({
      owner: source === 'owner' ? [rule] : [],
      console: source === 'console' ? [rule] : [],
      facts,
      now,
      heldBefore,
    });
    return verdictOf(rule, source, alone, facts, watched);
  });
  const surely = rules.filter((rule) => rule.verdict === 'holds');
  const outcome = evaluateRules({
    owner: owner.filter((rule) => surely.some((r) => r.source === 'owner' && r.rule === rule.name)),
    console: consoleRules.filter((rule) =>
      surely.some((r) => r.source === 'console' && r.rule === rule.name),
    ),
    facts,
    now,
    snoozedUntil,
    heldBefore,
  });
  return {
    factsAt: facts.at,
    rules,
    effect: outcome.effect,
    certain: rules.every((rule) => rule.verdict !== 'unknown'),
    snoozedUntil,
  };
}

function verdictOf(
  rule: Rule,
  source: ActiveRule['source'],
  alone: ReturnType<typeof evaluateRules>,
  facts: MachineFacts,
  watched: readonly string[],
): RuleVerdict {
  if (rule.when.kind === 'time-window' && facts.timeZone === null)
    return {
      rule: rule.name,
      source,
      verdict: 'unknown',
      message: 'the machine did not report its time zone',
      until: null,
    };
  const held = alone.holding[0];
  if (held) return { rule: rule.name, source, verdict: 'holds', message: held.message, until: held.until };
  const fact = alone.unavailable[0];
  if (fact) return { rule: rule.name, source, verdict: 'unknown', message: FACT_WORDS[fact], until: null };
  if (rule.when.kind === 'process-running') {
    const unwatched = rule.when.names.filter((name) => !watched.some((w) => processNameMatches(w, name)));
    if (unwatched.length > 0)
      return {
        rule: rule.name,
        source,
        verdict: 'unknown',
        message: `the machine does not watch ${unwatched.map((n) => `\`${n}\``).join(', ')} yet (it will once the rule is applied)`,
        until: null,
      };
  }
  return { rule: rule.name, source, verdict: 'clear', message: 'does not hold', until: null };
}
