// The blocked-projects file is read back at start: whatever it holds (a hostile or damaged file), the
// agent starts with a valid, bounded list, and what it writes is owner-only.
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type BlockedProject, BlockedProjectSchema, MAX_BLOCKED_PROJECTS } from '@flock/protocol';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { BLOCKED_PROJECTS_FILE, BlockedProjects } from '../src/farm/blocked-projects.js';
import { Logger } from '../src/log/index.js';
import { cleanUp, tempDir } from './e2e-helpers.js';

afterEach(cleanUp);

const md5 = (n: number) => n.toString(16).padStart(32, '0');

async function load(cacheDir: string) {
  const seen: BlockedProject[][] = [];
  const blocks = await BlockedProjects.load({
    cacheDir,
    clock: new ManualClock(),
    log: new Logger(new ManualClock()),
    onChange: (list) => seen.push(list),
  });
  return { blocks, seen };
}

describe('blocked projects on disk', () => {
  it('come back after a restart, in a file only the owner may read', async () => {
    const dir = await tempDir('blocks');
    const first = await load(dir);
    first.blocks.block({ archiveMd5: md5(1).toUpperCase(), name: 'Spam' });
    first.blocks.setFleet([{ archiveMd5: md5(2), name: 'Fleet spam', blockedAt: 5 }]);
    await first.blocks.flushed();
    expect((await stat(path.join(dir, BLOCKED_PROJECTS_FILE))).mode & 0o777).toBe(0o600);
    const again = await load(dir);
    expect(again.blocks.list().map((b) => [b.archiveMd5, b.scope])).toEqual([
      [md5(2), 'fleet'],
      [md5(1), 'machine'],
    ]);
    expect(again.seen[0]).toEqual(again.blocks.list());
  });

  it('keep at most the newest blocks of each scope', async () => {
    const dir = await tempDir('blocks');
    const { blocks } = await load(dir);
    for (let n = 0; n < MAX_BLOCKED_PROJECTS + 20; n++) blocks.block({ archiveMd5: md5(n), name: `p${n}` });
    expect(blocks.list()).toHaveLength(MAX_BLOCKED_PROJECTS);
    expect(blocks.has(md5(0))).toBe(false);
    expect(blocks.has(md5(MAX_BLOCKED_PROJECTS + 19))).toBe(true);
  });

  it('start empty from a file that is too large, and never fail on any content (fuzz)', async () => {
    const dir = await tempDir('blocks');
    const file = path.join(dir, BLOCKED_PROJECTS_FILE);
    await writeFile(file, ' '.repeat(300 * 1024));
    expect((await load(dir)).blocks.list()).toEqual([]);
    const entry = fc.record({
      archiveMd5: fc.oneof(fc.string(), fc.constant(md5(7))),
      name: fc.string({ maxLength: 400 }),
      blockedAt: fc.oneof(fc.integer(), fc.double()),
      scope: fc.oneof(fc.constantFrom('machine', 'fleet'), fc.string()),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.array(entry, { maxLength: 30 }).map((projects) => JSON.stringify({ projects })),
        ),
        async (content) => {
          await writeFile(file, content);
          const list = (await load(dir)).blocks.list();
          expect(list.length).toBeLessThanOrEqual(2 * MAX_BLOCKED_PROJECTS);
          for (const block of list) expect(BlockedProjectSchema.parse(block)).toEqual(block);
          expect(new Set(list.map((block) => block.archiveMd5)).size).toBe(list.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
