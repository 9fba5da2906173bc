// End to end on this machine's real process list and the real clock: `--pause-while-running` names a
// program; while a copy of `sleep` runs under that name the agent asks the sandbox farm for nothing
// and says why, and it asks again within 5 s of the program's exit.
import { type ChildProcess, spawn } from 'node:child_process';
import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.js';
import { cleanUp, syntheticProject, tempDir, testAgent, testFarm, until } from './e2e-helpers.js';

const BUSY = 'flock-test-busy'; // 15 characters: Linux keeps a program's name to 15
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await cleanUp();
});

async function startBusyProgram(): Promise<ChildProcess> {
  const dir = await tempDir('busy');
  const program = path.join(dir, BUSY);
  await symlink('/bin/sleep', program);
  const child = spawn(program, ['300'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child;
}

describe.skipIf(process.platform !== 'linux')('--pause-while-running, end to end', () => {
  it('no job request while the program runs, the reason in the state, requests within 5 s of its exit', async () => {
    const farm = await testFarm();
    await syntheticProject(farm, 50);
    const busy = await startBusyProgram();
    const t = await testAgent(farm, { clock: systemClock, settings: { 'pause-while-running': BUSY } });
    await until(() => t.agent.store.state.reason?.code === 'rule', {
      what: 'the rule as the reason',
      lines: t.lines,
    });
    expect(t.agent.store.state.reason?.message).toBe(
      `asking for no new job: \`${BUSY}\` is running (rule 'pause-while-running', set on the machine)`,
    );
    expect(t.agent.store.state.rules?.owner).toEqual([
      expect.objectContaining({
        name: 'pause-while-running',
        when: { kind: 'process-running', names: [BUSY] },
      }),
    ]);
    expect(t.agent.store.state.rules?.facts?.runningWatched).toEqual([BUSY]);
    // A few more of the engine's readings while it runs: still nothing asked.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(farm.jobRequests()).toHaveLength(0);

    const exited = new Promise((resolve) => busy.once('exit', resolve));
    busy.kill('SIGTERM');
    await exited;
    await until(() => farm.jobRequests().length > 0, {
      timeoutMs: 5000,
      what: 'a job request within 5 s of the exit',
      lines: t.lines,
    });
    expect(t.agent.store.state.rules?.active).toEqual([]);
  }, 60_000);
});
