import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningConsole } from '../src/server/start';
import {
  call,
  dataOf,
  login,
  pairSimulatedAgent,
  seenResponses,
  startTestConsole,
  tempDir,
} from './support/console';
import { type ReceivedPost, startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';

let running: RunningConsole | undefined;
const receivers: WebhookReceiver[] = [];
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await running?.stop();
  running = undefined;
  for (const receiver of receivers.splice(0)) await receiver.close();
});

async function receiver(answer?: (post: ReceivedPost, index: number) => number | 'hang') {
  const started = await startWebhookReceiver(answer);
  receivers.push(started);
  return started;
}

async function consoleWithAgent(dataDir = tempDir('flock-console-')) {
  running = await startTestConsole({
    dataDir,
    heartbeatMs: 200,
    alertTickMs: 50,
    alertDelivery: { timeoutMs: 500, retries: 2, backoffMs: 50 },
  });
  const app = running;
  const cookie = await login(app);
  const paired = await pairSimulatedAgent(app, cookie, 'render-ü1');
  cleanups.push(() => paired.client.stop());
  await vi.waitFor(() => expect(app.core.fleet.summary(paired.machineId)?.online).toBe(true));
  const mutate = (path: string, input: unknown) => call(app, 'mutation', path, input, { cookie });
  const addWebhook = async (kind: string, name: string, url: string) => {
    const { status, body } = await mutate('alerts.addWebhook', { kind, name, url });
    expect(status).toBe(200);
    return dataOf<{ id: string }>(body).id;
  };
  /** Three Blender crashes in a row: a crash alert and an error-streak alert. */
  const crashThrice = async () => {
    paired.agent.addLog({ at: Date.now(), level: 'error', message: 'Blender exited with signal SIGSEGV' });
    paired.agent.update({ status: 'idle' });
    // The evidence is the state the console holds when the alert fires: let the log line arrive first.
    await vi.waitFor(() =>
      expect(app.core.fleet.record(paired.machineId)?.state?.recentLog.at(-1)?.message).toContain('SIGSEGV'),
    );
    for (let n = 1; n <= 3; n++)
      paired.agent.emit({
        kind: 'error',
        jobId: `job-${n}`,
        code: 'RENDERER_CRASHED',
        message: 'Blender crashed.',
        logExcerpt: `Fra:1 Mem:12M | Syncing Cube\nSegmentation fault (core dumped) ${n}`,
      });
  };
  return { app, cookie, paired, mutate, addWebhook, crashThrice, dataDir };
}

describe('alert webhooks', () => {
  it('posts the Discord (content + embeds) and ntfy (text body, Title/Priority/Tags headers) shapes', async () => {
    const hooks = await receiver();
    const { addWebhook, crashThrice } = await consoleWithAgent();
    await addWebhook('discord', 'Discord', hooks.url('/discord'));
    await addWebhook('ntfy', 'ntfy', hooks.url('/flock-alerts'));
    await crashThrice();
    await vi.waitFor(() => expect(hooks.posts.filter((post) => post.path === '/discord')).toHaveLength(2));
    await vi.waitFor(() =>
      expect(hooks.posts.filter((post) => post.path === '/flock-alerts')).toHaveLength(2),
    );

    const discord = hooks.json('/discord').find((body) => body.embeds[0].title.includes('crashed'));
    expect(discord.content).toBe('render-ü1: Blender crashed');
    expect(discord.content.length).toBeLessThanOrEqual(2000);
    expect(discord.allowed_mentions).toEqual({ parse: [] });
    const [embed] = discord.embeds;
    expect(embed.description).toContain('RENDERER_CRASHED: Blender crashed.');
    expect(embed.description).toContain('Blender exited with signal SIGSEGV');
    expect(Number.isNaN(Date.parse(embed.timestamp))).toBe(false);
    expect(embed.fields).toEqual(
      expect.arrayContaining([
        { name: 'Machine', value: 'render-ü1', inline: true },
        expect.objectContaining({
          name: 'Crash report (tail)',
          value: expect.stringContaining('Segmentation fault'),
        }),
      ]),
    );

    const ntfy = hooks.posts.find(
      (post) => post.path === '/flock-alerts' && post.body.includes('RENDERER_CRASHED'),
    );
    expect(ntfy?.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(ntfy?.headers.priority).toBe('4');
    expect(ntfy?.headers.tags).toBe('warning');
    // A non-ASCII title travels as an RFC 2047 encoded word, which ntfy decodes.
    const title = ntfy?.headers.title as string;
    const encoded = /^=\?UTF-8\?B\?(.+)\?=$/.exec(title)?.[1] ?? '';
    expect(Buffer.from(encoded, 'base64').toString('utf8')).toMatch(/^render-ü1: /);
    expect(ntfy?.body).toContain('Last log lines:');
  });

  it('retries a failing webhook with back-off, and a hanging one delays nobody else', async () => {
    const flaky = await receiver((_post, index) => (index < 2 ? 503 : 204));
    const hanging = await receiver(() => 'hang');
    const healthy = await receiver();
    const { app, paired, addWebhook, crashThrice } = await consoleWithAgent();
    await addWebhook('json', 'hangs', hanging.url());
    await addWebhook('json', 'flaky', flaky.url());
    await addWebhook('json', 'healthy', healthy.url());
    await crashThrice();
    // Both alerts reach the healthy receiver whatever the others do.
    await vi.waitFor(() =>
      expect(
        healthy
          .json()
          .map((body) => body.alert.rule)
          .sort(),
      ).toEqual(['crash', 'error-streak']),
    );
    // 503, 503, then 204 for the first alert; the second goes after it, in order.
    await vi.waitFor(() => expect(flaky.posts).toHaveLength(4));
    const rules = flaky.json().map((body) => body.alert.rule);
    expect(rules.slice(0, 3)).toEqual([rules[0], rules[0], rules[0]]);
    expect(rules[3]).not.toBe(rules[0]);
    // The link kept working meanwhile: a state change reaches the console.
    paired.agent.update({
      status: 'paused',
      reason: { code: 'paused-by-user', message: 'Paused', until: null },
    });
    await vi.waitFor(() => expect(app.core.fleet.summary(paired.machineId)?.status).toBe('paused'));
    // The hanging receiver got the first post, then each attempt timed out (1 + 2 retries), then the second.
    await vi.waitFor(() => expect(hanging.posts.length).toBeGreaterThanOrEqual(4), { timeout: 10_000 });
  });

  it('holds posts during quiet hours (the console list still updates) and sends one summary after', async () => {
    const hooks = await receiver();
    const { app, cookie, mutate, addWebhook, crashThrice } = await consoleWithAgent();
    await addWebhook('json', 'json', hooks.url());
    // from == to: quiet all day.
    expect(
      (await mutate('alerts.saveSettings', { quietHours: { enabled: true, from: '00:00', to: '00:00' } }))
        .status,
    ).toBe(200);
    await crashThrice();
    await vi.waitFor(async () => {
      const { body } = await call(app, 'query', 'alerts.list', undefined, { cookie });
      expect(dataOf<{ unacknowledged: number }>(body).unacknowledged).toBe(2);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hooks.posts).toHaveLength(0);
    await mutate('alerts.saveSettings', { quietHours: { enabled: false, from: '00:00', to: '00:00' } });
    await vi.waitFor(() => expect(hooks.posts).toHaveLength(1));
    const [summary] = hooks.json();
    expect(summary).toMatchObject({
      type: 'summary',
      title: 'During quiet hours: 2 alert(s) fired, 0 resolved',
    });
    expect(summary.alerts).toHaveLength(2);
  });

  it('posts held during quiet hours survive a console restart and go out after them', async () => {
    const hooks = await receiver();
    const first = await consoleWithAgent();
    await first.addWebhook('json', 'json', hooks.url());
    await first.mutate('alerts.saveSettings', { quietHours: { enabled: true, from: '00:00', to: '00:00' } });
    await first.crashThrice();
    await vi.waitFor(async () => {
      const { body } = await call(first.app, 'query', 'alerts.list', undefined, { cookie: first.cookie });
      expect(dataOf<{ unacknowledged: number }>(body).unacknowledged).toBe(2);
    });
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await running?.stop();

    const again = await consoleWithAgent(first.dataDir);
    await again.mutate('alerts.saveSettings', { quietHours: { enabled: false, from: '00:00', to: '00:00' } });
    await vi.waitFor(() => expect(hooks.json().filter((post) => post.type === 'summary')).toHaveLength(1));
    const [summary] = hooks.json().filter((post) => post.type === 'summary');
    // The two fired before the restart; the restarted console resolves them (its agent is a new
    // machine, the old one stays offline without its crash history), also during the quiet hours.
    expect(summary.title).toBe('During quiet hours: 2 alert(s) fired, 2 resolved');
    const rules = summary.alerts.map((alert: { rule: string }) => alert.rule).sort();
    expect(rules).toEqual(['crash', 'crash', 'error-streak', 'error-streak']);
  });

  it('"Send test" posts to the webhook and reports the answer', async () => {
    const hooks = await receiver((_post, index) => (index === 0 ? 204 : 404));
    const { mutate, addWebhook } = await consoleWithAgent();
    const id = await addWebhook('ntfy', 'phone', hooks.url('/topic'));
    expect(dataOf((await mutate('alerts.testWebhook', { id })).body)).toEqual({ ok: true, status: 204 });
    expect(hooks.posts[0]).toMatchObject({ path: '/topic', body: 'This webhook receives Flock alerts.' });
    // A 404 is not retried.
    expect(dataOf((await mutate('alerts.testWebhook', { id })).body)).toEqual({
      ok: false,
      error: 'HTTP 404',
    });
    expect(hooks.posts).toHaveLength(2);
  });
});

describe('alert settings', () => {
  it('are admin-only to change, readable by any user; webhook URLs never reach the browser', async () => {
    const { app, cookie, mutate, addWebhook } = await consoleWithAgent();
    const secretUrl = 'https://discord.com/api/webhooks/123/very-secret-token';
    await addWebhook('discord', 'team', secretUrl);
    const settings = await call(app, 'query', 'alerts.settings', undefined, { cookie });
    expect(JSON.stringify(settings.body)).not.toContain('very-secret-token');
    expect(dataOf<{ webhooks: { hint: string }[] }>(settings.body).webhooks[0]?.hint).toBe(
      'https://discord.com/…',
    );

    await mutate('users.add', { username: 'ana', password: 'ana has a long password' });
    const ana = await call(app, 'mutation', 'auth.login', {
      username: 'ana',
      password: 'ana has a long password',
    });
    const anaCookie = ana.setCookie?.split(';')[0] ?? '';
    expect((await call(app, 'query', 'alerts.list', undefined, { cookie: anaCookie })).status).toBe(200);
    for (const [kind, path, input] of [
      ['query', 'alerts.settings', undefined],
      ['mutation', 'alerts.addWebhook', { kind: 'json', name: 'x', url: 'https://example.org/' }],
      ['mutation', 'alerts.saveSettings', { digest: { enabled: true, at: '08:00' } }],
    ] as const)
      expect((await call(app, kind, path, input, { cookie: anaCookie })).status).toBe(403);
    // An operator (ana) handles alerts: acknowledging is hers to do.
    expect(
      (await call(app, 'mutation', 'alerts.acknowledge', { id: null }, { cookie: anaCookie })).status,
    ).toBe(200);
    expect((await call(app, 'query', 'alerts.list')).status).toBe(401);
    expect(seenResponses.join('\n')).not.toContain('very-secret-token');
  });

  it('refuses hostile webhook URLs and malformed settings, and keeps the stored ones', async () => {
    const { app, cookie, mutate } = await consoleWithAgent();
    for (const url of [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'ftp://example.org/',
      'https://user:pass@example.org/hook',
      `https://example.org/${'a'.repeat(2100)}`,
      'not a url',
    ])
      expect((await mutate('alerts.addWebhook', { kind: 'json', name: 'x', url })).status, url).toBe(400);
    expect(
      (await mutate('alerts.addWebhook', { kind: 'slack', name: 'x', url: 'https://example.org/' })).status,
    ).toBe(400);

    const before = JSON.stringify(app.core.alerts.settings.settings);
    await fc.assert(
      fc.asyncProperty(
        fc.anything().filter((value) => value !== undefined),
        async (input) => {
          const { status } = await mutate('alerts.saveSettings', { rules: input });
          expect(status).toBe(400);
        },
      ),
      { numRuns: 60 },
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), async (from, to) => {
        const valid = /^([01]\d|2[0-3]):[0-5]\d$/;
        const { status } = await mutate('alerts.saveSettings', { quietHours: { enabled: false, from, to } });
        expect(status).toBe(valid.test(from) && valid.test(to) ? 200 : 400);
      }),
      { numRuns: 60 },
    );
    await mutate('alerts.saveSettings', { quietHours: { enabled: false, from: '22:00', to: '07:00' } });
    expect(JSON.stringify(app.core.alerts.settings.settings)).toBe(before);
    for (const offline of [
      { enabled: true, minutes: 0 },
      { enabled: true, minutes: -1 },
      { enabled: 'yes', minutes: 2 },
    ]) {
      const rules = { ...app.core.alerts.settings.settings.rules, offline };
      expect((await mutate('alerts.saveSettings', { rules })).status).toBe(400);
    }
    const rules = { ...app.core.alerts.settings.settings.rules, offline: { enabled: true, minutes: 5 } };
    expect((await mutate('alerts.saveSettings', { rules })).status).toBe(200);
    // Stored and read back as changed.
    const { body } = await call(app, 'query', 'alerts.settings', undefined, { cookie });
    expect(dataOf<{ rules: { offline: { minutes: number } } }>(body).rules.offline.minutes).toBe(5);
  });
});
