import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningConsole, StartOptions } from '../src/server/start';
import { spawnSimAgent } from './support/agent-process';
import { call, dataOf, login, pairSimulatedAgent, startTestConsole, tempDir } from './support/console';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';

let running: RunningConsole | undefined;
let receiver: WebhookReceiver | undefined;
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await running?.stop();
  running = undefined;
  await receiver?.close();
  receiver = undefined;
});

/** A console posting alerts to a local receiver (as FLOCK_ALERT_WEBHOOK_URL), offline after `offlineMinutes`. */
async function setup(options: Partial<StartOptions> = {}, offlineMinutes = 0.02) {
  receiver = await startWebhookReceiver();
  running = await startTestConsole({
    heartbeatMs: 200,
    alertTickMs: 50,
    alertWebhookUrl: receiver.url(),
    alertDelivery: { timeoutMs: 2_000, retries: 2, backoffMs: 50 },
    ...options,
  });
  const { settings } = running.core.alerts;
  await settings.update(
    { rules: { ...settings.settings.rules, offline: { enabled: true, minutes: offlineMinutes } } },
    'test',
  );
  const cookie = await login(running);
  return { app: running, receiver, cookie };
}

const posted = (receiver: WebhookReceiver, type: string, rule: string) =>
  receiver.json().filter((body) => body.type === type && body.alert?.rule === rule);

describe('alerts: offline and resolved, posted to a webhook', () => {
  it('posts "offline" once after the configured delay when the link drops, and "resolved" after it is back', async () => {
    const { app, receiver, cookie } = await setup();
    const paired = await pairSimulatedAgent(app, cookie, 'render-07');
    await vi.waitFor(() => expect(app.core.fleet.summary(paired.machineId)?.online).toBe(true));
    paired.agent.addLog({ at: Date.now(), level: 'warn', message: 'last words before the link dropped' });
    paired.agent.update({ status: 'idle' });
    await vi.waitFor(() =>
      expect(app.core.fleet.record(paired.machineId)?.state?.recentLog.at(-1)?.message).toContain(
        'last words',
      ),
    );

    const droppedAt = Date.now();
    await paired.client.stop();
    await vi.waitFor(() => expect(posted(receiver, 'fired', 'offline')).toHaveLength(1), { timeout: 5_000 });
    const [fired] = posted(receiver, 'fired', 'offline');
    // Not before the configured delay (0.02 min = 1.2 s) has passed.
    expect(fired.alert.firedAt - droppedAt).toBeGreaterThanOrEqual(1_200);
    expect(fired.alert).toMatchObject({
      machineName: 'render-07',
      title: 'render-07 is offline',
      resolvedAt: null,
    });
    expect(fired.alert.evidence.logLines.at(-1).message).toContain('last words');

    // Still offline a while later: no second post for the same incident.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(posted(receiver, 'fired', 'offline')).toHaveLength(1);

    const again = paired.newClient();
    cleanups.push(() => again.stop());
    await vi.waitFor(() => expect(posted(receiver, 'resolved', 'offline')).toHaveLength(1), {
      timeout: 5_000,
    });
    expect(posted(receiver, 'resolved', 'offline')[0].alert.id).toBe(fired.alert.id);
    expect(posted(receiver, 'fired', 'offline')).toHaveLength(1);

    const { body } = await call(app, 'query', 'alerts.list', undefined, { cookie });
    expect(dataOf<{ alerts: { id: number; resolvedAt: number | null }[] }>(body).alerts).toEqual([
      expect.objectContaining({ id: fired.alert.id, resolvedAt: expect.any(Number) }),
    ]);
  });

  it('a killed agent process is posted offline; restarted, resolved; a frozen one (SIGSTOP) too', async () => {
    const { app, receiver, cookie } = await setup();
    const { body } = await call(app, 'mutation', 'machines.addCode', { consoleUrl: app.url }, { cookie });
    const configDir = tempDir('flock-alert-agent-');
    let agent = spawnSimAgent(app.url, configDir, 'render-killed', dataOf<{ code: string }>(body).code);
    cleanups.push(() => agent.child.kill('SIGKILL'));
    await vi.waitFor(() => expect(app.core.hub.onlineCount).toBe(1), { timeout: 20_000 });

    agent.child.kill('SIGKILL');
    await agent.exited;
    await vi.waitFor(() => expect(posted(receiver, 'fired', 'offline')).toHaveLength(1), { timeout: 10_000 });

    agent = spawnSimAgent(app.url, configDir, 'render-killed');
    await vi.waitFor(() => expect(posted(receiver, 'resolved', 'offline')).toHaveLength(1), {
      timeout: 20_000,
    });

    // Frozen: the process stops, its socket stays open; the link's heartbeat times out (3 × 200 ms).
    agent.child.kill('SIGSTOP');
    cleanups.unshift(() => agent.child.kill('SIGCONT'));
    await vi.waitFor(() => expect(posted(receiver, 'fired', 'offline')).toHaveLength(2), { timeout: 10_000 });
    agent.child.kill('SIGCONT');
    await vi.waitFor(() => expect(posted(receiver, 'resolved', 'offline')).toHaveLength(2), {
      timeout: 20_000,
    });
  }, 60_000);
});
