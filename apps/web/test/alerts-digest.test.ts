import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertDelivery, inQuietHours } from '../src/server/alerts/delivery';
import { DigestClock } from '../src/server/alerts/digest';
import { DEFAULT_ALERT_SETTINGS } from '../src/server/alerts/settings';
import { openDatabase } from '../src/server/db/client';
import { ConsoleRepo } from '../src/server/db/repo';
import { Fleet } from '../src/server/link/fleet';
import { tempDir } from './support/console';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';

let receiver: WebhookReceiver | undefined;
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await receiver?.close();
});

/** Local time on 5 Jan 2026 (the console's zone), plus `days`. */
const local = (hours: number, minutes: number, days = 0) =>
  new Date(2026, 0, 5 + days, hours, minutes).getTime();

describe('daily digest', () => {
  it('goes once a day at the set local time with frames, credits and the machines down', async () => {
    receiver = await startWebhookReceiver();
    let clock = local(7, 0);
    const now = () => clock;
    const database = openDatabase(join(tempDir('flock-digest-'), 'console.sqlite'));
    closers.push(() => database.close());
    const repo = new ConsoleRepo(database.db);
    await repo.createMachine('m1', 'render-01', 'hash', now());
    await repo.createMachine('m2', 'render-02', 'hash', now());
    await repo.insertEvent('m1', 'boot', 1, local(6, 0), {
      kind: 'frame-done',
      jobId: 'j1',
      project: 'Classroom',
      frame: 1,
      renderTimeMs: 1000,
      credits: 40,
      thumbnail: null,
    });
    const fleet = new Fleet(repo, now);
    await fleet.load();
    const settings = {
      ...DEFAULT_ALERT_SETTINGS,
      digest: { enabled: true, at: '08:00' },
      webhooks: [{ id: 'w', kind: 'json' as const, name: 'hook', url: receiver.url() }],
    };
    const delivery = new AlertDelivery({ settings: () => settings, now });
    const digest = new DigestClock({ settings: () => settings, repo, fleet, delivery, now });

    await digest.tick();
    clock = local(7, 59);
    await digest.tick();
    await delivery.idle();
    expect(receiver.posts).toHaveLength(0);
    clock = local(8, 0);
    await digest.tick();
    clock = local(8, 5);
    await digest.tick();
    await delivery.idle();
    expect(receiver.json()).toEqual([
      expect.objectContaining({
        type: 'digest',
        digest: expect.objectContaining({
          frames: 1,
          credits: 40,
          machines: 2,
          machinesDown: ['render-01', 'render-02'],
        }),
      }),
    ]);
    clock = local(8, 1, 1);
    await digest.tick();
    await delivery.idle();
    expect(receiver.json()).toHaveLength(2);
  });

  it('quiet hours span midnight, and from == to means all day', () => {
    const quiet = { enabled: true, from: '22:00', to: '07:00' };
    expect(inQuietHours(quiet, local(23, 30))).toBe(true);
    expect(inQuietHours(quiet, local(6, 59))).toBe(true);
    expect(inQuietHours(quiet, local(7, 0))).toBe(false);
    expect(inQuietHours(quiet, local(21, 59))).toBe(false);
    expect(inQuietHours({ enabled: true, from: '09:00', to: '17:00' }, local(12, 0))).toBe(true);
    expect(inQuietHours({ enabled: true, from: '09:00', to: '17:00' }, local(17, 0))).toBe(false);
    expect(inQuietHours({ enabled: true, from: '00:00', to: '00:00' }, local(15, 0))).toBe(true);
    expect(inQuietHours({ ...quiet, enabled: false }, local(23, 30))).toBe(false);
  });
});
