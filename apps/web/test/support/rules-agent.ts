import type { MachineFacts, RulesState } from '@flock/protocol';
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
 * its state, keeps the console's rules `set-rules` sends (whole) and the snooze `snooze-rules` sets.
 * The agent on this branch answers both "unsupported"; the console is tested against this one.
 */
export function speakRules(agent: SimulatedAgent, initial: Partial<RulesState> = {}): void {
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
  const execute = agent.execute.bind(agent);
  agent.execute = async (command) => {
    const rules = agent.state().rules;
    if (command.type === 'set-rules' && rules) {
      agent.executed.push(command);
      agent.update({ rules: { ...rules, console: command.rules } });
      return { ok: true };
    }
    if (command.type === 'snooze-rules' && rules) {
      agent.executed.push(command);
      agent.update({
        rules: {
          ...rules,
          snoozedUntil: command.minutes === 0 ? null : Date.now() + command.minutes * 60_000,
        },
      });
      return { ok: true };
    }
    return execute(command);
  };
}
