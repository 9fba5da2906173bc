// The login speed test (docs/protocol.md §2.2): ping every mirror target (TCP connect), then download
// from the closest ones until three succeed; the answer lists them fastest first. Durations are
// measured with performance.now(): they are measurements of the network, not schedules, so no
// injected clock.
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { SpeedtestResult } from '@flock/protocol';
import { type Dispatcher, request } from 'undici';

export interface SpeedtestOptions {
  dispatcher: Dispatcher;
  pings?: number;
  pingTimeoutMs?: number;
  downloadTimeoutMs?: number;
  /** Stop reading a payload after this many bytes (the speed is measured on what was read). */
  maxPayloadBytes?: number;
  /** Ends the test at once (the agent is stopping): the targets measured so far are returned. */
  signal?: AbortSignal;
}

const WANTED_RESULTS = 3;

export async function runSpeedtest(
  targets: readonly string[],
  options: SpeedtestOptions,
): Promise<SpeedtestResult[]> {
  const pinged = await Promise.all(
    targets.map(async (target) => ({ target, ping: await averagePing(target, options) })),
  );
  const reachable = pinged
    .filter((entry): entry is { target: string; ping: number } => entry.ping !== undefined)
    .sort((a, b) => a.ping - b.ping);
  const results: SpeedtestResult[] = [];
  for (const { target, ping } of reachable) {
    if (results.length === WANTED_RESULTS || options.signal?.aborted) break;
    const speed = await downloadSpeed(target, options).catch(() => undefined);
    if (speed !== undefined) results.push({ target, speed, ping });
  }
  return results.sort((a, b) => b.speed - a.speed);
}

async function averagePing(target: string, options: SpeedtestOptions): Promise<number | undefined> {
  const url = new URL(target);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const times: number[] = [];
  for (let i = 0; i < (options.pings ?? 3) && !options.signal?.aborted; i++) {
    const time = await tcpConnectTime(url.hostname, port, options.pingTimeoutMs ?? 3000, options.signal);
    if (time !== undefined) times.push(time);
  }
  if (times.length === 0) return undefined;
  return Math.max(1, Math.round(times.reduce((sum, t) => sum + t, 0) / times.length));
}

function tcpConnectTime(
  host: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<number | undefined> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host, port, timeout: timeoutMs });
    const finish = (ok: boolean) => {
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(ok ? performance.now() - started : undefined);
    };
    const onAbort = () => finish(false);
    if (signal?.aborted) return finish(false);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(true));
    socket.once('timeout', () => finish(false));
    socket.once('error', () => finish(false));
  });
}

async function downloadSpeed(target: string, options: SpeedtestOptions): Promise<number | undefined> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(options.downloadTimeoutMs ?? 60_000);
  const answer = await request(target, {
    dispatcher: options.dispatcher,
    signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
  });
  if (answer.statusCode !== 200) {
    await answer.body.dump();
    return undefined;
  }
  let bytes = 0;
  const cap = options.maxPayloadBytes ?? 64 * 1024 * 1024;
  for await (const chunk of answer.body) {
    bytes += (chunk as Buffer).length;
    if (bytes >= cap) break;
  }
  const seconds = Math.max((performance.now() - started) / 1000, 0.001);
  return bytes === 0 ? undefined : Math.round(bytes / seconds);
}
