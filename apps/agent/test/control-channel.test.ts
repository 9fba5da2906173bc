// The running agent's local control channel: a real Unix-domain socket in a temp cache dir, the real
// Controls behind it.

import { stat, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import {
  CONTROL_SOCKET_NAME,
  type ControlChannel,
  ControlChannelError,
  Controls,
  controlSocketPath,
  sendControlCommand,
  startControlChannel,
} from '../src/controls/index.js';
import { Logger } from '../src/log/index.js';
import { cleanUp, tempDir } from './e2e-helpers.js';
import { defaultLimits } from './support/store.js';

const channels: ControlChannel[] = [];
afterEach(async () => {
  for (const channel of channels.splice(0)) await channel.close();
  await cleanUp();
});

async function setUp(cacheDir?: string) {
  const dir = cacheDir ?? (await tempDir('channel'));
  const controls = new Controls({ limits: defaultLimits });
  const log = new Logger(new ManualClock());
  const lines: string[] = [];
  log.onEntry((entry) => lines.push(entry.message));
  const channel = await startControlChannel({ cacheDir: dir, execute: (c) => controls.execute(c), log });
  if (channel) channels.push(channel);
  return { dir, controls, channel, lines };
}

/** Sends raw bytes and returns the raw answer. */
function raw(socketPath: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath, () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('the local control channel', () => {
  it('is a socket in the cache dir that only its owner may use', async () => {
    const { dir, channel } = await setUp();
    expect(channel?.path).toBe(path.join(dir, CONTROL_SOCKET_NAME));
    const info = await stat(controlSocketPath(dir));
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);
  });

  it('applies the console’s commands: retry now, pause now, resume, stop', async () => {
    const { dir, controls } = await setUp();
    expect(await sendControlCommand(dir, { type: 'retry-now' })).toEqual({
      ok: true,
      message: 'retrying now',
    });
    expect(controls.retries).toBe(1);
    expect(await sendControlCommand(dir, { type: 'pause', when: 'now' })).toMatchObject({ ok: true });
    expect(controls.paused).toBe(true);
    await sendControlCommand(dir, { type: 'resume' });
    expect(controls.paused).toBe(false);
    await sendControlCommand(dir, { type: 'stop', when: 'after-frame' });
    expect(controls.stopRequested).toBe('after-frame');
  });

  it('refuses what is not a command, with a reason, and keeps serving', async () => {
    const { dir, controls, lines } = await setUp();
    const socket = controlSocketPath(dir);
    expect(JSON.parse(await raw(socket, 'not json\n'))).toMatchObject({ ok: false, reason: 'malformed' });
    expect(JSON.parse(await raw(socket, '{"command":{"type":"format-disk"}}\n'))).toMatchObject({
      ok: false,
      reason: 'malformed',
    });
    expect(JSON.parse(await raw(socket, `${'x'.repeat(20_000)}\n`))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/over/),
    });
    expect(lines.join('\n')).toMatch(/local command refused/);
    expect(await sendControlCommand(dir, { type: 'retry-now' })).toMatchObject({ ok: true });
    expect(controls.retries).toBe(1);
  });

  it('answers any line with a command result and never applies what is not a command (fuzz)', async () => {
    const { dir, controls } = await setUp();
    const socket = controlSocketPath(dir);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.json().map((json) => `{"command":${json}}`),
          fc.constantFrom('{"command":{"type":"stop"}}', '{"command":{"type":"set-limits","limits":{}}}'),
        ),
        async (line) => {
          const answer = JSON.parse(await raw(socket, `${line.replaceAll('\n', ' ')}\n`));
          expect(typeof answer.ok).toBe('boolean');
        },
      ),
      { numRuns: 100 },
    );
    expect(controls.stopRequested).toBeNull();
    expect(controls.paused).toBe(false);
  });

  it('replaces a socket file a crashed agent left, and does not steal a live agent’s', async () => {
    const dir = await tempDir('channel');
    await writeFile(path.join(dir, CONTROL_SOCKET_NAME), ''); // what a crash leaves: a dead path
    const first = await setUp(dir);
    expect(first.channel).not.toBeNull();
    const second = await setUp(dir);
    expect(second.channel).toBeNull();
    expect(second.lines.join('\n')).toMatch(/another agent listens/);
    expect(await sendControlCommand(dir, { type: 'retry-now' })).toMatchObject({ ok: true });
    expect(first.controls.retries).toBe(1);
  });

  it('tells a CLI user plainly when no agent runs with that cache dir', async () => {
    const dir = await tempDir('channel');
    await expect(sendControlCommand(dir, { type: 'retry-now' })).rejects.toThrow(ControlChannelError);
    await expect(sendControlCommand(dir, { type: 'retry-now' })).rejects.toThrow(
      /no agent is running with --cache-dir/,
    );
  });

  it('uses a short path in the temp dir when the cache dir is too deep for a socket name', () => {
    const deep = `/tmp/${'d'.repeat(120)}`;
    const socket = controlSocketPath(deep);
    expect(Buffer.byteLength(socket)).toBeLessThan(100);
    expect(controlSocketPath(deep)).toBe(socket);
  });
});
