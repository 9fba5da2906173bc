import { parseSchedule, type Schedule } from '../schedule/schedule';
import type { ActiveRule, FactName, MachineFacts, Rule, RuleCondition } from './schema';

// Rule evaluation: pure, so the agent (which acts on it) and the console's dry run (which shows what
// a machine would do) read the same facts the same way.

/** A temperature rule that held lifts only this many degrees below its limit, so it does not flap. */
export const TEMPERATURE_HYSTERESIS_CELSIUS = 5;
/** An owner CPU rule that held lifts only this many points below its limit. */
export const OWNER_CPU_HYSTERESIS_PERCENT = 10;

export type RuleSource = ActiveRule['source'];

export interface SourcedRule {
  rule: Rule;
  source: RuleSource;
}

export interface RulesInput {
  owner: readonly Rule[];
  console: readonly Rule[];
  facts: MachineFacts;
  now: number;
  snoozedUntil?: number | null;
  /** `ruleKey` of the rules that held at the previous evaluation (temperature and CPU hysteresis). */
  heldBefore?: ReadonlySet<string>;
}

/** What the rules make the agent do now. */
export interface RulesEffect {
  /** False while a rule says "stop requesting" or "pause now". */
  requesting: boolean;
  /** A rule says "pause now": the current frame stops. */
  pauseNow: boolean;
  /** The fewest cores a "limit cores" rule allows, or null. */
  coreLimit: number | null;
}

export interface RulesOutcome {
  /** The rules whose condition holds, snoozed or not (the next evaluation's `heldBefore`). */
  holding: ActiveRule[];
  /** The rules in force: `holding`, or none while snoozed. */
  active: ActiveRule[];
  effect: RulesEffect;
  /** Facts a rule needs that this machine cannot read. */
  unavailable: FactName[];
}

export const NO_RULE_EFFECT: RulesEffect = Object.freeze({
  requesting: true,
  pauseNow: false,
  coreLimit: null,
});

/** How a rule is known across evaluations: its source and its name (names are unique per source). */
export function ruleKey(source: RuleSource, name: string): string {
  return `${source}:${name.toLowerCase()}`;
}

export function evaluateRules(input: RulesInput): RulesOutcome {
  const unavailable = new Set<FactName>();
  const holding: ActiveRule[] = [];
  const rules: SourcedRule[] = [
    ...input.owner.map((rule) => ({ rule, source: 'owner' as const })),
    ...input.console.map((rule) => ({ rule, source: 'console' as const })),
  ];
  for (const { rule, source } of rules) {
    const wasHeld = input.heldBefore?.has(ruleKey(source, rule.name)) ?? false;
    const reading = readCondition(rule.when, input.facts, input.now, wasHeld);
    if (reading.unavailable) unavailable.add(reading.unavailable);
    if (reading.holds)
      holding.push({
        rule: rule.name,
        source,
        action: rule.action,
        message: reading.message,
        until: reading.until,
      });
  }
  const snoozed = input.snoozedUntil != null && input.now < input.snoozedUntil;
  const active = snoozed ? [] : holding;
  return { holding, active, effect: combine(active), unavailable: [...unavailable] };
}

/** Pause now beats stop requesting; the lowest core limit wins. */
export function combine(active: readonly ActiveRule[]): RulesEffect {
  let effect: RulesEffect = NO_RULE_EFFECT;
  for (const { action } of active) {
    if (action.type === 'pause-now') effect = { ...effect, requesting: false, pauseNow: true };
    else if (action.type === 'stop-requesting') effect = { ...effect, requesting: false };
    else effect = { ...effect, coreLimit: Math.min(effect.coreLimit ?? action.cores, action.cores) };
  }
  return effect;
}

/** The program names the rules watch, without duplicates (what the agent looks for in its process list). */
export function watchedProcessNames(rules: readonly Rule[]): string[] {
  const names = new Map<string, string>();
  for (const { when } of rules) {
    if (when.kind !== 'process-running') continue;
    for (const name of when.names) names.set(normalizeProcessName(name), name);
  }
  return [...names.values()];
}

/** `Teams.exe` is `teams`: names compare without case and without a trailing `.exe`. */
export function normalizeProcessName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/\.exe$/, '');
}

export function processNameMatches(watched: string, running: string): boolean {
  return normalizeProcessName(watched) === normalizeProcessName(running);
}

interface ConditionReading {
  holds: boolean;
  message: string;
  until: number | null;
  unavailable?: FactName;
}

const NOT_HOLDING: ConditionReading = { holds: false, message: '', until: null };
const unreadable = (fact: FactName): ConditionReading => ({ ...NOT_HOLDING, unavailable: fact });

function readCondition(
  when: RuleCondition,
  facts: MachineFacts,
  now: number,
  wasHeld: boolean,
): ConditionReading {
  switch (when.kind) {
    case 'user-active':
      return readUserActive(when.idleMinutes, facts, now);
    case 'process-running': {
      const running = when.names.filter((name) =>
        facts.runningWatched.some((runningName) => processNameMatches(name, runningName)),
      );
      if (running.length === 0) return NOT_HOLDING;
      const list = running.map((name) => `\`${name}\``).join(', ');
      return { holds: true, message: `${list} ${running.length === 1 ? 'is' : 'are'} running`, until: null };
    }
    case 'on-battery':
      if (facts.onBattery === null) return unreadable('battery');
      return facts.onBattery ? { holds: true, message: 'on battery', until: null } : NOT_HOLDING;
    case 'temperature-above': {
      const celsius = when.sensor === 'cpu' ? facts.cpuCelsius : facts.gpuCelsius;
      if (celsius === null) return unreadable(when.sensor === 'cpu' ? 'cpu-temperature' : 'gpu-temperature');
      const limit = wasHeld ? when.celsius - TEMPERATURE_HYSTERESIS_CELSIUS : when.celsius;
      if (celsius <= limit) return NOT_HOLDING;
      const sensor = when.sensor.toUpperCase();
      return {
        holds: true,
        message: `${sensor} at ${Math.round(celsius)} °C (limit ${when.celsius} °C)`,
        until: null,
      };
    }
    case 'owner-cpu-above': {
      if (facts.ownerCpuPercent === null) return unreadable('owner-cpu');
      const limit = wasHeld ? when.percent - OWNER_CPU_HYSTERESIS_PERCENT : when.percent;
      if (facts.ownerCpuPercent <= limit) return NOT_HOLDING;
      const percent = Math.round(facts.ownerCpuPercent);
      return {
        holds: true,
        message: `the owner's programs use ${percent} % of the CPU (limit ${when.percent} %)`,
        until: null,
      };
    }
    case 'time-window': {
      const schedule = windowSchedule(when.window, facts.timeZone);
      if (!schedule.isOpen(now)) return NOT_HOLDING;
      return { holds: true, message: `within ${when.window}`, until: schedule.nextClosing(now) };
    }
  }
}

/** Parsed windows by zone and spec: rules are evaluated every few seconds, their windows rarely change. */
const schedules = new Map<string, Schedule>();
const MAX_CACHED_SCHEDULES = 64;

function windowSchedule(window: string, timeZone: string | null): Schedule {
  const key = `${timeZone ?? ''}\n${window}`;
  let schedule = schedules.get(key);
  if (!schedule) {
    if (schedules.size >= MAX_CACHED_SCHEDULES) schedules.clear();
    schedule = parseSchedule(window, { timeZone: timeZone ?? undefined });
    schedules.set(key, schedule);
  }
  return schedule;
}

function readUserActive(idleMinutes: number, facts: MachineFacts, now: number): ConditionReading {
  if (facts.session !== 'desktop') return NOT_HOLDING; // no one at a keyboard: always idle
  if (facts.userIdleSeconds === null) return unreadable('user-idle');
  const neededSeconds = idleMinutes * 60;
  if (facts.userIdleSeconds >= neededSeconds) return NOT_HOLDING;
  const idle = Math.floor(facts.userIdleSeconds / 60);
  return {
    holds: true,
    message: `the computer is in use (idle ${idle} min of the ${idleMinutes} min needed)`,
    until: now + Math.ceil(neededSeconds - facts.userIdleSeconds) * 1000,
  };
}

const ACTION_WORDS: Record<ActiveRule['action']['type'], (rule: ActiveRule) => string> = {
  'stop-requesting': () => 'asking for no new job',
  'pause-now': () => 'paused',
  'limit-cores': (rule) => `limited to ${rule.action.type === 'limit-cores' ? rule.action.cores : 0} cores`,
};

/** "paused: `blender` is running (rule 'my own Blender')", as the agent's reason and the console show it. */
export function describeActiveRule(rule: ActiveRule): string {
  const owner = rule.source === 'owner' ? ', set on the machine' : '';
  return `${ACTION_WORDS[rule.action.type](rule)}: ${rule.message} (rule '${rule.rule}'${owner})`;
}
