// Stale and duplicate commands end to end: the real console server, the real agent (its controls and
// its link client) paired through the real UI code. Commands go out through the same tRPC mutation
// the browser uses; the acks the console got are read back from its own database.
import { join } from 'node:path';
import type { CommandResult, ControlCommand } from '@flock/protocol';
import Database from 'better-sqlite3';
import { Agent, LinkClient, loadLinkCredentials, pair, toSettings } from 'flock-agent';
import { testMachineFacts } from 'flock-agent/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLOSE } from '../src/server/link/hub';
import type { RunningConsole } from '../src/server/start';
import { call, dataOf, login, startTestConsole, tempDir } from './support/console';

const COMMAND_MAX_AGE_MS = 60_000;
const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
});

interface CommandRow {
  issued_at: number;
  acked_at: number | null;
  result: string | null;
}

/**
 * A console whose clock can be moved (`skew`), and the real agent paired with it and linked. The
 * agent never renders here (no farm): commands only reach its controls.
 */
async function linkedAgent() {
  const clock = { skew: 0 };
  const dataDir = tempDir('flock-console-');
  const running: RunningConsole = await startTestConsole({
    dataDir,
    commandMaxAgeMs: COMMAND_MAX_AGE_MS,
    ackWaitMs: 1_000,
    now: () => Date.now() + clock.skew,
  });
  stops.push(() => running.stop());
  const cookie = await login(running);
  const { code } = dataOf<{ code: string }>(
    (await call(running, 'mutation', 'machines.addCode', { consoleUrl: running.url }, { cookie })).body,
  );
  const configDir = tempDir('flock-agent-');
  await pair(running.url, code, { configDir, hostname: 'cmd-01' });
  const credentials = await loadLinkCredentials(configDir);
  if (!credentials) throw new Error('pairing wrote no credentials');
  const agent = await Agent.create({
    settings: toSettings({
      server: 'http://127.0.0.1:9',
      login: 'demo',
      password: 'demo',
      'cache-dir': tempDir('flock-cache-'),
    }),
    machine: testMachineFacts('cmd-01', { name: 'Command Test CPU', cores: 4 }),
    hwid: 'cmd-hwid',
    skipSpeedtest: true,
  });
  const warnings: string[] = [];
  const client = new LinkClient({
    ...credentials,
    agent,
    agentVersion: 'commands-test',
    backoff: { initialMs: 300, maxMs: 600 },
    log: (level, message) => void (level === 'warn' && warnings.push(message)),
  });
  client.start();
  stops.push(() => client.stop());
  const { machineId } = credentials;
  await vi.waitFor(() => expect(running.core.fleet.summary(machineId)?.online).toBe(true));

  const command = async (cmd: ControlCommand) => {
    const { body } = await call(
      running,
      'mutation',
      'fleet.command',
      { ids: [machineId], command: cmd },
      { cookie },
    );
    return dataOf<{ commandId: string; status: string; result?: CommandResult }[]>(body)[0];
  };
  /** The console's record of a command: when it was acknowledged and with what result. */
  const stored = (commandId: string) => {
    const db = new Database(join(dataDir, 'console.sqlite'), { readonly: true });
    try {
      const row = db
        .prepare('SELECT issued_at, acked_at, result FROM commands WHERE id = ?')
        .get(commandId) as CommandRow | undefined;
      return (
        row && { ...row, result: row.result === null ? null : (JSON.parse(row.result) as CommandResult) }
      );
    } finally {
      db.close();
    }
  };
  return { clock, running, agent, client, machineId, warnings, command, stored };
}

describe('stale and duplicate commands, console to real agent', () => {
  it('the agent rejects a command issued too long ago, and the console records why', async () => {
    const s = await linkedAgent();
    expect(await s.command({ type: 'set-limits', limits: { cores: 2 } })).toMatchObject({
      status: 'acked',
      result: { ok: true },
    });
    expect(s.agent.controls.limits.cores).toBe(2);

    // The console's clock jumps two minutes back: what it issues now is older, by the agent's
    // reckoning (the console time it learnt at connect), than the link's command age limit.
    s.clock.skew = -2 * COMMAND_MAX_AGE_MS;
    const stale = await s.command({ type: 'set-limits', limits: { cores: 3 } });
    expect(stale).toMatchObject({ status: 'acked', result: { ok: false, reason: 'stale' } });
    expect(s.agent.controls.limits.cores).toBe(2);
    expect(s.stored(stale?.commandId ?? '')).toMatchObject({
      acked_at: expect.any(Number),
      result: { ok: false, reason: 'stale', message: expect.stringMatching(/^issued 1[12]\d s ago$/) },
    });
    expect(s.warnings).toContainEqual(expect.stringMatching(/set-limits rejected: issued 1[12]\d s ago/));
    // A refused command does not become the machine's desired config.
    expect(await s.running.core.repo.getDesiredLimits(s.machineId)).toEqual({ cores: 2 });
  });

  it('a command delivered twice (its ack lost with the connection) is applied once and acknowledged', async () => {
    const s = await linkedAgent();
    let executions = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const execute = s.agent.execute.bind(s.agent);
    s.agent.execute = async (cmd) => {
      executions++;
      await gate;
      return execute(cmd);
    };

    // The agent is still applying the command when its connection drops: its ack has nowhere to go.
    const sent = await s.command({ type: 'set-limits', limits: { cores: 1 } });
    expect(sent).toMatchObject({ status: 'sent' });
    expect(executions).toBe(1);
    s.running.core.hub.drop(s.machineId, CLOSE.replaced, 'test: connection lost');
    await vi.waitFor(() => expect(s.client.status).not.toBe('connected'));
    release();
    await vi.waitFor(() => expect(s.agent.controls.limits.cores).toBe(1));
    expect(s.stored(sent?.commandId ?? '')?.acked_at).toBeNull();

    // On reconnect the console delivers the unacknowledged command again, same id: the agent answers
    // with the first result and does not apply it a second time.
    await vi.waitFor(() => expect(s.client.status).toBe('connected'));
    await vi.waitFor(() =>
      expect(s.stored(sent?.commandId ?? '')).toMatchObject({
        acked_at: expect.any(Number),
        result: { ok: true },
      }),
    );
    expect(executions).toBe(1);
  });
});
