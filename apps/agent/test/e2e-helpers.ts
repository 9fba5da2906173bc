// Shared set-up for the agent's tests against the real sandbox farm (synthetic renderer): a farm in
// a temp dir, an agent wired exactly as the CLI wires it (same render port), and waiting helpers
// that poll real state instead of sleeping fixed times.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RunningFarm, type StartFarmOptions, startFarm } from 'flock-farm';
import { Agent, type AgentOptions } from '../src/agent.js';
import { type Clock, ManualClock } from '../src/clock.js';
import { type AgentSettings, toSettings } from '../src/config/index.js';
import type { MachineFacts } from '../src/hardware/index.js';
import { formatEntryLine, Logger } from '../src/log/index.js';
import { testMachineFacts } from '../testing/index.js';

export const MACHINE: MachineFacts = testMachineFacts('test-box');

const cleanups: (() => Promise<void>)[] = [];

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `flock-${prefix}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Closes every farm and removes every temp dir made since the last call (afterEach). */
export async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
}

export async function testFarm(options: Partial<StartFarmOptions> = {}): Promise<RunningFarm> {
  const farm = await startFarm({
    dataDir: await tempDir('farm'),
    renderer: 'synthetic',
    logLevel: 'warn',
    logSink: () => undefined,
    ...options,
  });
  cleanups.push(() => farm.close());
  return farm;
}

/** A fast synthetic project: `frames` frames of 64×48 rendered in ~50 ms each. */
export function syntheticProject(
  farm: RunningFarm,
  frames = 3,
  extra: Parameters<RunningFarm['addProject']>[0] extends infer T ? Partial<T> : never = {},
) {
  return farm.addProject({
    frames: [1, frames],
    resolution: [64, 48],
    synthetic: { renderMs: 50 },
    ...extra,
  });
}

export interface TestAgent {
  agent: Agent;
  settings: AgentSettings;
  lines: string[];
  run: Promise<number>;
}

export interface TestAgentOptions extends Partial<Omit<AgentOptions, 'settings'>> {
  settings?: Record<string, unknown>;
  cacheDir?: string;
  clock?: Clock;
  /** Create without running. */
  start?: boolean;
  /** Runs between creating the agent and starting its run, e.g. its console link as the CLI starts it. */
  beforeRun?: (agent: Agent) => Promise<void>;
}

export async function testAgent(farm: RunningFarm, options: TestAgentOptions = {}): Promise<TestAgent> {
  const { settings: rawSettings, cacheDir: givenCacheDir, start, beforeRun, ...agentOptions } = options;
  const cacheDir = givenCacheDir ?? (await tempDir('agent'));
  const settings = toSettings({
    server: farm.url,
    login: 'demo',
    password: 'demo',
    'cache-dir': cacheDir,
    ...rawSettings,
  });
  const clock = options.clock ?? new ManualClock(Date.now());
  const log = new Logger(clock);
  const lines: string[] = [];
  log.onEntry((entry) => lines.push(formatEntryLine(entry, 'text')));
  const agent = await Agent.create({
    settings,
    clock,
    log,
    machine: MACHINE,
    hwid: 'test-hwid',
    uploadBackoff: { firstMs: 1000, secondMs: 2000, maxMs: 4000, jitter: 0 },
    download: { backoffMs: () => 10 },
    // The manual clock jumps minutes while a real request takes milliseconds: a 60 s rate floor
    // would cut healthy calls. Tests of the floor pass their own.
    rateFloor: { windowMs: 7 * 24 * 60 * 60_000 },
    random: () => 0,
    skipSpeedtest: false,
    ...agentOptions,
  });
  await beforeRun?.(agent);
  const run = start === false ? new Promise<number>(() => undefined) : agent.run();
  cleanups.push(async () => {
    await agent.execute({ type: 'stop', when: 'now' });
    await Promise.race([run, new Promise((resolve) => setTimeout(resolve, 5000))]);
  });
  return { agent, settings, lines, run };
}

/**
 * Polls `condition` (real time) until it holds. With a ManualClock, time is moved on by `stepMs`
 * whenever the agent sleeps, so back-offs of minutes pass in milliseconds.
 */
export async function until(
  condition: () => boolean,
  options: { clock?: ManualClock; stepMs?: number; timeoutMs?: number; what?: string; lines?: string[] } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  while (!condition()) {
    if (Date.now() > deadline) {
      const log = options.lines ? `\n--- agent log ---\n${options.lines.slice(-40).join('\n')}` : '';
      throw new Error(`timed out waiting for ${options.what ?? 'a condition'}${log}`);
    }
    if (options.clock && options.clock.pendingSleepers > 0 && options.stepMs)
      await options.clock.advance(options.stepMs);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The error types the farm received, in order (-1 for a report without one). */
export function reportTypes(farm: RunningFarm): number[] {
  return farm.errorReports().map((report) => report.type ?? -1);
}

export function doneFrames(farm: RunningFarm, projectId: number): number {
  return farm.frames(projectId).filter((frame) => frame.state === 'done').length;
}

/** Moves the clock on in 30 s steps until `frames` frames of the project are done. */
export async function renderedUntilDone(
  farm: RunningFarm,
  t: TestAgent,
  clock: ManualClock,
  projectId: number,
  frames: number,
): Promise<void> {
  await until(() => doneFrames(farm, projectId) >= frames, {
    clock,
    stepMs: 30_000,
    what: `${frames} frames done`,
    lines: t.lines,
  });
}
