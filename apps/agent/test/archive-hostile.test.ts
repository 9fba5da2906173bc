import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configure, Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError, type ArchiveErrorKind, extractArchive } from '../src/archive/index.js';
import { buildZip, type RawEntry } from './archive-zip-builder.js';

configure({ useWebWorkers: false });

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'flock-hostile-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Extracts into `<jail>/job` where `<jail>` also holds a decoy file, and asserts the refusal kind
 * and that the jail (the target's parent) and the wider work dir look exactly as before.
 */
async function expectRefused(entries: readonly RawEntry[], kind: ArchiveErrorKind, options = {}) {
  const jail = mkdtempSync(path.join(work, 'jail-'));
  writeFileSync(path.join(jail, 'decoy.txt'), 'untouched');
  const zipPath = path.join(jail, 'hostile.zip');
  writeFileSync(zipPath, buildZip(entries));
  const workBefore = readdirSync(work).sort();
  const error = await extractArchive(zipPath, path.join(jail, 'job'), options).catch((e) => e);
  expect(error).toBeInstanceOf(ArchiveError);
  expect(error.kind).toBe(kind);
  expect(readdirSync(jail).sort()).toEqual(['decoy.txt', 'hostile.zip']);
  expect(readFileSync(path.join(jail, 'decoy.txt'), 'utf8')).toBe('untouched');
  expect(readdirSync(work).sort()).toEqual(workBefore);
}

const ok = { name: 'fine.txt', data: Buffer.from('fine') };

describe('hostile archives are refused and leave nothing behind', () => {
  it.each([
    ['parent segment', '../evil.txt'],
    ['nested parent segment', 'a/../../evil.txt'],
    ['absolute path', '/tmp/evil.txt'],
    ['backslash parent', '..\\evil.txt'],
    ['drive letter', 'C:/evil.txt'],
    ['drive letter with backslash', 'C:\\evil.txt'],
    ['NUL in name', 'evil\0.txt'],
  ])('zip-slip: %s', async (_label, name) => {
    await expectRefused([ok, { name, data: Buffer.from('pwned') }], 'unsafe-path');
  });

  it('symlink entries', async () => {
    await expectRefused(
      [ok, { name: 'link', data: Buffer.from('/etc/passwd'), method: 0, unixMode: 0o120777 }],
      'symlink',
    );
  });

  it('a highly compressible entry whose declared size is over the cap', async () => {
    const bomb = Buffer.alloc(64 * 1024 * 1024); // deflates to ~64 KiB
    await expectRefused([ok, { name: 'bomb.bin', data: bomb }], 'too-large', {
      maxTotalBytes: 16 * 1024 * 1024,
    });
  });

  it.each([
    ['decoded whole', 1000],
    ['streamed', 2 * 1024 * 1024],
  ])('a bomb that lies about its size is stopped while inflating (%s)', async (_path, declaredSize) => {
    const bomb = Buffer.alloc(64 * 1024 * 1024);
    await expectRefused([ok, { name: 'bomb.bin', data: bomb, declaredSize }], 'too-large');
  });

  it('many small entries that add up over the cap', async () => {
    const entries = Array.from({ length: 20 }, (_, i) => ({
      name: `part${i}.bin`,
      data: Buffer.alloc(1024 * 1024),
    }));
    await expectRefused(entries, 'too-large', { maxTotalBytes: 10 * 1024 * 1024 });
  });

  it('too many entries', async () => {
    const entries = Array.from({ length: 50 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from('x') }));
    await expectRefused(entries, 'too-large', { maxEntries: 10 });
  });

  it('an entry shorter than declared', async () => {
    await expectRefused([{ name: 'short.txt', data: Buffer.from('abc'), declaredSize: 10 }], 'corrupt');
  });

  it('duplicate entries', async () => {
    await expectRefused([ok, ok], 'corrupt');
  });

  it('a wrong password on a ZipCrypto archive made by zip.js', async () => {
    const jail = mkdtempSync(path.join(work, 'jail-'));
    const writer = new ZipWriter(new Uint8ArrayWriter(), { password: 'right', zipCrypto: true });
    await writer.add('secret.txt', new Uint8ArrayReader(new TextEncoder().encode('secret '.repeat(100))));
    const zipPath = path.join(jail, 'locked.zip');
    writeFileSync(zipPath, await writer.close());
    const error = await extractArchive(zipPath, path.join(jail, 'job'), { password: 'wrong' }).catch(
      (e) => e,
    );
    expect(error).toMatchObject({ kind: 'wrong-password' });
    expect(readdirSync(jail)).toEqual(['locked.zip']);
  });
});

describe('ZipCrypto wrong passwords that pass the one-byte header check', () => {
  it.each([
    ['decoded whole', 500],
    ['streamed', 300_000],
  ])(
    'are still refused as wrong-password (by the inflate/CRC failure that follows; %s)',
    async (_path, repeats) => {
      const jail = mkdtempSync(path.join(work, 'jail-'));
      const writer = new ZipWriter(new Uint8ArrayWriter(), { password: 'right', zipCrypto: true });
      await writer.add(
        'scene.blend',
        new Uint8ArrayReader(new TextEncoder().encode('BLENDER '.repeat(repeats))),
      );
      const zipPath = path.join(jail, 'locked.zip');
      writeFileSync(zipPath, await writer.close());
      // About one wrong password in 256 passes the header check; try until one does.
      let passedHeaderCheck = 0;
      for (let i = 0; i < 5000 && passedHeaderCheck === 0; i++) {
        const error = await extractArchive(zipPath, path.join(jail, 'job'), { password: `guess-${i}` }).catch(
          (e) => e,
        );
        expect(error).toMatchObject({ name: 'ArchiveError', kind: 'wrong-password' });
        if (String(error.message).includes('damaged data')) passedHeaderCheck++;
      }
      expect(passedHeaderCheck).toBe(1);
      expect(readdirSync(jail)).toEqual(['locked.zip']);
    },
  );
});

describe('fuzzing: arbitrary bytes never crash nor throw anything but ArchiveError', () => {
  const samples: Buffer[] = [
    buildZip([
      { name: 'dir/', method: 0 },
      { name: 'dir/a.txt', data: Buffer.from('hello hello hello hello') },
      { name: 'b.bin', data: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), method: 0 },
    ]),
  ];
  beforeAll(async () => {
    for (const options of [{ password: 'pw', zipCrypto: true }, { password: 'pw' }]) {
      const writer = new ZipWriter(new Uint8ArrayWriter(), options);
      await writer.add('a.txt', new Uint8ArrayReader(new TextEncoder().encode('hello hello hello hello')));
      samples.push(Buffer.from(await writer.close()));
    }
  });
  const sampleArbitrary = fc.constantFrom(0, 1, 2).map((i) => samples[i] as Buffer);
  const fuzzRoot = () => {
    const root = path.join(work, 'fuzz');
    mkdirSync(root, { recursive: true });
    return root;
  };

  async function extractOutcome(bytes: Uint8Array): Promise<void> {
    const root = fuzzRoot();
    const zipPath = path.join(root, 'input.zip');
    writeFileSync(zipPath, bytes);
    try {
      await extractArchive(zipPath, path.join(root, 'out'), { password: 'pw', maxTotalBytes: 1024 * 1024 });
    } catch (error) {
      if (!(error instanceof ArchiveError)) throw error;
    }
    const leftovers = readdirSync(root).filter((name) => name !== 'input.zip' && name !== 'out');
    expect(leftovers).toEqual([]);
    rmSync(path.join(root, 'out'), { recursive: true, force: true });
  }

  it('random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), extractOutcome), { numRuns: 150 });
  });

  it('mutated valid archives', async () => {
    const mutation = fc.array(fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true }), fc.nat(255)), {
      minLength: 1,
      maxLength: 8,
    });
    await fc.assert(
      fc.asyncProperty(sampleArbitrary, mutation, async (sample, changes) => {
        const bytes = Buffer.from(sample);
        for (const [where, value] of changes) bytes[Math.floor(where * bytes.length)] = value;
        await extractOutcome(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('truncated valid archives', async () => {
    await fc.assert(
      fc.asyncProperty(sampleArbitrary, fc.double({ min: 0, max: 1, maxExcluded: true }), (sample, where) =>
        extractOutcome(sample.subarray(0, Math.floor(where * sample.length))),
      ),
      { numRuns: 100 },
    );
  });
});

describe('abort', () => {
  it('an aborted extraction is an ArchiveError of kind aborted and leaves nothing behind', async () => {
    const jail = mkdtempSync(path.join(work, 'jail-'));
    const zipPath = path.join(jail, 'big.zip');
    // Stored random bytes: big, yet nothing like a zip bomb (which is refused before any writing).
    writeFileSync(zipPath, buildZip([{ name: 'big.bin', data: randomBytes(32 * 1024 * 1024), method: 0 }]));
    const controller = new AbortController();
    const pending = extractArchive(zipPath, path.join(jail, 'job'), { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'ArchiveError', kind: 'aborted' });
    expect(readdirSync(jail)).toEqual(['big.zip']);
  });
});
