import { describeActiveRule, evaluateRules, type MachineFacts, type RulesState } from '@flock/protocol';
import type { SimulatedAgent } from 'flock-agent/testing';

/** Facts of a desktop machine whose user is away, with every reading available. */
export function testFacts(patch: Partial<MachineFacts> = {}): MachineFacts {
  return {
    at: Date.now(),
    session: 'desktop',
    userIdleSeconds: 3_600,
    onBattery: false,
    cpuCelsius: 55,
    gpuCelsius: 50,
    ownerCpuPercent: 5,
    runningWatched: [],
    timeZone: 'UTC',
    ...patch,
  };
}

/**
 * Makes a simulated agent speak rules as an agent with the rules engine does: it reports `rules` in
 * its state, keeps the console's rules `set-rules` sends (whole) and the snooze `snooze-rules` sets,
 * and shows the rules in force (evaluated on its facts) in `rules.active` and its reason. The agent
 * on this branch answers both commands "unsupported"; the console is tested against this one.
 */
export function speakRules(agent: SimulatedAgent, initial: Partial<RulesState> = {}): void {
  const change = (patch: Partial<RulesState>) => {
    const rules = { ...(agent.state().rules as RulesState), ...patch };
    const outcome = rules.facts
      ? evaluateRules({ ...rules, facts: rules.facts, now: Date.now() })
      : { active: [], unavailable: [] };
    const first = outcome.active[0];
    agent.update({
      rules: { ...rules, active: outcome.active, unavailable: outcome.unavailable },
      ...(first && first.action.type !== 'limit-cores'
        ? { reason: { code: 'rule', message: describeActiveRule(first), until: first.until } }
        : {}),
    });
  };
  agent.update({
    rules: {
      owner: [],
      console: [],
      snoozedUntil: null,
      active: [],
      facts: null,
      unavailable: [],
      ...initial,
    },
  });
  change({});
  const execute = agent.execute.bind(agent);
  agent.execute = async (command) => {
    if (command.type === 'set-rules' && agent.state().rules) {
      agent.executed.push(command);
      change({ console: command.rules });
      return { ok: true };
    }
    if (command.type === 'snooze-rules' && agent.state().rules) {
      agent.executed.push(command);
      change({ snoozedUntil: command.minutes === 0 ? null : Date.now() + command.minutes * 60_000 });
      return { ok: true };
    }
    return execute(command);
  };
}
