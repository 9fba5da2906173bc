// The owner rules of one agent: the engine, the console's rules and snooze kept across restarts, and
// the console's `set-rules` and `snooze-rules` (already checked against the link's schema by Controls).
import type { CommandResult, Rule, RulesState } from '@flock/protocol';
import type { Clock } from '../clock.js';
import type { RulesCommands } from '../controls/index.js';
import { formatLocalTime, type Logger } from '../log/index.js';
import { RulesEngine } from './engine.js';
import type { FactsReader } from './facts-reader.js';
import { RulesStore } from './store.js';

export interface AgentRulesOptions {
  clock: Clock;
  log: Logger;
  reader: FactsReader;
  /** The owner's rules (flags, config file). */
  owner: readonly Rule[];
  /** Where the console's rules and the snooze are kept. */
  cacheDir: string;
}

export class AgentRules implements RulesCommands {
  private constructor(
    readonly engine: RulesEngine,
    private readonly store: RulesStore,
    private readonly options: AgentRulesOptions,
  ) {}

  /** The engine with the console's rules and snooze of the last run (not started). */
  static async open(options: AgentRulesOptions): Promise<AgentRules> {
    const store = new RulesStore(options.cacheDir, options.log);
    const kept = await store.load();
    const engine = new RulesEngine({
      clock: options.clock,
      log: options.log,
      reader: options.reader,
      owner: options.owner,
      console: kept.console,
      snoozedUntil: kept.snoozedUntil,
    });
    return new AgentRules(engine, store, options);
  }

  get state(): RulesState {
    return this.engine.state;
  }

  async setConsoleRules(rules: Rule[]): Promise<CommandResult> {
    await this.engine.setConsoleRules(rules);
    this.save();
    this.options.log.info("the console's rules changed", {
      rules: rules.map((rule) => rule.name).join(', '),
    });
    const names = rules.length === 0 ? 'none' : rules.map((rule) => `'${rule.name}'`).join(', ');
    return { ok: true, message: `console rules in force: ${names}`.slice(0, 1000) };
  }

  async snooze(minutes: number): Promise<CommandResult> {
    const { clock, log } = this.options;
    const until = minutes === 0 ? null : clock.now() + minutes * 60_000;
    await this.engine.snooze(until);
    this.save();
    if (until === null) {
      log.info('rules snooze ended');
      return { ok: true, message: 'rules in force again' };
    }
    const when = formatLocalTime(until, clock.now());
    log.info(`rules snoozed until ${when}`);
    return { ok: true, message: `rules ignored until ${when}` };
  }

  async flushed(): Promise<void> {
    await this.store.flushed();
  }

  private save(): void {
    this.store.save({ console: [...this.engine.console], snoozedUntil: this.engine.snoozedUntil });
  }
}
