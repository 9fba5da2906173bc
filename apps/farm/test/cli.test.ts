import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient } from './helpers/client';
import { killHard, runCli, spawnFarm } from './helpers/process';

let child: ChildProcess | undefined;
const dataDirs: string[] = [];

async function freshDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'flock-farm-cli-'));
  dataDirs.push(dir);
  return dir;
}

afterEach(async () => {
  if (child) await killHard(child);
  child = undefined;
  for (const dir of dataDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('flock-farm CLI', () => {
  it('prints help and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('npm run farm -- add-project FILE.blend --frames A-B');
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--port', 'eighty'], /--port must be a whole number/],
    [['--account', 'nopassword'], /--account must look like login:password/],
    [['--fault', '{"kind":"nope"}'], /--fault: invalid fault/],
    [['--admin-token', 'short'], /--admin-token .*at least 16 printable characters/],
    [['serve-everything'], /unknown command "serve-everything"/],
    [['add-project', '--synthetic'], /add-project needs --frames A-B/],
    [['add-project', '--synthetic', '--frames', 'all'], /--frames must look like 1-100/],
  ])('refuses %j with one clear line and exit 2', { concurrent: true }, async (args, message) => {
    // These fail before the data dir is touched, so they can share one and run side by side.
    const result = await runCli([...args, '--data', join(tmpdir(), 'flock-farm-cli-never-created')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('add-project refuses a missing .blend with exit 1', async () => {
    const dataDir = await freshDataDir();
    const result = await runCli([
      'add-project',
      join(dataDir, 'nope.blend'),
      '--frames',
      '1-2',
      '--data',
      dataDir,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no such \.blend file/);
  });

  it('says where the admin token is at start, never the token itself; the token opens the admin API', {
    timeout: 30_000,
  }, async () => {
    const dataDir = await freshDataDir();
    const farm = await spawnFarm(['--port', '0', '--data', dataDir, '--renderer', 'synthetic', '--no-demo']);
    child = farm.child;
    const file = join(dataDir, 'admin-token');
    await expect
      .poll(() => farm.output())
      .toContain(`admin API: ${farm.url}/admin/… with Authorization: Bearer <token> (token in ${file})`);
    const token = (await readFile(file, 'utf8')).trim();
    expect(farm.output()).not.toContain(token);
    const state = await fetch(`${farm.url}/admin/state`, { headers: { authorization: `Bearer ${token}` } });
    expect(state.status).toBe(200);
    const demo = await fetch(`${farm.url}/admin/state`, {
      headers: { authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}` },
    });
    expect(demo.status).toBe(401);
  });

  it('serves with accounts and faults from flags, and logs one line per request', {
    timeout: 30_000,
  }, async () => {
    const dataDir = await freshDataDir();
    const farm = await spawnFarm([
      '--port',
      '0',
      '--data',
      dataDir,
      '--renderer',
      'synthetic',
      '--account',
      'ada:lovelace',
      '--fault',
      '{"kind":"status","endpoint":"request-job","status":207,"times":1}',
    ]);
    child = farm.child;
    const client = new TestClient(farm.url);
    await client.login({ login: 'ada', password: 'lovelace' });
    expect((await client.requestJob()).status).toBe(207);
    const answer = await client.requestJob();
    expect(answer.status).toBe(0);
    expect(answer.job?.name).toBe('Demo: synthetic scene (synthetic)');
    await expect(new TestClient(farm.url).login()).rejects.toThrow(/status 102/);
    expect(farm.output()).toMatch(
      /INFO {2}POST \/server\/request_job\.php http=200 ms=\d+ session=\w{8} status=0 job=100 frame=0001/,
    );
  });
});
