// The farm server from the console, applied by the real agent against the real sandbox farm: an agent
// without a server of its own logs in where the console says, at once even while backing off against
// the previous farm; an agent with its own server never follows the console's.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, syntheticProject, testAgent, testFarm, until } from './e2e-helpers.js';

afterEach(cleanUp);

/** A farm that holds every request until `drop()` cuts it off. */
async function silentFarm(): Promise<{
  url: string;
  requests: IncomingMessage[];
  drop: () => Promise<void>;
}> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((request) => requests.push(request));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    drop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port nothing listens on: every login there fails and the agent backs off. */
const NOWHERE = 'http://127.0.0.1:9';
const fleetSettings = (farmServer: string | null) => ({
  clientVersion: null,
  farmServer,
  blockedProjects: [],
});

describe('the farm server from the console', () => {
  it('is where an agent without its own server renders, at once after a change', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1);
    const first = await silentFarm();
    const t = await testAgent(farm, { settings: { server: undefined }, start: false });
    expect(t.settings.server).toBeUndefined();
    t.agent.applyFleetSettings(fleetSettings(first.url));
    const run = t.agent.run();
    await until(() => first.requests.length === 1, { what: 'a login to the first farm', lines: t.lines });
    // Changed while that login is under way; its failure then leads to a login to the new farm.
    t.agent.applyFleetSettings(fleetSettings(farm.url));
    await first.drop();
    await until(() => farm.frames(project.id).some((frame) => frame.state === 'done'), {
      what: 'the frame on the console-given farm',
      lines: t.lines,
    });
    expect(t.agent.store.state.session?.server).toBe(farm.url);
    expect(t.lines.join('\n')).toContain('farm server from the console');
    expect(first.requests).toHaveLength(1);
    await t.agent.execute({ type: 'stop', when: 'now' });
    expect(await run).toBe(0);
  });

  it('is ignored by an agent with a server of its own', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1);
    const t = await testAgent(farm, { start: false });
    t.agent.applyFleetSettings(fleetSettings(NOWHERE));
    const run = t.agent.run();
    await until(() => farm.frames(project.id).some((frame) => frame.state === 'done'), {
      what: 'the frame on its own farm',
      lines: t.lines,
    });
    expect(t.agent.store.state.session?.server).toBe(farm.url);
    expect(t.lines.join('\n')).not.toContain('127.0.0.1:9');
    await t.agent.execute({ type: 'stop', when: 'now' });
    expect(await run).toBe(0);
  });
});
