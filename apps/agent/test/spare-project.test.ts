import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configure, Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { SpareProject } from '../src/farm/spare-project.js';
import { Logger } from '../src/log/index.js';

configure({ useWebWorkers: false });

let work: string;
let jobsDir: string;
let spare: SpareProject;

beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'flock-spare-'));
  jobsDir = path.join(work, 'jobs');
  spare = new SpareProject(jobsDir, new Logger(new ManualClock(0)));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

async function projectZip(name: string, password: string, content = 'BLENDER scene'): Promise<string> {
  const writer = new ZipWriter(new Uint8ArrayWriter(), { password, zipCrypto: true });
  await writer.add('scene.blend', new Uint8ArrayReader(new TextEncoder().encode(content)));
  const file = path.join(work, name);
  writeFileSync(file, await writer.close());
  return file;
}

/** A fresh job dir, as the job runner makes it before taking the spare. */
function jobTarget(id: string): string {
  mkdirSync(path.join(jobsDir, id), { recursive: true });
  return path.join(jobsDir, id, 'project');
}

describe('SpareProject', () => {
  it('hands the next job of the same project its extraction with one rename', async () => {
    const zip = await projectZip('a.zip', 'pw', 'frame data');
    spare.prepare(zip, 'A'.repeat(32), 'pw');
    const target = jobTarget('101');
    expect(await spare.take('a'.repeat(32), 'pw', target)).toBe(true);
    expect(readFileSync(path.join(target, 'scene.blend'), 'utf8')).toBe('frame data');
    expect(readdirSync(jobsDir)).toEqual(['101']);
  });

  it.each([
    ['another archive', 'b'.repeat(32), 'pw'],
    ['another password', 'a'.repeat(32), 'other'],
  ])('is removed, not used, for %s', async (_case, md5, password) => {
    spare.prepare(await projectZip('a.zip', 'pw'), 'a'.repeat(32), 'pw');
    expect(await spare.take(md5, password, jobTarget('102'))).toBe(false);
    await spare.settled();
    expect(readdirSync(jobsDir)).toEqual(['102']);
    expect(readdirSync(path.join(jobsDir, '102'))).toEqual([]);
  });

  it('is removed when the loop does something else than ask for the next job', async () => {
    spare.prepare(await projectZip('a.zip', 'pw'), 'a'.repeat(32), 'pw');
    spare.discard();
    await spare.settled();
    expect(existsSync(jobsDir) ? readdirSync(jobsDir) : []).toEqual([]);
    expect(await spare.take('a'.repeat(32), 'pw', jobTarget('103'))).toBe(false);
  });

  it('a spare that cannot be extracted only means the job extracts for itself', async () => {
    spare.prepare(await projectZip('a.zip', 'right'), 'a'.repeat(32), 'wrong');
    expect(await spare.take('a'.repeat(32), 'wrong', jobTarget('104'))).toBe(false);
    await spare.settled();
    expect(readdirSync(jobsDir)).toEqual(['104']);
  });

  it('a new spare replaces the one before, and a missing archive makes none', async () => {
    spare.prepare(await projectZip('a.zip', 'pw', 'first'), 'a'.repeat(32), 'pw');
    spare.prepare(await projectZip('b.zip', 'pw', 'second'), 'b'.repeat(32), 'pw');
    const target = jobTarget('105');
    expect(await spare.take('b'.repeat(32), 'pw', target)).toBe(true);
    expect(readFileSync(path.join(target, 'scene.blend'), 'utf8')).toBe('second');
    spare.prepare(path.join(work, 'gone.zip'), 'c'.repeat(32), 'pw');
    expect(await spare.take('c'.repeat(32), 'pw', jobTarget('106'))).toBe(false);
    await spare.settled();
    expect(readdirSync(jobsDir).sort()).toEqual(['105', '106']);
  });
});
