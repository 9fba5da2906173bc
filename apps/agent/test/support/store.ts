// A state store with plain machine facts and default limits, for unit tests of what reads or feeds it.
import type { CurrentJob, Limits, MachineInfo } from '@flock/protocol';
import { limitsFrom } from '../../src/agent.js';
import type { Clock } from '../../src/clock.js';
import { toSettings } from '../../src/config/index.js';
import { AgentStateStore } from '../../src/state/index.js';
import { testMachineInfo } from '../../testing/index.js';

export const testMachine: MachineInfo = testMachineInfo('box');

/** No limit set: what a fresh agent starts with, as the agent derives it from its settings. */
export const defaultLimits: Limits = limitsFrom(
  toSettings({ login: 'demo', password: 'demo', 'cache-dir': '/nonexistent/flock-test' }),
);

export function testStore(clock?: Clock): AgentStateStore {
  return new AgentStateStore({ machine: testMachine, limits: defaultLimits }, clock);
}

export function testJob(startedAt: number, patch: Partial<CurrentJob> = {}): CurrentJob {
  return {
    id: '4711',
    project: 'shot',
    frame: 7,
    phase: 'download',
    progress: null,
    etaSeconds: null,
    device: 'CPU',
    startedAt,
    ...patch,
  };
}
