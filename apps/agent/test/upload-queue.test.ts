import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import {
  type SendResult,
  type UploadEvent,
  type UploadItem,
  UploadQueue,
  type UploadQueueOptions,
} from '../src/uploads/index.js';

let root: string;
let queueDir: string;
let workDir: string;
let clock: ManualClock;
const openQueues: UploadQueue[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'flock-upload-queue-'));
  queueDir = join(root, 'uploads');
  workDir = join(root, 'work');
  await mkdir(workDir);
  clock = new ManualClock();
});

afterEach(async () => {
  await Promise.all(openQueues.splice(0).map((queue) => queue.stop()));
  await rm(root, { recursive: true, force: true });
});

/** A sender that answers from a script (one entry per call, the last one repeating) and records calls. */
function scriptedSender(script: Array<SendResult | 'hang' | Error>) {
  const calls: { id: string; bytes: string }[] = [];
  const send = async (item: UploadItem): Promise<SendResult> => {
    calls.push({ id: item.id, bytes: await readFile(item.file, 'utf8') });
    const step = script[Math.min(calls.length - 1, script.length - 1)];
    if (step === 'hang') return new Promise(() => {});
    if (step instanceof Error) throw step;
    if (step === undefined) throw new Error('empty script');
    return step;
  };
  return { send, calls };
}

async function openQueue(send: UploadQueueOptions['send'], extra: Partial<UploadQueueOptions> = {}) {
  const events: UploadEvent[] = [];
  const queue = await UploadQueue.open({
    dir: queueDir,
    send,
    clock,
    random: () => 0,
    onEvent: (event) => events.push(event),
    ...extra,
  });
  openQueues.push(queue);
  return { queue, events };
}

async function renderedFrame(jobId: string, frame = '0001'): Promise<string> {
  const path = join(workDir, `${jobId}_${frame}.png`);
  await writeFile(path, `frame ${jobId}/${frame}`);
  return path;
}

async function enqueueFrame(queue: UploadQueue, jobId: string, frame = '0001') {
  return queue.enqueue({
    sourceFile: await renderedFrame(jobId, frame),
    contentType: 'image/png',
    jobId,
    frame,
    validationUrl: `http://farm.test/server/send_frame.php?job=${jobId}&frame=${frame}`,
    renderTimeSeconds: 12,
    memoryUsedKiB: 4096,
    sessionKey: 'session-a',
    meta: { cookie: 'FLOCKSESSION=abc' },
  });
}

function waitForEvent<T extends UploadEvent['type']>(
  queue: UploadQueue,
  type: T,
  count = 1,
): Promise<Extract<UploadEvent, { type: T }>[]> {
  const seen: Extract<UploadEvent, { type: T }>[] = [];
  return new Promise((resolve) => {
    const off = queue.on((event) => {
      if (event.type !== type) return;
      seen.push(event as Extract<UploadEvent, { type: T }>);
      if (seen.length === count) {
        off();
        resolve(seen);
      }
    });
  });
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 1));
  expect(condition()).toBe(true);
}

async function queueFiles(): Promise<string[]> {
  return (await readdir(queueDir)).sort();
}

describe('upload queue: durability', () => {
  it('records the frame on disk before enqueue resolves, moving the file out of the work dir', async () => {
    const { queue, events } = await openQueue(scriptedSender([{ status: 0 }]).send);
    const item = await enqueueFrame(queue, '41', '0007');
    expect(existsSync(join(workDir, '41_0007.png'))).toBe(false);
    expect(await readFile(item.file, 'utf8')).toBe('frame 41/0007');
    const stored = JSON.parse(await readFile(join(queueDir, `${item.id}.json`), 'utf8'));
    expect(stored).toMatchObject({ jobId: '41', frame: '0007', filename: '41_0007.png', attempts: 0 });
    expect(stored.meta).toEqual({ cookie: 'FLOCKSESSION=abc' });
    expect(events.map((e) => e.type)).toEqual(['queued']);
    expect(queue.size).toBe(1);
  });

  it('deletes entry and frame after status 0 and never sends it again after a restart', async () => {
    const sender = scriptedSender([{ status: 0 }]);
    const { queue } = await openQueue(sender.send);
    await enqueueFrame(queue, '50');
    const delivered = waitForEvent(queue, 'delivered');
    queue.start();
    await delivered;
    expect(await queueFiles()).toEqual([]);
    await queue.stop();

    const second = await openQueue(sender.send);
    second.queue.start();
    expect(second.queue.size).toBe(0);
    expect(second.events).toEqual([]);
    expect(sender.calls).toHaveLength(1);
  });

  it('sends frames left by a previous run after a restart, oldest first, losing none', async () => {
    const failing = scriptedSender([{ error: 'connect ECONNREFUSED' }]);
    const first = await openQueue(failing.send);
    await enqueueFrame(first.queue, '60');
    await clock.advance(1000);
    await enqueueFrame(first.queue, '61');
    const retried = waitForEvent(first.queue, 'retry');
    first.queue.start();
    await retried;
    await first.queue.stop();

    const working = scriptedSender([{ status: 0 }]);
    const second = await openQueue(working.send);
    const recovered = second.events.find((e) => e.type === 'recovered');
    expect(recovered?.type === 'recovered' && recovered.items.map((i) => i.jobId)).toEqual(['60', '61']);
    const delivered = waitForEvent(second.queue, 'delivered', 2);
    second.queue.start();
    expect((await delivered).map((e) => e.item.jobId)).toEqual(['60', '61']);
    expect(working.calls.map((c) => c.bytes)).toEqual(['frame 60/0001', 'frame 61/0001']);
    expect(await queueFiles()).toEqual([]);
  });

  it('re-sends a frame whose send was cut by a crash and flags a final refusal as possibly delivered', async () => {
    const hanging = scriptedSender(['hang']);
    const crashed = await openQueue(hanging.send);
    await enqueueFrame(crashed.queue, '70');
    const sending = waitForEvent(crashed.queue, 'sending');
    crashed.queue.start();
    const [started] = await sending;
    expect(crashed.queue.sending?.id).toBe(started?.item.id);
    openQueues.splice(openQueues.indexOf(crashed.queue), 1); // the process "died" mid-POST

    const after = scriptedSender([{ status: 300 }]);
    const restarted = await openQueue(after.send);
    const rejected = waitForEvent(restarted.queue, 'rejected');
    restarted.queue.start();
    const [event] = await rejected;
    expect(event).toMatchObject({ status: 300, possiblyDelivered: true, sessionDisabled: false });
    expect(after.calls).toHaveLength(1);
    expect(await queueFiles()).toEqual([]);
  });

  it('sweeps crash leftovers and sets unreadable entries aside without stopping', async () => {
    await mkdir(queueDir, { recursive: true });
    await writeFile(join(queueDir, 'broken-1.json'), '{ not json');
    await writeFile(join(queueDir, 'broken-1.png'), 'kept beside the broken entry');
    await writeFile(join(queueDir, 'x.json.1234.tmp'), '{}');
    await writeFile(join(queueDir, 'orphan-2.png'), 'no entry was ever written for me');
    const { events } = await openQueue(scriptedSender([{ status: 0 }]).send);
    expect(events.filter((e) => e.type === 'problem')).toHaveLength(3);
    expect(await queueFiles()).toEqual(['broken-1.json.corrupt', 'broken-1.png']);
  });

  it('sends an entry an older agent wrote (its render time under the name `rendertimeSeconds`)', async () => {
    const first = await openQueue(scriptedSender(['hang']).send);
    const item = await enqueueFrame(first.queue, '81');
    await first.queue.stop();
    const { renderTimeSeconds, ...rest } = JSON.parse(
      await readFile(join(queueDir, `${item.id}.json`), 'utf8'),
    );
    await writeFile(
      join(queueDir, `${item.id}.json`),
      JSON.stringify({ ...rest, rendertimeSeconds: renderTimeSeconds }),
    );
    const sent: UploadItem[] = [];
    const second = await openQueue(async (entry) => {
      sent.push(entry);
      return { status: 0 };
    });
    expect(second.queue.size).toBe(1);
    second.queue.start();
    await second.queue.drain();
    expect(sent.map((entry) => entry.renderTimeSeconds)).toEqual([12]);
  });

  it('reports an entry whose frame file vanished as lost instead of retrying it forever', async () => {
    const first = await openQueue(scriptedSender([{ status: 0 }]).send);
    const item = await enqueueFrame(first.queue, '80');
    await unlink(item.file);
    const second = await openQueue(scriptedSender([{ status: 0 }]).send);
    expect(second.events).toEqual([expect.objectContaining({ type: 'lost' })]);
    expect(second.queue.size).toBe(0);
    expect(await queueFiles()).toEqual([]);
  });
});

describe('upload queue: farm answers (docs/protocol.md §7)', () => {
  it.each([
    [300, 99, false],
    [301, 4, true],
    [304, 4, true],
    [306, 26, false],
    [308, 26, false],
  ])(
    'status %i is final: reported with error type %i (session disabled: %s), frame deleted',
    async (status, errorType, disabled) => {
      const sender = scriptedSender([{ status }]);
      const { queue } = await openQueue(sender.send);
      await enqueueFrame(queue, '90');
      const rejected = waitForEvent(queue, 'rejected');
      queue.start();
      const [event] = await rejected;
      expect(event).toMatchObject({ status, errorType, sessionDisabled: disabled, possiblyDelivered: false });
      expect(sender.calls).toHaveLength(1);
      expect(await queueFiles()).toEqual([]);
    },
  );

  it.each([
    [{ status: 302 }, 25],
    [{ status: 303 }, 25],
    [{ status: 399 }, 25],
    [{ error: 'HTTP 502 Bad Gateway', errorType: 101 }, 101],
    [{ error: 'answer is text/html, not XML', errorType: 101 }, 101],
    [new Error('socket hang up'), 11],
  ])('%j is retried (error type %i) and the frame kept until a final answer', async (failure, errorType) => {
    const sender = scriptedSender([failure, { status: 0 }]);
    const { queue } = await openQueue(sender.send);
    const item = await enqueueFrame(queue, '91');
    const retried = waitForEvent(queue, 'retry');
    queue.start();
    const [event] = await retried;
    expect(event).toMatchObject({ attempt: 1, delayMs: 22_000, errorType });
    const stored = JSON.parse(await readFile(join(queueDir, `${item.id}.json`), 'utf8'));
    expect(stored).toMatchObject({ attempts: 1, nextAttemptAt: clock.now() + 22_000 });
    expect(stored.lastError).toBeTruthy();
    expect(queue.sending).toBeUndefined();
    const delivered = waitForEvent(queue, 'delivered');
    await clock.advance(22_000);
    await delivered;
    expect(sender.calls).toHaveLength(2);
  });

  it('backs off 22 s, 44 s, then doubling, and sends nothing early', async () => {
    const sender = scriptedSender([
      { error: 'down' },
      { error: 'down' },
      { error: 'down' },
      { error: 'down' },
      { status: 0 },
    ]);
    const { queue, events } = await openQueue(sender.send);
    await enqueueFrame(queue, '92');
    queue.start();
    for (const [calls, wait] of [
      [1, 22_000],
      [2, 44_000],
      [3, 88_000],
      [4, 176_000],
    ] as const) {
      await until(() => sender.calls.length === calls && clock.pendingSleepers === 1);
      await clock.advance(wait - 1);
      await until(() => clock.pendingSleepers === 1);
      expect(sender.calls).toHaveLength(calls);
      await clock.advance(1);
    }
    await until(() => events.some((e) => e.type === 'delivered'));
    expect(events.filter((e) => e.type === 'retry').map((e) => e.type === 'retry' && e.delayMs)).toEqual([
      22_000, 44_000, 88_000, 176_000,
    ]);
  });

  it('a new frame wakes an idle sender at once', async () => {
    const sender = scriptedSender([{ status: 0 }]);
    const { queue } = await openQueue(sender.send);
    queue.start();
    await until(() => clock.pendingSleepers === 0);
    const delivered = waitForEvent(queue, 'delivered');
    await enqueueFrame(queue, '93');
    await delivered;
    expect(sender.calls).toHaveLength(1);
  });
});
