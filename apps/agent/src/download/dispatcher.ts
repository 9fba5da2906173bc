import { Agent, type Dispatcher, ProxyAgent } from 'undici';

export interface DispatcherOptions {
  /** `--proxy URL`: every download goes through this HTTP(S) proxy. */
  proxy?: string;
  /** A connection silent for this long is treated as cut (then resumed). Default 60 s. */
  idleTimeoutMs?: number;
}

/** The undici dispatcher the agent downloads with: its own connection pool, optionally via a proxy. */
export function createDispatcher(options: DispatcherOptions = {}): Dispatcher {
  const idle = options.idleTimeoutMs ?? 60_000;
  const timeouts = { headersTimeout: idle, bodyTimeout: idle, connect: { timeout: 30_000 } };
  return options.proxy ? new ProxyAgent({ uri: options.proxy, ...timeouts }) : new Agent(timeouts);
}
