// The console's public install routes: what they serve without a login, what they refuse, that
// nothing secret is in them; install.ps1 checked by its text (no PowerShell on this machine); the
// commands "Add machine" shows, built by one pure function.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { AgentManifestSchema } from '@flock/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCommands } from '../src/lib/install-commands';
import { MAX_AGENT_DOWNLOADS } from '../src/server/install/routes';
import type { RunningConsole } from '../src/server/start';
import { ADMIN_PASSWORD, addMachine, login, startTestConsole, tempDir } from './support/console';

/** A stand-in agent build: the routes serve whatever dist/ holds. */
function fakeDist(): string {
  const dist = tempDir('flock-dist-');
  writeFileSync(join(dist, 'flock-agent.mjs'), 'export function runCli() {}\n');
  writeFileSync(join(dist, 'launcher.mjs'), '// launcher\n');
  writeFileSync(join(dist, 'build.json'), JSON.stringify({ version: '0.1.0', node: '>=20.19' }));
  return dist;
}
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A raw GET with any Host header (fetch does not let a test choose it). */
function get(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Asks until the answer is the awaited one (the server takes the sockets in its own time), at most 10 s. */
async function answerWithin<T>(ask: () => Promise<T>, awaited: (answer: T) => boolean): Promise<T> {
  const started = Date.now();
  for (;;) {
    const answer = await ask();
    if (awaited(answer) || Date.now() - started > 10_000) return answer;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('install routes', () => {
  let running: RunningConsole;
  let secrets: string[];
  beforeAll(async () => {
    running = await startTestConsole({ agentDist: fakeDist() });
    const cookie = await login(running);
    const { code } = await addMachine(running, cookie);
    secrets = [ADMIN_PASSWORD, cookie.split('=')[1] ?? '', code];
  });
  afterAll(() => running.stop());

  it('serves the manifest, both files and both scripts without a login', async () => {
    const manifest = AgentManifestSchema.parse(
      JSON.parse((await get(`${running.url}/agent/manifest.json`)).body),
    );
    expect(manifest).toEqual({
      version: '0.1.0',
      minNode: '20.19.0',
      agent: {
        sha256: sha256('export function runCli() {}\n'),
        url: `/agent/builds/${manifest.agent.sha256}/flock-agent.mjs`,
      },
      launcher: {
        sha256: sha256('// launcher\n'),
        url: `/agent/builds/${manifest.agent.sha256}/launcher.mjs`,
      },
    });
    expect((await get(`${running.url}${manifest.agent.url}`)).body).toBe('export function runCli() {}\n');
    expect((await get(`${running.url}${manifest.launcher.url}`)).body).toBe('// launcher\n');
    for (const script of ['/install.sh', '/install.ps1']) {
      const { status, body } = await get(`${running.url}${script}`);
      expect(status).toBe(200);
      for (const secret of secrets) expect(body).not.toContain(secret);
    }
  });

  it('refuses other methods, unknown builds, paths out of the builds and hosts nobody configured', async () => {
    expect((await get(`${running.url}/install.sh`, {}, 'POST')).status).toBe(405);
    expect((await get(`${running.url}/agent/builds/${'0'.repeat(64)}/flock-agent.mjs`)).status).toBe(404);
    expect((await get(`${running.url}/agent/builds/../../console.sqlite`)).status).not.toBe(200);
    expect((await get(`${running.url}/agent/builds/%2e%2e%2fconsole.sqlite/flock-agent.mjs`)).status).toBe(
      404,
    );
    // A DNS name pointing at the console (rebinding) does not become the URL agents install from.
    const rebound = await get(`${running.url}/install.sh`, { host: 'evil.example:3000' });
    expect(rebound.status).toBe(400);
    expect(rebound.body).not.toContain('evil.example');
    const pathInHost = await get(`${running.url}/install.sh`, { host: '127.0.0.1:1/x' });
    expect(pathInHost.status).toBe(400);
  });

  it('install.sh is valid sh and fills in this console, the build and the Node floor', async () => {
    const script = (await get(`${running.url}/install.sh`)).body;
    const file = join(tempDir('flock-script-'), 'install.sh');
    writeFileSync(file, script);
    expect(spawnSync('sh', ['-n', file]).status).toBe(0);
    const manifest = running.core.agentBuilds.manifest();
    expect(script).toContain(`CONSOLE='${running.url}'`);
    expect(script).toContain(`AGENT_SHA256='${manifest?.agent.sha256}'`);
    expect(script).toContain("MIN_NODE='20.19.0'");
    expect(script).toContain("PIN=''");
    expect(script).not.toMatch(/__[A-Z0-9_]+__/);
  });

  it('install.ps1: the URLs, the hash check, the Node floor, and nothing secret (no pwsh here to run it)', async () => {
    const script = (await get(`${running.url}/install.ps1`)).body;
    const manifest = running.core.agentBuilds.manifest();
    expect(script).toContain(`$Console = '${running.url}'`);
    expect(script).toContain(`Url = '${manifest?.agent.url}'; Sha256 = '${manifest?.agent.sha256}'`);
    expect(script).toContain(`Url = '${manifest?.launcher.url}'; Sha256 = '${manifest?.launcher.sha256}'`);
    expect(script).toContain('(Get-FileHash -Algorithm SHA256 -Path $Out).Hash.ToLowerInvariant()');
    expect(script).toContain('if ($Actual -ne $File.Sha256)');
    expect(script).toContain("$MinNode = [version]'20.19.0'");
    expect(script).toContain("& node (Join-Path $Temp 'flock-agent.mjs') @Arguments");
    expect(script).not.toMatch(/__[A-Z0-9_]+__/);
    // Balanced braces and parentheses (a cheap stand-in for PowerShell's parser).
    expect(script.split('{').length).toBe(script.split('}').length);
    expect(script.split('(').length).toBe(script.split(')').length);
    expect(script.split('\n').length).toBeLessThan(60); // small
    expect(spawnSync('pwsh', ['-v']).error).toBeDefined(); // if pwsh appears, this test should run the script
  });

  it(`serves at most ${MAX_AGENT_DOWNLOADS} downloads at once; clients that stop reading do not block it for good`, async () => {
    const dist = fakeDist();
    // Large enough that a client that does not read keeps its download open (the socket buffers fill).
    writeFileSync(
      join(dist, 'flock-agent.mjs'),
      `export function runCli() {}\n//${'x'.repeat(16 * 1024 * 1024)}\n`,
    );
    const busy = await startTestConsole({ agentDist: dist });
    const stalled: Socket[] = [];
    try {
      const path = busy.core.agentBuilds.manifest()?.agent.url ?? '';
      const { port } = new URL(busy.url);
      for (let index = 0; index < MAX_AGENT_DOWNLOADS; index++) {
        const socket = connect(Number(port), '127.0.0.1');
        socket.pause(); // never reads
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
        stalled.push(socket);
      }
      const refused = await answerWithin(
        () => get(`${busy.url}${path}`),
        (answer) => answer.status !== 200,
      );
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.body).error).toBe('too many agent downloads at once: try again in a minute');
      for (const socket of stalled.splice(0)) socket.destroy();
      const freed = await answerWithin(
        () => get(`${busy.url}${path}`),
        (answer) => answer.status === 200,
      );
      expect(freed.status).toBe(200);
    } finally {
      for (const socket of stalled) socket.destroy();
      await busy.stop();
    }
  });

  it('without an agent build: 503 and what to do', async () => {
    const bare = await startTestConsole();
    try {
      const answer = await get(`${bare.url}/install.sh`);
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.body).error).toBe(
        'no agent build on this console yet: run `npm run build` where the console runs, then restart it',
      );
    } finally {
      await bare.stop();
    }
  });

  it('keeps the current and the previous build across restarts, and a damaged list is started over', async () => {
    const dataDir = tempDir('flock-builds-');
    const dist = fakeDist();
    const first = await startTestConsole({ dataDir, agentDist: dist });
    const firstSha = first.core.agentBuilds.current?.sha256;
    await first.stop();
    writeFileSync(join(dist, 'flock-agent.mjs'), 'export function runCli() { /* 2 */ }\n');
    const second = await startTestConsole({ dataDir, agentDist: dist });
    expect(second.core.agentBuilds.builds.map((b) => b.sha256)).toEqual([
      sha256('export function runCli() { /* 2 */ }\n'),
      firstSha,
    ]);
    await second.stop();
    mkdirSync(join(dataDir, 'agent-builds'), { recursive: true });
    writeFileSync(join(dataDir, 'agent-builds', 'builds.json'), '[{"sha256": "../../etc"}]');
    const third = await startTestConsole({ dataDir, agentDist: dist });
    expect(third.core.agentBuilds.builds.map((b) => b.sha256)).toEqual([
      sha256('export function runCli() { /* 2 */ }\n'),
    ]);
    expect(readFileSync(join(dataDir, 'agent-builds', 'builds.json'), 'utf8')).toContain(
      third.core.agentBuilds.current?.sha256,
    );
    await third.stop();
  });
});

describe('installCommands', () => {
  const PIN = `sha256//${Buffer.alloc(32, 7).toString('base64')}`;

  it('plain HTTP: curl | sh, PowerShell, and the clone command, with the code filled in', () => {
    expect(installCommands({ consoleUrl: 'http://192.168.1.10:3000/machines/x', code: 'K7Q9-M2XD' })).toEqual(
      {
        unix: 'curl -fsSL http://192.168.1.10:3000/install.sh | sh -s -- K7Q9-M2XD',
        windows: "$env:FLOCK_PAIRING_CODE='K7Q9-M2XD'; irm http://192.168.1.10:3000/install.ps1 | iex",
        clone: 'npm run agent -- pair http://192.168.1.10:3000 K7Q9-M2XD',
      },
    );
  });

  it('HTTPS with a pin: curl checks the pinned key (-k only skips the missing chain) and the agent gets it', () => {
    expect(installCommands({ consoleUrl: 'https://192.168.1.10:3000', code: 'K7Q9-M2XD', pin: PIN })).toEqual(
      {
        unix: `curl -fsSLk --pinnedpubkey '${PIN}' https://192.168.1.10:3000/install.sh | sh -s -- K7Q9-M2XD --fingerprint '${PIN}'`,
        windows: `$env:FLOCK_PAIRING_CODE='K7Q9-M2XD'; $env:FLOCK_FINGERPRINT='${PIN}'; irm https://192.168.1.10:3000/install.ps1 | iex`,
        clone: `npm run agent -- pair https://192.168.1.10:3000 K7Q9-M2XD --fingerprint '${PIN}'`,
      },
    );
  });

  it('refuses a code or pin a shell would interpret, and the console URL is reduced to its origin', () => {
    const hostileCodes = [
      'K7Q9-M2XD; rm -rf ~',
      '$(reboot)',
      '`id`',
      "K7Q9'M2XD",
      'K7Q9 M2XD',
      'K7Q9\nM2XD',
      '',
      'ÄÖÜ-1234',
    ];
    for (const code of hostileCodes)
      expect(() => installCommands({ consoleUrl: 'http://10.0.0.2:3000', code }), code).toThrow(
        'a pairing code',
      );
    for (const pin of [`${PIN}'; id; '`, 'sha256//short=', 'sha1//x', `${PIN}\n`])
      expect(
        () => installCommands({ consoleUrl: 'https://10.0.0.2:3000', code: 'K7Q9-M2XD', pin }),
        pin,
      ).toThrow('a certificate pin');
    const { unix } = installCommands({
      consoleUrl: "http://10.0.0.2:3000/a';id;'?q=$(x)#`y`",
      code: 'K7Q9-M2XD',
    });
    expect(unix).toBe('curl -fsSL http://10.0.0.2:3000/install.sh | sh -s -- K7Q9-M2XD');
  });
});
