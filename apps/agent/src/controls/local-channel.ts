// The running agent's local control channel: a Unix-domain socket in the cache dir (a named pipe on
// Windows), owner-only, speaking the same commands as the console link (Controls.execute). One JSON
// line in ({"command": {...}}), one JSON line out (the CommandResult), then the connection closes.
import { createHash } from 'node:crypto';
import { chmodSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type CommandResult, CommandResultSchema, ControlCommandSchema } from '@flock/protocol';
import type { Logger } from '../log/index.js';
import type { AgentCommand } from './controls.js';

export const CONTROL_SOCKET_NAME = 'flock-agent.sock';
/** A request is one small JSON line; anything longer is not a command. */
const MAX_REQUEST_BYTES = 8 * 1024;
const REQUEST_TIMEOUT_MS = 5_000;
const MAX_CONNECTIONS = 8;
/** Linux keeps 108 bytes of a socket path (macOS 104), the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = 100;

export class ControlChannelError extends Error {
  override readonly name = 'ControlChannelError';
}

/** Where the agent running with this cache dir listens (a deep cache dir: a short name in the temp dir). */
export function controlSocketPath(cacheDir: string): string {
  const dir = path.resolve(cacheDir);
  const id = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  if (process.platform === 'win32') return `\\\\.\\pipe\\flock-agent-${id}`;
  const inCache = path.join(dir, CONTROL_SOCKET_NAME);
  return Buffer.byteLength(inCache) < MAX_SOCKET_PATH_BYTES
    ? inCache
    : path.join(tmpdir(), `flock-agent-${id}.sock`);
}

export interface ControlChannel {
  path: string;
  close(): Promise<void>;
}

/**
 * Listens for local commands; returns null (with a log line) when another live agent already listens
 * for this cache dir. A socket file left by a crashed agent is replaced.
 */
export async function startControlChannel(options: {
  cacheDir: string;
  execute: (command: AgentCommand) => Promise<CommandResult>;
  log: Logger;
}): Promise<ControlChannel | null> {
  const socketPath = controlSocketPath(options.cacheDir);
  const server = createServer((socket) => serve(socket, options));
  server.maxConnections = MAX_CONNECTIONS;
  try {
    await listenOwnerOnly(server, socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    if (await answers(socketPath)) {
      options.log.warn('another agent listens for local commands on this cache dir; no control channel', {
        socket: socketPath,
      });
      return null;
    }
    rmSync(socketPath, { force: true });
    await listenOwnerOnly(server, socketPath);
  }
  options.log.info('local commands accepted (flock-agent retry|pause|resume|stop)', { socket: socketPath });
  return {
    path: socketPath,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        if (process.platform !== 'win32') rmSync(socketPath, { force: true });
      }),
  };
}

/**
 * Binds with a umask that leaves the socket to its owner, then sets 0600 explicitly too. `listen` on
 * a path binds synchronously, so the umask is back before anything else in the process creates a file.
 */
async function listenOwnerOnly(server: Server, socketPath: string): Promise<void> {
  const windows = process.platform === 'win32';
  const listening = new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve();
    });
  });
  const previous = windows ? 0 : process.umask(0o177);
  try {
    server.listen(socketPath);
  } finally {
    if (!windows) process.umask(previous);
  }
  await listening;
  if (!windows) chmodSync(socketPath, 0o600);
}

function serve(
  socket: Socket,
  options: { execute: (command: AgentCommand) => Promise<CommandResult>; log: Logger },
): void {
  let received = '';
  let handled = false;
  socket.setEncoding('utf8');
  socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  const reply = (result: CommandResult) => socket.end(`${JSON.stringify(result)}\n`);
  socket.on('data', (chunk: string) => {
    if (handled) return;
    received += chunk;
    if (Buffer.byteLength(received) > MAX_REQUEST_BYTES) {
      handled = true;
      return reply({ ok: false, reason: 'malformed', message: `request over ${MAX_REQUEST_BYTES} bytes` });
    }
    const newline = received.indexOf('\n');
    if (newline < 0) return;
    handled = true;
    void handle(received.slice(0, newline), options).then(reply);
  });
}

async function handle(
  line: string,
  options: { execute: (command: AgentCommand) => Promise<CommandResult>; log: Logger },
): Promise<CommandResult> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'malformed', message: 'not JSON' };
  }
  const parsed = ControlCommandSchema.safeParse((value as { command?: unknown } | null)?.command);
  if (!parsed.success) {
    options.log.warn('local command refused: malformed');
    return { ok: false, reason: 'malformed', message: parsed.error.issues[0]?.message ?? 'invalid command' };
  }
  options.log.info('local command', { command: parsed.data.type });
  try {
    return await options.execute(parsed.data);
  } catch (error) {
    return { ok: false, reason: 'failed', message: (error as Error).message.slice(0, 1000) };
  }
}

/** True when a live agent answers on the socket. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Sends one command to the agent running with this cache dir; throws ControlChannelError when none does. */
export function sendControlCommand(cacheDir: string, command: AgentCommand): Promise<CommandResult> {
  const socketPath = controlSocketPath(cacheDir);
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(REQUEST_TIMEOUT_MS, () =>
      socket.destroy(
        new ControlChannelError(`the agent did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`),
      ),
    );
    socket.on('connect', () => socket.write(`${JSON.stringify({ command })}\n`));
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (answer.length > MAX_REQUEST_BYTES) socket.destroy(new ControlChannelError('answer too long'));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof ControlChannelError) return reject(error);
      const none = error.code === 'ENOENT' || error.code === 'ECONNREFUSED';
      reject(
        new ControlChannelError(
          none
            ? `no agent is running with --cache-dir ${cacheDir} (no control socket at ${socketPath})`
            : `cannot reach the agent at ${socketPath}: ${error.message}`,
        ),
      );
    });
    socket.on('end', () => {
      const parsed = CommandResultSchema.safeParse(safeJson(answer.trim()));
      if (parsed.success) resolve(parsed.data);
      else reject(new ControlChannelError('the agent gave an answer that is not a command result'));
    });
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
