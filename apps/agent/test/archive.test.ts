import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { configure, Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError, extractArchive } from '../src/archive/index.js';
import { convertAe2ToAe1, expectSameTree, hasCommand, readTree, writeSampleTree } from './archive-helpers.js';

configure({ useWebWorkers: false });

const hasZip = hasCommand('zip');
const has7zz = hasCommand('7zz');
if (!hasZip)
  console.warn('archive tests: Debian `zip` not found — the zip -P cross-checks are SKIPPED (CI has it)');
if (!has7zz)
  console.warn('archive tests: `7zz` not found — the 7-Zip AES cross-checks are SKIPPED (CI has it)');

let work: string;
let source: string;
let sourceTree: Map<string, Buffer>;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'flock-archive-'));
  source = path.join(work, 'source');
  writeSampleTree(source);
  sourceTree = readTree(source);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function extractAndCompare(zipPath: string, password?: string) {
  const target = path.join(work, `out-${path.basename(zipPath, '.zip')}`);
  const result = await extractArchive(zipPath, target, password === undefined ? {} : { password });
  expect(expectSameTree(readTree(target), sourceTree)).toEqual([]);
  expect(result.files).toBe(sourceTree.size);
  return target;
}

async function zipJsArchive(
  name: string,
  options: ConstructorParameters<typeof ZipWriter>[1],
): Promise<string> {
  const writer = new ZipWriter(new Uint8ArrayWriter(), options);
  for (const [file, data] of sourceTree) await writer.add(file, new Uint8ArrayReader(new Uint8Array(data)));
  const zipPath = path.join(work, name);
  writeFileSync(zipPath, await writer.close());
  return zipPath;
}

describe.skipIf(!hasZip)('archives made by Debian zip', () => {
  it('extracts an unencrypted archive byte-identically and marks rend.exe executable', async () => {
    const zipPath = path.join(work, 'plain.zip');
    execFileSync('zip', ['-qr', zipPath, '.'], { cwd: source });
    const target = await extractAndCompare(zipPath);
    expect(statSync(path.join(target, 'rend.exe')).mode & 0o111).not.toBe(0);
    expect(statSync(path.join(target, 'empty.txt')).mode & 0o111).toBe(0);
  });

  it('decrypts ZipCrypto (zip -P) byte-identically', async () => {
    const zipPath = path.join(work, 'zipcrypto.zip');
    execFileSync('zip', ['-qr', '-P', 'pw', zipPath, '.'], { cwd: source });
    await extractAndCompare(zipPath, 'pw');
  });

  it('refuses a wrong ZipCrypto password', async () => {
    const zipPath = path.join(work, 'zipcrypto-wrong.zip');
    execFileSync('zip', ['-qr', '-P', 'right', zipPath, '.'], { cwd: source });
    await expect(
      extractArchive(zipPath, path.join(work, 'never'), { password: 'wrong' }),
    ).rejects.toMatchObject({
      kind: 'wrong-password',
    });
    await expect(extractArchive(zipPath, path.join(work, 'never'))).rejects.toMatchObject({
      kind: 'wrong-password',
    });
    expect(readdirSync(work)).not.toContain('never');
  });
});

describe.skipIf(!has7zz)('archives made by 7-Zip (WinZip AES)', () => {
  for (const method of ['AES256', 'AES192', 'AES128']) {
    for (const level of ['-mx5', '-mx0']) {
      it(`decrypts ${method} (${level === '-mx0' ? 'stored' : 'deflated'}) byte-identically`, async () => {
        const zipPath = path.join(work, `7z-${method}${level}.zip`);
        execFileSync('7zz', ['a', '-tzip', `-mem=${method}`, level, '-ppw', zipPath, '.'], {
          cwd: source,
          stdio: 'ignore',
        });
        await extractAndCompare(zipPath, 'pw');
      });
    }
  }

  it('decrypts 7-Zip ZipCrypto (no data descriptor: the check byte comes from the CRC)', async () => {
    const zipPath = path.join(work, '7z-zipcrypto.zip');
    execFileSync('7zz', ['a', '-tzip', '-mem=ZipCrypto', '-ppw', zipPath, '.'], {
      cwd: source,
      stdio: 'ignore',
    });
    await extractAndCompare(zipPath, 'pw');
    await expect(
      extractArchive(zipPath, path.join(work, 'never'), { password: 'nope' }),
    ).rejects.toMatchObject({
      kind: 'wrong-password',
    });
  });

  it('refuses a wrong AES password', async () => {
    const zipPath = path.join(work, '7z-wrong.zip');
    execFileSync('7zz', ['a', '-tzip', '-mem=AES256', '-pright', zipPath, '.'], {
      cwd: source,
      stdio: 'ignore',
    });
    const error = await extractArchive(zipPath, path.join(work, 'never'), { password: 'wrong' }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ArchiveError);
    expect(error.kind).toBe('wrong-password');
  });
});

describe('archives made by @zip.js/zip.js', () => {
  it('decrypts ZipCrypto', async () => {
    await extractAndCompare(
      await zipJsArchive('zipjs-zipcrypto.zip', { password: 'pw', zipCrypto: true }),
      'pw',
    );
  });

  for (const strength of [1, 2, 3] as const) {
    it(`decrypts AES strength ${strength} (AE-2, no CRC)`, async () => {
      await extractAndCompare(
        await zipJsArchive(`zipjs-aes${strength}.zip`, { password: 'pw', encryptionStrength: strength }),
        'pw',
      );
    });
  }

  it('decrypts AE-1 entries (CRC stored and checked)', async () => {
    const ae2 = readFileSync(await zipJsArchive('zipjs-ae2.zip', { password: 'pw' }));
    const ae1Path = path.join(work, 'zipjs-ae1.zip');
    writeFileSync(
      ae1Path,
      convertAe2ToAe1(ae2, (name) => crc32(sourceTree.get(name) ?? Buffer.alloc(0))),
    );
    await extractAndCompare(ae1Path, 'pw');

    writeFileSync(
      ae1Path,
      convertAe2ToAe1(ae2, () => 0xdeadbeef),
    );
    await expect(
      extractArchive(ae1Path, path.join(work, 'bad-crc'), { password: 'pw' }),
    ).rejects.toMatchObject({
      kind: 'corrupt',
      message: expect.stringContaining('CRC mismatch'),
    });
  });

  it('reads stored AES entries', async () => {
    await extractAndCompare(await zipJsArchive('zipjs-aes-stored.zip', { password: 'pw', level: 0 }), 'pw');
  });

  it('detects tampered AES data through the authentication code', async () => {
    const zipPath = await zipJsArchive('zipjs-aes-tampered.zip', { password: 'pw', level: 0 });
    const bytes = readFileSync(zipPath);
    const marker = bytes.indexOf(Buffer.from('main.blend')); // first local header of the big entry
    bytes[marker + 10_000] = (bytes[marker + 10_000] as number) ^ 0xff;
    writeFileSync(zipPath, bytes);
    await expect(
      extractArchive(zipPath, path.join(work, 'tampered'), { password: 'pw' }),
    ).rejects.toMatchObject({
      kind: 'corrupt',
    });
  });
});

describe('executable bits', () => {
  it('keeps the executable bit a Unix zip sets (zip.js executable: true, as the farm writes rend.exe)', async () => {
    const writer = new ZipWriter(new Uint8ArrayWriter());
    await writer.add('bin/blender', new Uint8ArrayReader(new TextEncoder().encode('#!/bin/sh\n')), {
      executable: true,
    });
    await writer.add('bin/readme.txt', new Uint8ArrayReader(new TextEncoder().encode('text')));
    const zipPath = path.join(work, 'exec.zip');
    writeFileSync(zipPath, await writer.close());
    const target = path.join(work, 'exec-out');
    await extractArchive(zipPath, target, { executables: [] });
    expect(statSync(path.join(target, 'bin', 'blender')).mode & 0o111).not.toBe(0);
    expect(statSync(path.join(target, 'bin', 'readme.txt')).mode & 0o111).toBe(0);
  });
});

describe('target directory handling', () => {
  it('replaces an existing target and leaves no staging directory behind', async () => {
    const writer = new ZipWriter(new Uint8ArrayWriter());
    await writer.add('new.txt', new Uint8ArrayReader(new TextEncoder().encode('new')));
    const zipPath = path.join(work, 'replace.zip');
    writeFileSync(zipPath, await writer.close());
    const parent = mkdtempSync(path.join(work, 'replace-'));
    const target = path.join(parent, 'job');
    await extractArchive(zipPath, target);
    writeFileSync(path.join(target, 'stale.txt'), 'old');
    await extractArchive(zipPath, target);
    expect(readdirSync(target)).toEqual(['new.txt']);
    expect(readdirSync(parent)).toEqual(['job']);
  });
});
