// Two farm sessions of one process sharing one archive cache (issue 15), against the real sandbox
// farm: both get a frame of the same project at once and ask for its archive at the same moment.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { ArchiveCache, md5File } from '../src/download/index.js';
import { farmSessionWithJob, type SessionWithJob } from '../testing/farm-session.js';
import { cleanUp, syntheticProject, tempDir, testFarm } from './e2e-helpers.js';

afterEach(cleanUp);

/** What the job runner does for its project archive: hold it, then get it from the cache. */
async function projectArchive(cache: ArchiveCache, session: SessionWithJob) {
  const lease = cache.acquire(session.job.archiveMd5);
  return { file: await cache.ensure(session.projectDownload), lease };
}

describe('one cache, two sessions', () => {
  it('two sessions asking for the same archive at once: one download, both get the verified file', async () => {
    const downloads: string[] = [];
    const farm = await testFarm({
      logLevel: 'info',
      logSink: (line) => {
        if (line.includes('/server/archive.php') && line.includes('type=job')) downloads.push(line);
      },
    });
    const project = await syntheticProject(farm, 4);
    const clock = new ManualClock(Date.now());
    const [first, second] = await Promise.all([
      farmSessionWithJob(farm.url, clock, 'session-a'),
      farmSessionWithJob(farm.url, clock, 'session-b'),
    ]);
    expect(first.job.archiveMd5).toBe(project.archiveMd5);
    expect(second.job.archiveMd5).toBe(project.archiveMd5);
    expect(first.job.id).not.toBe(second.job.id);

    const cache = await ArchiveCache.open({
      dir: path.join(await tempDir('shared-cache'), 'archives'),
      clock,
    });
    const [a, b] = await Promise.all([projectArchive(cache, first), projectArchive(cache, second)]);
    expect(downloads).toHaveLength(1);
    expect(a.file).toBe(b.file);
    expect(await md5File(a.file)).toBe(project.archiveMd5);

    // While both jobs hold it, the farm's delete waits; it goes when the last one is done.
    await cache.delete(project.archiveMd5);
    a.lease.release();
    expect(await md5File(b.file)).toBe(project.archiveMd5);
    b.lease.release();
    await expect(cache.verified(project.archiveMd5)).resolves.toBeUndefined();
    await cache.settled();
    await first.http.close();
    await second.http.close();
  });
});
