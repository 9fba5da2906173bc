import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkClient, type LinkClientOptions, loadLinkCredentials, pair } from 'flock-agent';
import { SimulatedAgent } from 'flock-agent/testing';
import type { ConsoleOptions } from '../../src/server/core';
import { type RunningConsole, startConsole } from '../../src/server/start';

export const ADMIN_PASSWORD = 'correct horse battery staple';

/** Every tRPC response body seen by `call`, so a test can prove no secret ever left the server. */
export const seenResponses: string[] = [];

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function startTestConsole(
  options: Partial<ConsoleOptions> & { port?: number } = {},
): Promise<RunningConsole> {
  return startConsole({ dataDir: tempDir('flock-console-'), adminPassword: ADMIN_PASSWORD, ...options });
}

export interface CallOptions {
  cookie?: string;
  origin?: string | null;
}

/** One tRPC call over real HTTP: a GET for queries, a POST for mutations. */
export async function call(
  running: RunningConsole,
  kind: 'query' | 'mutation',
  path: string,
  input?: unknown,
  options: CallOptions = {},
): Promise<{ status: number; body: unknown; setCookie: string | null }> {
  const url = new URL(`/api/trpc/${path}`, running.url);
  if (kind === 'query' && input !== undefined) url.searchParams.set('input', JSON.stringify(input));
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const origin = options.origin === undefined ? running.url : options.origin;
  if (origin !== null) headers.origin = origin;
  if (options.cookie) headers.cookie = options.cookie;
  const response = await fetch(url, {
    method: kind === 'query' ? 'GET' : 'POST',
    headers,
    ...(kind === 'mutation' ? { body: JSON.stringify(input ?? null) } : {}),
  });
  const text = await response.text();
  seenResponses.push(text);
  return { status: response.status, body: JSON.parse(text), setCookie: response.headers.get('set-cookie') };
}

export const dataOf = <T>(body: unknown): T => (body as { result: { data: T } }).result.data;

export async function login(running: RunningConsole): Promise<string> {
  const { status, setCookie } = await call(running, 'mutation', 'auth.login', { password: ADMIN_PASSWORD });
  if (status !== 200 || !setCookie) throw new Error(`login failed: ${status}`);
  return setCookie.split(';')[0] ?? '';
}

/** Pairs a simulated agent through the real UI code + `pair()` and starts its link client. */
export async function pairSimulatedAgent(
  running: RunningConsole,
  cookie: string,
  hostname: string,
  linkOptions: Partial<LinkClientOptions> = {},
): Promise<{
  agent: SimulatedAgent;
  client: LinkClient;
  /** Another link client for the same agent and credentials (a restarted link). */
  newClient: () => LinkClient;
  machineId: string;
  secret: string;
}> {
  const { body } = await call(
    running,
    'mutation',
    'machines.addCode',
    { consoleUrl: running.url },
    { cookie },
  );
  const { code } = dataOf<{ code: string }>(body);
  const configDir = tempDir('flock-agent-');
  await pair(running.url, code, { configDir, hostname });
  const credentials = await loadLinkCredentials(configDir);
  if (!credentials) throw new Error('pairing wrote no credentials');
  const agent = new SimulatedAgent({ hostname });
  const newClient = () => {
    const client = new LinkClient({
      consoleUrl: credentials.consoleUrl,
      machineId: credentials.machineId,
      secret: credentials.secret,
      agent,
      agentVersion: '0.1.0-test',
      backoff: { initialMs: 50, maxMs: 200 },
      minPatchIntervalMs: 50,
      ...linkOptions,
    });
    client.start();
    return client;
  };
  return {
    agent,
    client: newClient(),
    newClient,
    machineId: credentials.machineId,
    secret: credentials.secret,
  };
}
