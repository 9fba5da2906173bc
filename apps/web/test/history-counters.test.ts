import type { AgentEvent } from '@flock/protocol';
import type { LinkClient } from 'flock-agent';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningConsole } from '../src/server/start';
import type { FleetTotals, MachineSummary } from '../src/server/views';
import { call, dataOf, login, pairSimulatedAgent, startTestConsole } from './support/console';

let running: RunningConsole | undefined;
const clients: LinkClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.stop();
  await running?.stop();
  running = undefined;
});

const frameDone = (frame: number, credits: number): AgentEvent => ({
  kind: 'frame-done',
  jobId: `j${frame}`,
  project: 'Sheep',
  frame,
  renderTimeMs: 900,
  credits,
  thumbnail: null,
});

async function fleetList(console: RunningConsole, cookie: string) {
  const { body } = await call(console, 'query', 'fleet.list', undefined, { cookie });
  return dataOf<{ machines: MachineSummary[]; totals: FleetTotals }>(body);
}

describe("today's counters come from the console's database", () => {
  it("keeps a machine's frames and credits of today across an agent restart", async () => {
    running = await startTestConsole();
    const console = running;
    const cookie = await login(console);
    const { agent, client, newClient, machineId } = await pairSimulatedAgent(console, cookie, 'render-01');
    clients.push(client);
    agent.emit(frameDone(1, 4));
    agent.emit(frameDone(2, 4));
    await vi.waitFor(() => expect(client.pendingEvents).toBe(0));

    // The agent restarts: a new link (boot) and its own session counters back to zero.
    await client.stop();
    agent.update({ stats: { framesRendered: 0, framesFailed: 0, creditsSession: 0, renderTimeMsTotal: 0 } });
    const restarted = newClient();
    clients.push(restarted);
    agent.emit(frameDone(3, 4));
    await vi.waitFor(async () => {
      const machine = (await fleetList(console, cookie)).machines.find((m) => m.id === machineId);
      expect(machine).toMatchObject({ online: true, framesToday: 3, creditsToday: 12 });
    });
  });

  it("keeps a removed machine's frames in the fleet's totals of today", async () => {
    running = await startTestConsole();
    const console = running;
    const cookie = await login(console);
    const first = await pairSimulatedAgent(console, cookie, 'render-01');
    const second = await pairSimulatedAgent(console, cookie, 'render-02');
    clients.push(first.client, second.client);
    first.agent.emit(frameDone(1, 4));
    second.agent.emit(frameDone(2, 5));
    await vi.waitFor(() => expect(first.client.pendingEvents + second.client.pendingEvents).toBe(0));

    await call(console, 'mutation', 'machines.remove', { id: first.machineId }, { cookie });
    const { machines, totals } = await fleetList(console, cookie);
    expect(machines.map((m) => m.name)).toEqual(['render-02']);
    expect(totals).toMatchObject({ machines: 1, framesToday: 2, creditsToday: 9 });
  });
});
