// An agent that ended without shutting down (a crash, a kill -9, a power cut) says so when it starts
// again: an AGENT_CRASHED error event with the last log lines of the run that ended, which the console
// turns into a crash alert. A run that stopped properly leaves nothing to report.
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import type { AgentEvent } from '@flock/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../src/agent.js';
import { readStateFile, stateFilePath } from '../src/state/index.js';
import { cleanUp, tempDir, testAgent, testFarm, until } from './e2e-helpers.js';

afterEach(cleanUp);

/** A pid that is certainly gone: a child that has already exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid;

function recordEvents(events: AgentEvent[]) {
  return async (agent: Agent) => {
    agent.onEvent((event) => events.push(event));
  };
}

describe('unclean exit', () => {
  it('is reported at the next start with the last lines of the run that ended', async () => {
    const farm = await testFarm();
    const cacheDir = await tempDir('unclean');
    const first = await testAgent(farm, { cacheDir });
    await until(() => first.agent.store.state.session?.connected === true, {
      what: 'a login',
      lines: first.lines,
    });
    await first.agent.execute({ type: 'stop', when: 'now' });
    await first.run;
    expect((await readStateFile(cacheDir))?.running).toBe(false);

    // The state file as a process killed mid-run leaves it.
    const left = await readStateFile(cacheDir);
    if (!left) throw new Error('no state file');
    const lastLine = { at: left.writtenAt, level: 'info' as const, message: 'rendering frame 0042' };
    const killed = {
      ...left,
      running: true,
      pid: deadPid(),
      state: { ...left.state, recentLog: [lastLine] },
    };
    await writeFile(stateFilePath(cacheDir), JSON.stringify(killed));

    const events: AgentEvent[] = [];
    const second = await testAgent(farm, { cacheDir, beforeRun: recordEvents(events) });
    await until(() => events.some((event) => event.kind === 'error'), {
      what: 'the report',
      lines: second.lines,
    });
    const [report] = events.filter((event) => event.kind === 'error');
    expect(report).toMatchObject({ kind: 'error', code: 'AGENT_CRASHED' });
    if (report?.kind !== 'error') throw new Error('no report');
    expect(report.message).toMatch(/stopped without shutting down/);
    expect(report.logExcerpt).toContain('rendering frame 0042');
    expect(second.lines.join('\n')).toMatch(/stopped without shutting down/);
  });

  it('is not reported after a proper stop, nor for a state file of an older agent', async () => {
    const farm = await testFarm();
    const cacheDir = await tempDir('clean');
    const first = await testAgent(farm, { cacheDir });
    await until(() => first.agent.store.state.session?.connected === true, {
      what: 'a login',
      lines: first.lines,
    });
    await first.agent.execute({ type: 'stop', when: 'now' });
    await first.run;

    const events: AgentEvent[] = [];
    const second = await testAgent(farm, { cacheDir, beforeRun: recordEvents(events) });
    await until(() => second.agent.store.state.session?.connected === true, {
      what: 'a login',
      lines: second.lines,
    });
    await second.agent.execute({ type: 'stop', when: 'now' });
    await second.run;

    const { running: _older, ...older } = (await readStateFile(cacheDir)) ?? {};
    await writeFile(stateFilePath(cacheDir), JSON.stringify({ ...older, pid: deadPid() }));
    const third = await testAgent(farm, { cacheDir, beforeRun: recordEvents(events) });
    await until(() => third.agent.store.state.session?.connected === true, {
      what: 'a login',
      lines: third.lines,
    });
    expect(events.filter((event) => event.kind === 'error')).toEqual([]);
  });
});
