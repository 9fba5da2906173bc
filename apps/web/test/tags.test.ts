// Machine tags end to end: a real console over HTTP, simulated agents paired through the real API,
// users of each role calling the procedures the browser calls, and the database behind them.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_TAG_LENGTH, MAX_TAGS_PER_MACHINE, TagSchema } from '../src/lib/tags';
import type { RunningConsole } from '../src/server/start';
import { call, dataOf, pairSimulatedAgent, startTestConsole, tempDir } from './support/console';
import { sessionsByRole } from './support/roles';

let running: RunningConsole | undefined;
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await running?.stop();
  running = undefined;
});

interface Summary {
  id: string;
  name: string;
  tags: string[];
}
const errorOf = (body: unknown) => (body as { error: { message: string; data: { code: string } } }).error;

async function consoleWithMachines(dataDir = tempDir('flock-console-')) {
  running = await startTestConsole({ dataDir });
  const r = running;
  const sessions = await sessionsByRole(r);
  const ids: string[] = [];
  for (const name of ['render-01', 'render-02', 'render-03']) {
    const paired = await pairSimulatedAgent(r, sessions.admin, name);
    stops.push(() => paired.client.stop());
    ids.push(paired.machineId);
  }
  const as = (cookie: string) => ({
    query: (path: string, input?: unknown) => call(r, 'query', path, input, { cookie }),
    mutate: (path: string, input?: unknown) => call(r, 'mutation', path, input, { cookie }),
  });
  const tagsOf = async () => {
    const list = await as(sessions.viewer).query('fleet.list');
    const machines = dataOf<{ machines: Summary[] }>(list.body).machines;
    return Object.fromEntries(machines.map((m) => [m.name, m.tags]));
  };
  return { r, sessions, ids, as, tagsOf };
}

describe('machine tags', () => {
  it('an operator tags machines in bulk and untags one; a viewer may not; the trail says who', async () => {
    const { sessions, ids, as, tagsOf } = await consoleWithMachines();
    const [first, second] = ids as [string, string, string];

    const refused = await as(sessions.viewer).mutate('fleet.tag', { ids: [first], tags: ['lab'] });
    expect([refused.status, errorOf(refused.body).data.code]).toEqual([403, 'FORBIDDEN']);

    const tagged = await as(sessions.operator).mutate('fleet.tag', {
      ids: [first, second],
      tags: ['  Lab  A ', 'gpu:rtx', 'gpu:rtx'],
    });
    expect(tagged.status).toBe(200);
    expect(await tagsOf()).toEqual({
      'render-01': ['gpu:rtx', 'Lab A'],
      'render-02': ['gpu:rtx', 'Lab A'],
      'render-03': [],
    });

    const untagged = await as(sessions.operator).mutate('fleet.untag', { ids: [second], tags: ['Lab A'] });
    expect(untagged.status).toBe(200);
    expect((await tagsOf())['render-02']).toEqual(['gpu:rtx']);

    const audit = await as(sessions.admin).query('audit.list', {});
    const entries = dataOf<
      { username: string; action: string; params: unknown; machines: { id: string }[] }[]
    >(audit.body);
    const tagEntry = entries.find((entry) => entry.action === 'fleet.tag');
    expect(tagEntry).toMatchObject({ username: 'operator', params: { tags: ['Lab A', 'gpu:rtx'] } });
    expect(tagEntry?.machines.map((m) => m.id).sort()).toEqual([first, second].sort());
    expect(entries.find((entry) => entry.action === 'fleet.untag')?.machines.map((m) => m.id)).toEqual([
      second,
    ]);
  });

  it('refuses tag text that is empty, too long, or holds control or invisible characters', async () => {
    const { sessions, ids, as, tagsOf } = await consoleWithMachines();
    for (const tag of [
      '   ',
      'x'.repeat(MAX_TAG_LENGTH + 1),
      'bad\u0007bell',
      'zero\u200bwidth',
      'rtl\u202egpu',
      '<b>',
    ]) {
      const answer = await as(sessions.operator).mutate('fleet.tag', { ids: [ids[0]], tags: [tag] });
      expect([answer.status, errorOf(answer.body).data.code], JSON.stringify(tag)).toEqual([
        400,
        'BAD_REQUEST',
      ]);
    }
    expect((await tagsOf())['render-01']).toEqual([]);
  });

  it('refuses a bulk tag that would give one machine too many, and changes none', async () => {
    const { sessions, ids, as, tagsOf } = await consoleWithMachines();
    const full = Array.from({ length: MAX_TAGS_PER_MACHINE - 1 }, (_, i) => `t${i}`);
    expect((await as(sessions.operator).mutate('fleet.tag', { ids: [ids[0]], tags: full })).status).toBe(200);

    const answer = await as(sessions.operator).mutate('fleet.tag', { ids, tags: ['one', 'two'] });
    expect([answer.status, errorOf(answer.body).message]).toEqual([
      400,
      `render-01 would have more than ${MAX_TAGS_PER_MACHINE} tags: remove some first.`,
    ]);
    const after = await tagsOf();
    expect([after['render-01']?.length, after['render-02'], after['render-03']]).toEqual([
      MAX_TAGS_PER_MACHINE - 1,
      [],
      [],
    ]);
  });

  it('keeps tags across a console restart', async () => {
    const dataDir = tempDir('flock-console-');
    const first = await consoleWithMachines(dataDir);
    expect(
      (await first.as(first.sessions.operator).mutate('fleet.tag', { ids: [first.ids[2]], tags: ['night'] }))
        .status,
    ).toBe(200);
    for (const stop of stops.splice(0)) await stop();
    await running?.stop();

    running = await startTestConsole({ dataDir });
    expect(running.core.fleet.summary(first.ids[2] as string)?.tags).toEqual(['night']);
  });
});

describe('tag text', () => {
  it('is short, printable and stable: whatever is typed parses to a valid tag or is refused', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (text) => {
        const parsed = TagSchema.safeParse(text);
        if (!parsed.success) return;
        expect(parsed.data.length).toBeGreaterThan(0);
        expect(parsed.data.length).toBeLessThanOrEqual(MAX_TAG_LENGTH);
        expect(parsed.data).not.toMatch(/[\p{C}]/u);
        expect(TagSchema.parse(parsed.data)).toBe(parsed.data);
      }),
      { numRuns: 2000 },
    );
  });
});
