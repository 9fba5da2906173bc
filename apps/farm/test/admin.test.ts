import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningFarm, startFarm } from '../src/index';
import { TestClient } from './helpers/client';
import { png, testFarm } from './helpers/farm';

let farm: RunningFarm;
let auth: { authorization: string };

beforeEach(async () => {
  farm = await testFarm();
  auth = { authorization: `Bearer ${farm.adminToken}` };
});
afterEach(() => farm.close());

function admin(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  return fetch(`${farm.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...auth, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

describe('admin API', () => {
  it('adds, lists and cancels projects', async () => {
    const created = await admin('/admin/projects', {
      method: 'POST',
      body: { name: 'From the console', frames: [1, 3], encryption: 'aes', resolution: [32, 16] },
    });
    expect(created.status).toBe(201);
    const project = (await created.json()) as { id: number; encryption: string; renderer: string };
    expect(project).toMatchObject({ id: 1, encryption: 'aes', renderer: 'synthetic' });
    const state = (await (await admin('/admin/state')).json()) as { projects: { framesWaiting: number }[] };
    expect(state.projects).toEqual([expect.objectContaining({ name: 'From the console', framesWaiting: 3 })]);
    const cancelled = await admin('/admin/projects/1/cancel', { method: 'POST' });
    expect(((await cancelled.json()) as { state: string }).state).toBe('cancelled');
    expect(farm.projects()[0]?.state).toBe('cancelled');
    expect((await admin('/admin/projects/9/cancel', { method: 'POST' })).status).toBe(404);
  });

  it("never serves a file named in the request: `archive` is the farm API's alone", async () => {
    const created = await admin('/admin/projects', {
      method: 'POST',
      body: { frames: [1, 1], archive: { file: '/etc/passwd', md5: 'a'.repeat(32), password: 'x' } },
    });
    expect(created.status).toBe(201);
    const project = (await created.json()) as { archiveMd5: string };
    expect(project.archiveMd5).not.toBe('a'.repeat(32));
  });

  it('refuses bad projects with a readable 400 and requests without credentials with 401', async () => {
    const bad = await admin('/admin/projects', { method: 'POST', body: { frames: [5, 1] } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/start <= end/);
    const missing = await admin('/admin/projects', {
      method: 'POST',
      body: { frames: [1, 2], blendFile: '/nope.blend' },
    });
    expect(((await missing.json()) as { error: string }).error).toMatch(/no such \.blend file/);
    expect((await fetch(`${farm.url}/admin/state`)).status).toBe(401);
  });
});

describe('admin API credential', () => {
  const basic = (login: string, password: string) =>
    `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;

  it('takes only the admin token: farm accounts (demo/demo too) and wrong tokens get 401', async () => {
    const status = async (authorization?: string) =>
      (await fetch(`${farm.url}/admin/state`, authorization ? { headers: { authorization } } : {})).status;
    expect(await status(basic('demo', 'demo'))).toBe(401);
    expect(await status(basic('admin', farm.adminToken))).toBe(401);
    expect(await status(`Bearer ${farm.adminToken.slice(0, -1)}x`)).toBe(401);
    expect(await status(`Bearer ${farm.adminToken}extra`)).toBe(401);
    expect(await status('Bearer ')).toBe(401);
    expect(await status()).toBe(401);
    expect(await status(`Bearer ${farm.adminToken}`)).toBe(200);
  });

  it('makes a random token at first start, in the data dir (0600), and keeps it across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'flock-farm-admin-'));
    try {
      const first = await startFarm({ dataDir, renderer: 'synthetic', logLevel: 'silent' });
      await first.close();
      const file = join(dataDir, 'admin-token');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect((await readFile(file, 'utf8')).trim()).toBe(first.adminToken);
      expect(first.adminToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const second = await startFarm({ dataDir, renderer: 'synthetic', logLevel: 'silent' });
      expect(second.adminToken).toBe(first.adminToken);
      await second.close();
      const other = await testFarm();
      expect(other.adminToken).not.toBe(first.adminToken);
      await other.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('uses a token given in the options instead, and refuses one too short to be a secret', async () => {
    const given = await testFarm({ adminToken: 'a-long-enough-admin-token-for-tests' });
    const state = await fetch(`${given.url}/admin/state`, {
      headers: { authorization: 'Bearer a-long-enough-admin-token-for-tests' },
    });
    expect(state.status).toBe(200);
    await given.close();
    await expect(testFarm({ adminToken: 'short' })).rejects.toThrow(/at least 16/);
  });
});

describe('admin API: .blend upload (multipart)', () => {
  function upload(form: FormData): Promise<Response> {
    return fetch(`${farm.url}/admin/projects`, { method: 'POST', headers: auth, body: form });
  }

  it('refuses a form without a blend part, with bad options, or when the farm has no Blender', async () => {
    const noBlend = new FormData();
    noBlend.append('options', JSON.stringify({ frames: [1, 2] }));
    expect(((await (await upload(noBlend)).json()) as { error: string }).error).toMatch(
      /no part named "blend"/,
    );
    const badOptions = new FormData();
    badOptions.append('options', '{nope');
    badOptions.append('blend', new Blob(['BLENDER-v304']), 'shot.blend');
    expect(((await (await upload(badOptions)).json()) as { error: string }).error).toMatch(/not JSON/);
    const noBlender = new FormData();
    noBlender.append('options', JSON.stringify({ frames: [1, 2] }));
    noBlender.append('blend', new Blob(['BLENDER-v304']), 'shot.blend');
    const refused = await upload(noBlender);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/needs Blender/);
    expect(farm.projects()).toEqual([]);
  });
});

describe('status page', () => {
  it('shows projects, sessions and the last frames as thumbnails', async () => {
    await farm.addProject({ frames: [1, 2], name: 'Sheep <3' });
    const client = new TestClient(farm.url);
    await client.login();
    const job = await client.job();
    expect(await client.validate(job, png(64, 48))).toBe(0);
    const page = await fetch(`${farm.url}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('Sheep &#60;3');
    expect(html).toContain('<span class="tag">synthetic</span>');
    expect(html).toContain('1/2');
    expect(html).toContain('test-host');
    expect(html).toContain('<img src="/frames/1/1.png"');
    expect((await fetch(`${farm.url}/frames/1/1.png`)).status).toBe(200);
    expect((await fetch(`${farm.url}/frames/1/2.png`)).status).toBe(404);
    expect((await fetch(`${farm.url}/frames/x/../../etc.png`)).status).toBe(404);
  });
});
