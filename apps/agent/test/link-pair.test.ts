import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  backoffDelay,
  LINK_CREDENTIALS_FILE,
  linkWhenPaired,
  loadLinkCredentials,
  PairingError,
  pair,
  saveLinkCredentials,
  startConsoleLink,
} from '../src/link';
import { SimulatedAgent } from '../testing/index.js';
import { FakeConsole } from './link-fake-console';

const SECRET = 'x'.repeat(43);
let server: Server;
let url: string;
let configDir: string;
let lastBody: unknown;

beforeEach(async () => {
  configDir = await mkdtemp(join(tmpdir(), 'flock-pair-'));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      lastBody = JSON.parse(body);
      const ok = req.url === '/api/pair' && (lastBody as { code: string }).code === 'K7Q9M2XD';
      res.writeHead(ok ? 200 : 403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(ok ? { machineId: 'm-1', secret: SECRET } : { error: 'code unknown or expired' }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('pair', () => {
  it('exchanges a code (typed loosely) for a secret stored 0600', async () => {
    const file = await pair(`${url}/some/page`, 'k7q9-m2xd', { configDir, hostname: 'render-01' });
    expect(lastBody).toEqual({ code: 'K7Q9M2XD', hostname: 'render-01' });
    expect(file).toBe(join(configDir, LINK_CREDENTIALS_FILE));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await loadLinkCredentials(configDir)).toEqual({
      consoleUrl: url,
      machineId: 'm-1',
      secret: SECRET,
    });
  });

  it('fails with the console reason on a refused code, writing nothing', async () => {
    await expect(pair(url, 'WRONG-CODE', { configDir })).rejects.toThrow(/403.*expired/);
    expect(await loadLinkCredentials(configDir)).toBeNull();
  });

  it('fails clearly when the console is unreachable', async () => {
    await expect(pair('http://127.0.0.1:9', 'K7Q9-M2XD', { configDir })).rejects.toBeInstanceOf(PairingError);
  });

  it('refuses a damaged credentials file with a clear error', async () => {
    await writeFile(join(configDir, LINK_CREDENTIALS_FILE), '{"consoleUrl": 3');
    await expect(loadLinkCredentials(configDir)).rejects.toThrow(/damaged/);
    expect(await readFile(join(configDir, LINK_CREDENTIALS_FILE), 'utf8')).toContain('consoleUrl');
  });
});

describe('backoffDelay', () => {
  it('stays within [ceiling/2, ceiling] and never passes the maximum', () => {
    const policy = { initialMs: 500, maxMs: 30_000 };
    fc.assert(
      fc.property(
        fc.nat(100),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** attempt);
          const delay = backoffDelay(attempt, policy, () => r);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
          expect(delay).toBeLessThanOrEqual(ceiling);
        },
      ),
    );
  });
});

describe('startConsoleLink', () => {
  it('does nothing for an agent that was never paired', async () => {
    expect(await startConsoleLink(new SimulatedAgent(), { agentVersion: 't', configDir })).toBeNull();
  });

  it('connects a paired agent with its stored credentials', async () => {
    const fakeConsole = new FakeConsole(Date.now);
    await fakeConsole.listening();
    await saveLinkCredentials(configDir, { consoleUrl: fakeConsole.url, machineId: 'm-1', secret: SECRET });
    const client = await startConsoleLink(new SimulatedAgent(), { agentVersion: 't', configDir });
    try {
      await vi.waitFor(() => expect(client?.status).toBe('connected'));
      expect(fakeConsole.authorizations).toEqual([`Bearer m-1.${SECRET}`]);
    } finally {
      await client?.stop();
      await fakeConsole.close();
    }
  });

  it("keeps the console's name for the machine and applies it at the next start, before the link is up", async () => {
    const named: string[] = [];
    const namedAgent = () =>
      Object.assign(new SimulatedAgent(), { applyMachineName: (name: string) => named.push(name) });
    const fakeConsole = new FakeConsole(Date.now);
    await fakeConsole.listening();
    await saveLinkCredentials(configDir, { consoleUrl: fakeConsole.url, machineId: 'm-1', secret: SECRET });
    const client = await startConsoleLink(namedAgent(), { agentVersion: 't', configDir });
    try {
      await vi.waitFor(() => expect(client?.status).toBe('connected'));
      fakeConsole.send({ type: 'machine-name', name: 'alice-desk' });
      await vi.waitFor(async () =>
        expect((await loadLinkCredentials(configDir))?.machineName).toBe('alice-desk'),
      );
      expect(named).toEqual(['alice-desk']);
    } finally {
      await client?.stop();
      await fakeConsole.close();
    }
    // The console is gone: the name is applied from the credentials file alone.
    const restarted = await startConsoleLink(namedAgent(), { agentVersion: 't', configDir });
    expect(named).toEqual(['alice-desk', 'alice-desk']);
    await restarted?.stop();
  });
});

describe('linkWhenPaired (the running agent)', () => {
  it('an agent paired while it runs links to the console without a restart', async () => {
    const fakeConsole = new FakeConsole(Date.now);
    await fakeConsole.listening();
    const logged: string[] = [];
    const link = await linkWhenPaired(new SimulatedAgent(), {
      agentVersion: 't',
      configDir,
      pairingCheckMs: 20,
      log: (_level, message) => logged.push(message),
    });
    try {
      expect(link.client).toBeUndefined();
      expect(logged.join('\n')).toMatch(/not paired with a console/);
      await saveLinkCredentials(configDir, { consoleUrl: fakeConsole.url, machineId: 'm-1', secret: SECRET });
      await vi.waitFor(() => expect(link.client?.status).toBe('connected'), { timeout: 10_000 });
      expect(fakeConsole.authorizations).toEqual([`Bearer m-1.${SECRET}`]);
    } finally {
      await link.stop();
      await fakeConsole.close();
    }
    expect(link.client?.status).toBe('stopped');
  });

  it('stops cleanly while still unpaired', async () => {
    const link = await linkWhenPaired(new SimulatedAgent(), {
      agentVersion: 't',
      configDir,
      pairingCheckMs: 20,
    });
    await link.stop();
    expect(link.client).toBeUndefined();
  });

  it('damaged credentials at start are an error to fix, as before', async () => {
    await writeFile(join(configDir, LINK_CREDENTIALS_FILE), '{"consoleUrl":');
    await expect(linkWhenPaired(new SimulatedAgent(), { agentVersion: 't', configDir })).rejects.toThrow(
      PairingError,
    );
  });
});
