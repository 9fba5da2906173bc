import { mkdtempSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { inferRouterOutputs } from '@trpc/server';
import { LinkClient, type LinkClientOptions, loadLinkCredentials, pair } from 'flock-agent';
import { SimulatedAgent } from 'flock-agent/testing';
import type { AppRouter } from '../../src/server/api/router';
import { type RunningConsole, type StartOptions, startConsole } from '../../src/server/start';

export const ADMIN_PASSWORD = 'correct horse battery staple';

/** Every tRPC response body seen by `call`, so a test can prove no secret ever left the server. */
export const seenResponses: string[] = [];

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function startTestConsole(options: Partial<StartOptions> = {}): Promise<RunningConsole> {
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
  const method = kind === 'query' ? 'GET' : 'POST';
  const body = kind === 'mutation' ? JSON.stringify(input ?? null) : undefined;
  const response = running.certificate
    ? await httpsCall(url, method, headers, body, running.certificate.cert)
    : await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) }).then(async (answer) => ({
        status: answer.status,
        text: await answer.text(),
        setCookie: answer.headers.get('set-cookie'),
      }));
  seenResponses.push(response.text);
  return { status: response.status, body: JSON.parse(response.text), setCookie: response.setCookie };
}

/** One HTTPS request to a console that trusts exactly its certificate (as a browser told to would). */
export function httpsCall(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  ca: string,
): Promise<{ status: number; text: string; setCookie: string | null }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, headers, ca }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text,
          setCookie: res.headers['set-cookie']?.join(', ') ?? null,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const dataOf = <T>(body: unknown): T => (body as { result: { data: T } }).result.data;

export async function login(running: RunningConsole): Promise<string> {
  const { status, setCookie } = await call(running, 'mutation', 'auth.login', { password: ADMIN_PASSWORD });
  if (status !== 200 || !setCookie) throw new Error(`login failed: ${status}`);
  return setCookie.split(';')[0] ?? '';
}

/** What "Add machine" shows: a one-time code, the install commands, the certificate pin on HTTPS. */
export type AddedMachine = inferRouterOutputs<AppRouter>['machines']['addCode'];

/** Clicks "Add machine" as the logged-in user behind `cookie`. */
export async function addMachine(running: RunningConsole, cookie: string): Promise<AddedMachine> {
  const { body } = await call(
    running,
    'mutation',
    'machines.addCode',
    { consoleUrl: running.url },
    { cookie },
  );
  return dataOf<AddedMachine>(body);
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
  const { code } = await addMachine(running, cookie);
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
