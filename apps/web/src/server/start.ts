import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ConsoleCore, type ConsoleOptions, createConsoleCore } from './core';
import { type ConsoleHttpOptions, createConsoleHttpServer } from './http';

export interface RunningConsole {
  core: ConsoleCore;
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/** Starts the core and the HTTP server (with or without pages) and resolves once listening. */
export async function startConsole(
  options: ConsoleOptions & ConsoleHttpOptions & { host?: string; port?: number },
): Promise<RunningConsole> {
  const core = await createConsoleCore(options);
  const server = createConsoleHttpServer(core, options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    core,
    server,
    url: `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`,
    async stop() {
      // Agent sockets still count as server connections after the upgrade: drop them first.
      core.hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await core.close();
    },
  };
}
