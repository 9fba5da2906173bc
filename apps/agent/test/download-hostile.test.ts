// Downloads from a farm that misbehaves on purpose: a body that never ends, a disk that fills up.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DownloadError, type DownloadFileOptions, downloadFile } from '../src/download/index.js';
import { startTestServer, type TestServer } from './download-server.js';
import { canMountTmpfs, mountTmpfs } from './support/tmpfs.js';

const MiB = 1024 * 1024;
const body = randomBytes(3 * MiB);
const md5 = createHash('md5').update(body).digest('hex');

let server: TestServer;
let dispatcher: Agent;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  dispatcher = new Agent();
});
afterAll(async () => {
  await dispatcher.close();
  await server.close();
});
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'flock-download-hostile-'));
  return () => rmSync(dir, { recursive: true, force: true });
});

function options(name: string, extra: Partial<DownloadFileOptions> = {}): DownloadFileOptions {
  return {
    url: server.url(name),
    destination: path.join(dir, `${md5}.zip`),
    md5,
    dispatcher,
    backoffMs: () => 0,
    ...extra,
  };
}

describe('a download that would fill the disk', () => {
  it('stops a body without Content-Length that never ends once it outgrows the free space', async () => {
    server.serve('endless', { body, faults: [{ type: 'endless' }] });
    const error = await downloadFile(
      options('endless', { freeBytes: async () => 4 * MiB, maxAttempts: 1 }),
    ).catch((e) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect(error).toMatchObject({ kind: 'no-space' });
    expect(error.message).toMatch(/free space/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe.runIf(canMountTmpfs())('a disk that really fills up (tmpfs)', () => {
  it('reports ENOSPC as no-space and leaves no partial file', async () => {
    const disk = mountTmpfs(2 * MiB);
    try {
      server.serve('full', { body });
      const destination = path.join(disk?.dir ?? '', `${md5}.zip`);
      // The probe is told there is room, so the kernel's ENOSPC is what stops the download.
      const error = await downloadFile(
        options('full', { destination, freeBytes: async () => 1024 * MiB }),
      ).catch((e) => e);
      expect(error).toMatchObject({ name: 'DownloadError', kind: 'no-space' });
      expect(readdirSync(disk?.dir ?? '')).toEqual([]);
    } finally {
      disk?.unmount();
    }
  });
});
