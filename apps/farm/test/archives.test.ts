import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningFarm } from '../src/index';
import { TestClient } from './helpers/client';
import { testFarm } from './helpers/farm';
import { renderJobByHand, run } from './helpers/render';

let farm: RunningFarm;
let client: TestClient;
let work: string;

beforeEach(async () => {
  farm = await testFarm();
  client = new TestClient(farm.url);
  work = await mkdtemp(join(tmpdir(), 'flock-farm-archives-'));
});
afterEach(async () => {
  await farm.close();
  await rm(work, { recursive: true, force: true });
});

async function downloadProject(encryption: 'zipcrypto' | 'aes') {
  const project = await farm.addProject({ frames: [1, 1], encryption, resolution: [40, 30] });
  await client.login();
  const job = await client.job();
  const zip = join(work, `${job.archiveMd5}.zip`);
  const bytes = (await client.download('job', job.id)).bytes;
  await writeFile(zip, bytes);
  expect(createHash('md5').update(bytes).digest('hex')).toBe(project.archiveMd5);
  return { project, job, zip };
}

describe('project archives', () => {
  it('a ZipCrypto archive opens with Debian unzip -P and holds the scene at the job path', async () => {
    const { job, zip } = await downloadProject('zipcrypto');
    await run('unzip', ['-q', '-P', job.password, zip, '-d', join(work, 'out')]);
    const scene = JSON.parse(await readFile(join(work, 'out', job.path), 'utf8'));
    expect(scene).toMatchObject({ flockSynthetic: 1, resolution: [40, 30] });
    await expect(run('unzip', ['-q', '-o', '-P', 'wrong', zip, '-d', join(work, 'bad')])).rejects.toThrow();
  });

  it('an AES archive is WinZip AES-256 and opens with 7zz x -p', async () => {
    const { job, zip } = await downloadProject('aes');
    const listing = await run('7zz', ['l', '-slt', `-p${job.password}`, zip]);
    expect(listing.stdout).toContain('Method = AES-256');
    await run('7zz', ['x', '-y', `-p${job.password}`, `-o${join(work, 'out')}`, zip]);
    expect(JSON.parse(await readFile(join(work, 'out', job.path), 'utf8')).resolution).toEqual([40, 30]);
  });
});

describe('renderer archive', () => {
  it('holds an executable rend.exe at its root whose frame passes validation', async () => {
    await farm.addProject({ frames: [3, 3], resolution: [40, 30], samples: 4 });
    await client.login();
    const job = await client.job();
    const frame = await renderJobByHand(client, job, work);
    const rendExe = join(work, job.renderer.md5, 'rend.exe');
    expect((await stat(rendExe)).mode & 0o111).not.toBe(0);
    expect(await readFile(rendExe, 'utf8')).toContain('SYNTHETIC RENDERER');
    expect(await client.validate(job, frame)).toBe(0);
    expect(farm.frames(1)[0]?.state).toBe('done');
  });

  it('keeps the same MD5 across farm restarts so clients keep their cache', async () => {
    const first = farm.renderers.find((renderer) => renderer.kind === 'synthetic')?.md5;
    const again = await testFarm();
    try {
      expect(again.renderers.find((renderer) => renderer.kind === 'synthetic')?.md5).toBe(first);
    } finally {
      await again.close();
    }
  });

  it('serves a ready-made archive given to addProject, with its MD5 and password', async () => {
    const file = join(work, 'fixture.zip');
    await run('zip', ['-q', '-j', '-P', 'fixture-pw', file, join(import.meta.dirname, 'archives.test.ts')]);
    const md5 = createHash('md5')
      .update(await readFile(file))
      .digest('hex');
    const project = await farm.addProject({ frames: [1, 1], archive: { file, md5, password: 'fixture-pw' } });
    expect(project).toMatchObject({ archiveMd5: md5, archivePassword: 'fixture-pw' });
    await client.login();
    const job = await client.job();
    expect([job.archiveMd5, job.password]).toEqual([md5, 'fixture-pw']);
    expect((await client.download('job', job.id)).bytes).toEqual(await readFile(file));
  });
});
