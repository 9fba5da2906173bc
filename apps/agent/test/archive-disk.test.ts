// Zip bombs and full disks: an entry that claims an absurd compression ratio is refused before
// anything is written, an archive that does not fit the free space is refused up front, and a disk
// that fills up anyway (ENOSPC, here a real tmpfs) is reported as "no space", never as a permission
// problem.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError, extractArchive } from '../src/archive/index.js';
import { hasCommand } from './archive-helpers.js';
import { buildZip, type RawEntry } from './archive-zip-builder.js';
import { canMountTmpfs, mountTmpfs } from './support/tmpfs.js';

const MiB = 1024 * 1024;
let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'flock-archive-disk-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function zipOf(entries: readonly RawEntry[], dir = work): string {
  const file = path.join(mkdtempSync(path.join(dir, 'zip-')), 'project.zip');
  writeFileSync(file, buildZip(entries));
  return file;
}

/** Bytes that deflate about 3–4× (two random bits per byte), like real .blend data. */
function blendLike(size: number): Buffer {
  const bytes = randomBytes(size);
  for (let i = 0; i < size; i++) bytes[i] = (bytes[i] as number) & 0x03;
  return bytes;
}

async function refusal(zip: string, target: string, options = {}): Promise<ArchiveError> {
  const error = await extractArchive(zip, target, options).catch((e) => e);
  expect(error).toBeInstanceOf(ArchiveError);
  expect(readdirSync(path.dirname(target)).filter((name) => name !== 'project.zip')).toEqual([]);
  return error;
}

describe('compression ratio', () => {
  it('refuses a zip bomb within every size cap (64 MiB of zeros, ~1000×) before writing anything', async () => {
    const zip = zipOf([
      { name: 'scene.blend', data: blendLike(1000) },
      { name: 'bomb.bin', data: Buffer.alloc(64 * MiB) },
    ]);
    const error = await refusal(zip, path.join(path.dirname(zip), 'out'));
    expect(error.kind).toBe('too-large');
    expect(error.message).toMatch(/bomb\.bin.*compression ratio of \d+:1/);
  });

  it.runIf(hasCommand('zip'))('refuses a bomb made by Debian zip -9', async () => {
    const dir = mkdtempSync(path.join(work, 'real-'));
    writeFileSync(path.join(dir, 'zeros.bin'), Buffer.alloc(40 * MiB));
    execFileSync('zip', ['-q', '-9', 'project.zip', 'zeros.bin'], { cwd: dir });
    rmSync(path.join(dir, 'zeros.bin'));
    const error = await refusal(path.join(dir, 'project.zip'), path.join(dir, 'out'));
    expect(error.kind).toBe('too-large');
  });

  it('extracts what real projects hold: compressible .blend data, and small entries of any ratio', async () => {
    const zip = zipOf([
      { name: 'scene.blend', data: blendLike(24 * MiB) },
      { name: 'textures/black.bmp', data: Buffer.alloc(12 * MiB) },
    ]);
    const result = await extractArchive(zip, path.join(path.dirname(zip), 'out'));
    expect(result).toMatchObject({ files: 2, bytes: 36 * MiB });
  });
});

describe('free space', () => {
  it('refuses an archive that does not fit the free space, before writing anything', async () => {
    const zip = zipOf([{ name: 'scene.blend', data: randomBytes(3 * MiB), method: 0 }]);
    const error = await refusal(zip, path.join(path.dirname(zip), 'out'), { freeBytes: async () => 2 * MiB });
    expect(error.kind).toBe('no-space');
    expect(error.message).toMatch(/free/);
  });
});

describe.runIf(canMountTmpfs())('a disk that really fills up (tmpfs)', () => {
  it('is refused up front as no-space when the archive cannot fit', async () => {
    const disk = mountTmpfs(2 * MiB);
    try {
      const zip = zipOf([{ name: 'scene.blend', data: randomBytes(3 * MiB), method: 0 }]);
      const error = await refusal(zip, path.join(disk?.dir ?? '', 'out'));
      expect(error.kind).toBe('no-space');
    } finally {
      disk?.unmount();
    }
  });

  it('maps ENOSPC while writing to no-space (never to a permission problem)', async () => {
    const disk = mountTmpfs(2 * MiB);
    try {
      const zip = zipOf([{ name: 'scene.blend', data: randomBytes(3 * MiB), method: 0 }]);
      // The free-space probe is told there is room, so the kernel's ENOSPC is what stops it.
      const target = path.join(disk?.dir ?? '', 'out');
      const error = await refusal(zip, target, { freeBytes: async () => 1024 * MiB });
      expect(error.kind).toBe('no-space');
      expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      disk?.unmount();
    }
  });
});
