// Cancelling a roll-out through the real console and real links: the machines not yet sent the
// update keep their version and are never sent it; the one updating goes on; admins only, audited.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LinkClient } from 'flock-agent';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { updatesRefetchMs } from '../src/lib/updates';
import type { RunningConsole } from '../src/server/start';
import type { Rollout } from '../src/server/updates/rollout';
import { call, dataOf, pairSimulatedAgent, startTestConsole, tempDir } from './support/console';
import { sessionsByRole } from './support/roles';

let running: RunningConsole | undefined;
const clients: LinkClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.stop();
  await running?.stop();
  running = undefined;
});

/** An agent dist/ the console keeps as a build (its bundle is never run here). */
function standInDist(version: string): string {
  const dir = tempDir('flock-agent-dist-');
  writeFileSync(join(dir, 'build.json'), JSON.stringify({ version, node: '>=20.19' }));
  writeFileSync(join(dir, 'flock-agent.mjs'), `// flock-agent ${version}\n`);
  writeFileSync(join(dir, 'launcher.mjs'), '// launcher\n');
  return dir;
}

describe('updates.cancel', () => {
  it('stops the roll-out: machines not yet sent the update are skipped and never sent it', async () => {
    running = await startTestConsole({ agentDist: standInDist('0.2.0') });
    const { admin, operator } = await sessionsByRole(running);
    const agents: Awaited<ReturnType<typeof pairSimulatedAgent>>[] = [];
    for (const name of ['render-a', 'render-b']) {
      const paired = await pairSimulatedAgent(running, admin, name);
      clients.push(paired.client);
      paired.agent.update({
        lifecycle: {
          version: '0.1.0',
          versionId: `0.1.0-${'a'.repeat(12)}`,
          supervisor: 'systemd',
          update: null,
        },
      });
      agents.push(paired);
    }
    await vi.waitFor(() =>
      expect(running?.core.fleet.summaries().filter((machine) => machine.online)).toHaveLength(2),
    );
    await vi.waitFor(() =>
      expect(agents.every(({ machineId }) => running?.core.fleet.record(machineId)?.state?.lifecycle)).toBe(
        true,
      ),
    );
    const sha256 = running.core.agentBuilds.current?.sha256 ?? '';
    const started = await call(running, 'mutation', 'updates.start', { sha256 }, { cookie: admin });
    expect(started.status).toBe(200);
    const canaryId = dataOf<Rollout>(started.body).canaryId;
    const canary = agents.find(({ machineId }) => machineId === canaryId);
    const other = agents.find(({ machineId }) => machineId !== canaryId);
    // The canary took the update and is restarting into it (it never comes back here).
    await vi.waitFor(() => expect(canary?.agent.executed.map((command) => command.type)).toEqual(['update']));

    expect((await call(running, 'mutation', 'updates.cancel', undefined, { cookie: operator })).status).toBe(
      403,
    );
    expect((await call(running, 'mutation', 'updates.cancel', undefined)).status).toBe(401);
    const cancelled = await call(running, 'mutation', 'updates.cancel', undefined, { cookie: admin });
    expect(cancelled.status).toBe(200);
    const rollout = running.core.rollouts.rollout as Rollout;
    expect(rollout).toMatchObject({
      phase: 'cancelled',
      cancelledBy: 'admin',
      finishedAt: expect.any(Number),
    });
    const statusOf = (id: string | undefined) => rollout.machines.find((entry) => entry.id === id)?.status;
    expect(statusOf(canaryId)).toMatchObject({ kind: 'updating' });
    expect(statusOf(other?.machineId)).toEqual({
      kind: 'skipped',
      reason: 'not updated: admin cancelled the roll-out',
    });

    // The canary comes back on the new version: recorded; the other is still never sent it.
    canary?.agent.update({
      lifecycle: {
        version: '0.2.0',
        versionId: rollout.build.versionId,
        supervisor: 'systemd',
        update: null,
      },
    });
    await vi.waitFor(() =>
      expect(
        running?.core.rollouts.rollout?.machines.find((entry) => entry.id === canaryId)?.status.kind,
      ).toBe('done'),
    );
    other?.agent.update({ status: 'rendering' });
    await vi.waitFor(() =>
      expect(running?.core.fleet.record(other?.machineId ?? '')?.state?.status).toBe('rendering'),
    );
    expect(other?.agent.executed).toEqual([]);
    expect(running.core.rollouts.rollout?.phase).toBe('cancelled');

    const again = await call(running, 'mutation', 'updates.cancel', undefined, { cookie: admin });
    expect(again.status).toBe(412);
    expect(JSON.stringify(again.body)).toContain('no roll-out is under way');
    const trail = await running.core.audit.list({ limit: 20 });
    expect(trail.filter((entry) => entry.action === 'updates.cancel').map((entry) => entry.outcome)).toEqual([
      'failed',
      'ok',
    ]);
  });
});

describe('how often the Updates panel asks', () => {
  const rollout = (phase: Rollout['phase']) => ({ phase }) as Rollout;
  it('every 2 s while a roll-out runs, every minute otherwise', () => {
    expect(updatesRefetchMs(null)).toBe(60_000);
    expect(updatesRefetchMs(rollout('canary'))).toBe(2_000);
    expect(updatesRefetchMs(rollout('fleet'))).toBe(2_000);
    for (const phase of ['done', 'halted', 'cancelled'] as const)
      expect(updatesRefetchMs(rollout(phase))).toBe(60_000);
  });
});
