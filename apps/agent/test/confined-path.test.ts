// Defence in depth: the protocol refuses hostile farm values, and the agent still joins every name
// under its directories with helpers that refuse anything resolving outside. Here the values reach
// the agent's modules directly, as if the protocol check had been bypassed.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileIn, isInside, pathInside, UnsafePathError } from '../src/confined-path.js';
import { ArchiveCache } from '../src/download/index.js';

let root: string;
let outside: string;
let cacheDir: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'flock-confined-'));
  outside = path.join(root, 'outside');
  cacheDir = path.join(root, 'cache', 'archives');
  mkdirSync(outside);
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(path.join(outside, 'important.zip'), 'existed before');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const traversal = () => path.relative(cacheDir, path.join(outside, 'important'));

describe('fileIn / pathInside', () => {
  it.each(['', '.', '..', '../x', 'a/b', 'a\\b', 'x\0y', '/etc/passwd'])('fileIn refuses %j', (name) => {
    expect(() => fileIn(root, name)).toThrow(UnsafePathError);
  });

  it('fileIn joins one plain name', () => {
    expect(fileIn(root, '0123456789abcdef0123456789abcdef.zip')).toBe(
      path.join(root, '0123456789abcdef0123456789abcdef.zip'),
    );
  });

  it.each(['../x.blend', 'a/../../x.blend', '/etc/passwd', 'a/../..', ''])('pathInside refuses %j', (rel) => {
    expect(() => pathInside(root, rel)).toThrow(UnsafePathError);
  });

  it('pathInside resolves a nested relative path', () => {
    expect(pathInside(root, 'scenes/shot.blend')).toBe(path.join(root, 'scenes', 'shot.blend'));
    expect(isInside(root, path.join(root, 'a'))).toBe(true);
    expect(isInside(root, root)).toBe(false);
    expect(isInside(root, `${root}-sibling/a`)).toBe(false);
  });
});

describe('ArchiveCache with an MD5 that is not one', () => {
  it('verified() refuses it and deletes nothing outside the cache', async () => {
    const cache = await ArchiveCache.open({ dir: cacheDir });
    await expect(cache.verified(traversal())).rejects.toThrow(UnsafePathError);
    expect(readFileSync(path.join(outside, 'important.zip'), 'utf8')).toBe('existed before');
  });

  it('ensure() refuses it and creates nothing outside the cache', async () => {
    const cache = await ArchiveCache.open({ dir: cacheDir });
    const request = { md5: traversal(), url: 'http://127.0.0.1:9/never' };
    await expect(cache.ensure(request)).rejects.toThrow(UnsafePathError);
    expect(readdirSync(outside)).toEqual(['important.zip']);
    expect(readFileSync(path.join(outside, 'important.zip'), 'utf8')).toBe('existed before');
  });

  it('ensure() with a shared dir refuses it too', async () => {
    const cache = await ArchiveCache.open({ dir: cacheDir, sharedDir: path.join(root, 'shared') });
    const request = { md5: traversal(), url: 'http://127.0.0.1:9/never' };
    await expect(cache.ensure(request)).rejects.toThrow(UnsafePathError);
    expect(readdirSync(outside)).toEqual(['important.zip']);
  });
});
