// The owner rules at work: reads the machine's facts on a timer, evaluates the owner's and the
// console's rules with the protocol's `evaluateRules`, and announces the outcome when it changes.
// No rules: no reading at all. Rules on the user, programs or the CPU: a reading every 2 s; others
// (battery, temperatures, windows): every 10 s. Everything runs on the agent's injected clock.
import { EventEmitter } from 'node:events';
import {
  type ActiveRule,
  evaluateRules,
  type MachineFacts,
  NO_RULE_EFFECT,
  type Rule,
  type RulesEffect,
  type RulesOutcome,
  type RulesState,
  ruleKey,
  watchedProcessNames,
} from '@flock/protocol';
import type { Clock } from '../clock.js';
import type { Logger } from '../log/index.js';
import type { FactsReader } from './facts-reader.js';

/** Between readings while a rule watches something that changes by the second (the user, programs, CPU). */
export const FAST_READ_MS = 2000;
/** Between readings while the rules only watch slow things (battery, temperatures, time windows). */
export const SLOW_READ_MS = 10_000;
/** The facts in the state are refreshed at least this often while nothing else changes. */
const FACTS_REFRESH_MS = 60_000;
/** A rule's lift time is shown to this step. */
const UNTIL_STEP_MS = 10_000;

const FAST_KINDS = new Set<Rule['when']['kind']>(['user-active', 'process-running', 'owner-cpu-above']);

export interface RulesEngineOptions {
  clock: Clock;
  log: Logger;
  reader: FactsReader;
  /** Set on the machine (flags, config file). */
  owner: readonly Rule[];
  /** The console's, as kept from an earlier run. */
  console?: readonly Rule[];
  snoozedUntil?: number | null;
}

interface RulesEvents {
  /** What the rules make the agent do changed (the rules in force, their effect). */
  change: [RulesOutcome];
  /** What the state shows changed (rules, facts, snooze, messages). */
  state: [RulesState];
}

const NO_OUTCOME: RulesOutcome = { holding: [], active: [], effect: NO_RULE_EFFECT, unavailable: [] };

export class RulesEngine extends EventEmitter<RulesEvents> {
  private consoleRules: readonly Rule[];
  private snoozedUntilValue: number | null;
  private outcome: RulesOutcome = NO_OUTCOME;
  private facts: MachineFacts | null = null;
  private heldBefore = new Set<string>();
  private lastStateKey = '';
  private lastStateAt = 0;
  private readFailing = false;
  private running = false;
  private wake = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  private evaluating: Promise<void> = Promise.resolve();

  constructor(private readonly options: RulesEngineOptions) {
    super();
    this.consoleRules = options.console ?? [];
    this.snoozedUntilValue = options.snoozedUntil ?? null;
  }

  get owner(): readonly Rule[] {
    return this.options.owner;
  }

  get console(): readonly Rule[] {
    return this.consoleRules;
  }

  get snoozedUntil(): number | null {
    const until = this.snoozedUntilValue;
    return until !== null && until > this.options.clock.now() ? until : null;
  }

  get effect(): RulesEffect {
    return this.outcome.effect;
  }

  /** The rules in force now, owner rules first. */
  get active(): readonly ActiveRule[] {
    return this.outcome.active;
  }

  get state(): RulesState {
    return {
      owner: [...this.options.owner],
      console: [...this.consoleRules],
      snoozedUntil: this.snoozedUntil,
      active: this.outcome.active,
      facts: this.facts,
      unavailable: this.outcome.unavailable,
    };
  }

  /** Starts reading and evaluating; resolves after the first evaluation. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.evaluate();
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake.abort();
    await this.loopDone;
    this.options.reader.close?.();
  }

  /** The console's rules, replaced whole; evaluated at once. */
  async setConsoleRules(rules: readonly Rule[]): Promise<void> {
    this.consoleRules = rules;
    await this.reevaluate();
  }

  /** Ignores every rule until `until` (null: ends a snooze); evaluated at once. */
  async snooze(until: number | null): Promise<void> {
    this.snoozedUntilValue = until;
    await this.reevaluate();
  }

  private get rules(): Rule[] {
    return [...this.options.owner, ...this.consoleRules];
  }

  private async reevaluate(): Promise<void> {
    await this.evaluate();
    this.wake.abort(); // the reading interval may have changed
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.wake = new AbortController();
      await this.options.clock.sleep(this.nextReadInMs(), this.wake.signal).catch(() => undefined);
      if (this.running) await this.evaluate();
    }
  }

  /** The interval for the rules there are, shortened so a snooze's end is seen when it comes. */
  private nextReadInMs(): number {
    const rules = this.rules;
    if (rules.length === 0) {
      const snoozeEnd = this.snoozedUntil;
      return snoozeEnd === null ? 24 * 60 * 60_000 : snoozeEnd - this.options.clock.now();
    }
    const interval = rules.some((rule) => FAST_KINDS.has(rule.when.kind)) ? FAST_READ_MS : SLOW_READ_MS;
    const snoozeEnd = this.snoozedUntil;
    return snoozeEnd === null
      ? interval
      : Math.min(interval, Math.max(0, snoozeEnd - this.options.clock.now()));
  }

  /** One evaluation at a time: a rule change during a reading is evaluated after it. */
  private evaluate(): Promise<void> {
    this.evaluating = this.evaluating.then(() => this.evaluateOnce());
    return this.evaluating;
  }

  private async evaluateOnce(): Promise<void> {
    const rules = this.rules;
    const now = this.options.clock.now();
    if (rules.length === 0) {
      this.facts = null;
      this.settle(NO_OUTCOME, now);
      return;
    }
    const facts = await this.read(rules);
    if (facts) this.facts = facts;
    if (!this.facts) return;
    const outcome = evaluateRules({
      owner: this.options.owner,
      console: this.consoleRules,
      facts: this.facts,
      now: this.options.clock.now(),
      snoozedUntil: this.snoozedUntilValue,
      heldBefore: this.heldBefore,
    });
    this.heldBefore = new Set(outcome.holding.map((rule) => ruleKey(rule.source, rule.rule)));
    this.settle(outcome, now);
  }

  private async read(rules: readonly Rule[]): Promise<MachineFacts | null> {
    try {
      const facts = await this.options.reader.read(watchedProcessNames(rules));
      if (this.readFailing) this.options.log.info('owner rules: the machine is read again');
      this.readFailing = false;
      return facts;
    } catch (error) {
      // Said once, not at every reading: the last facts read stay in force meanwhile.
      if (!this.readFailing)
        this.options.log.warn('owner rules: cannot read the machine; the last facts read stay in force', {
          error: (error as Error).message,
        });
      this.readFailing = true;
      return null;
    }
  }

  private settle(evaluated: RulesOutcome, now: number): void {
    const before = this.outcome;
    const outcome = { ...evaluated, active: evaluated.active.map(roundedUntil) };
    this.outcome = outcome;
    if (outcomeKey(before) !== outcomeKey(outcome)) this.emit('change', outcome);
    const stateKey = JSON.stringify([this.rules, this.snoozedUntil, outcomeKey(outcome)]);
    if (stateKey !== this.lastStateKey || now - this.lastStateAt >= FACTS_REFRESH_MS) {
      this.lastStateKey = stateKey;
      this.lastStateAt = now;
      this.emit('state', this.state);
    }
  }
}

/** What the loop acts on and the reason shows: the effect and the rules in force with their messages. */
function outcomeKey(outcome: RulesOutcome): string {
  return JSON.stringify([outcome.effect, outcome.active, outcome.unavailable]);
}

/**
 * A lift time read from the clock and a fact read a moment apart (idle time) moves by milliseconds at
 * every reading: rounded up to UNTIL_STEP_MS, it changes only when the lift time really moves.
 */
function roundedUntil(rule: ActiveRule): ActiveRule {
  if (rule.until === null) return rule;
  return { ...rule, until: Math.ceil(rule.until / UNTIL_STEP_MS) * UNTIL_STEP_MS };
}
