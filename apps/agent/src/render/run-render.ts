/**
 * One Blender run (docs/protocol.md §4, §5): script file, argv from the protocol package (no shell),
 * the priority (`nice`, or a Windows priority class), the environment of docs/protocol.md §4.3,
 * output parsed live, RSS and time limits, external kills of the whole process tree, the output file
 * found with the dot (docs/decisions.md D5), and every failure classified for the error report.
 * The platform comes in with the options (default: this machine's), so every branch is testable.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  type BlenderOutputParser,
  buildBlenderArgv,
  classifyRenderExit,
  createBlenderOutputParser,
  DEFAULT_PRIORITY,
  ErrorType,
  errorType as errorTypeInfo,
  isTestFrame,
  type StopReason,
  stopErrorType,
} from '@flock/protocol';
import { type Clock, systemClock } from '../clock.js';
import { fileIn } from '../confined-path.js';
import { findNice, renderEnvironment, withPriority } from './environment.js';
import { RenderLog } from './log.js';
import { DEFAULT_SYSTEM_COMMANDS, type SystemCommands } from './memory-sampler.js';
import { MemoryWatch } from './memory-watch.js';
import { findOutputFile } from './output-file.js';
import { applyPriorityAfterSpawn } from './priority.js';
import { renderScript, writeScriptFile } from './script.js';
import { killProcessTree, type TreeKillStage } from './tree-kill.js';
import type {
  RenderEvent,
  RenderHandle,
  RenderJob,
  RenderOptions,
  RenderResult,
  RenderSnapshot,
} from './types.js';

/** The official client fires the frame-time limit 2 s after the limit itself. */
const TIME_LIMIT_SLACK_MS = 2_000;
/** A memory check on every output line (as the official client) is throttled to this: it reads /proc. */
const LINE_MEMORY_CHECK_MS = 50;
const MEMORY_POLL_MS = 200;

export function runRender(job: RenderJob, options: RenderOptions = {}): RenderHandle {
  return new RenderRun(job, options).handle;
}

interface ExitInfo {
  exitCode: number | null;
  signal: string | null;
  spawnError?: Error;
}

class RenderRun {
  readonly handle: RenderHandle;
  private readonly clock: Clock;
  private readonly listeners = new Set<(event: RenderEvent) => void>();
  private readonly parser: BlenderOutputParser;
  private readonly log: RenderLog;
  private readonly finished = new AbortController();
  private readonly platform: NodeJS.Platform;
  private readonly commands: SystemCommands;
  private child: ChildProcess | undefined;
  private memory: MemoryWatch | undefined;
  private startedWithNice = false;
  /** Why Blender is being stopped, once it is: the error type to report and what happened. */
  private stopping: { errorType: number; detail: string } | undefined;
  private peakRssKiB = 0;
  private lastRssKiB: number | undefined;
  private lineCount = 0;
  private startedAt = 0;

  constructor(
    private readonly job: RenderJob,
    private readonly options: RenderOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.platform = options.platform ?? process.platform;
    this.commands = { ...DEFAULT_SYSTEM_COMMANDS, ...options.systemCommands };
    this.parser = createBlenderOutputParser({ updateMethod: job.updateMethod });
    this.log = new RenderLog(options.maxLogLines ?? 20_000);
    if (options.onEvent) this.listeners.add(options.onEvent);
    this.handle = {
      // Started on the next microtask: the caller can attach listeners, or kill, before Blender starts.
      result: Promise.resolve().then(() => this.run()),
      on: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      stop: (reason, detail) => this.stopFor(reason, detail),
      snapshot: () => this.snapshot(),
    };
  }

  private async run(): Promise<RenderResult> {
    let scriptPath: string | undefined;
    try {
      const gpu = this.job.useGpu ? this.options.gpu : undefined;
      scriptPath = writeScriptFile(this.job.workDir, renderScript(this.job.serverScript, gpu));
      if (!existsSync(this.job.rendererPath)) {
        const message = `renderer ${this.job.rendererPath} does not exist`;
        this.note(message);
        return this.failure(ErrorType.MISSING_RENDERER, message, { exitCode: null, signal: null });
      }
      const exit = this.stopping ? undefined : await this.spawnAndWait(this.buildArgv(scriptPath));
      return await this.outcome(exit);
    } catch (error) {
      const message = `could not start Blender: ${error instanceof Error ? error.message : String(error)}`;
      this.note(message);
      return this.failure(ErrorType.FAILED_TO_EXECUTE, message, { exitCode: null, signal: null });
    } finally {
      this.finished.abort();
      if (scriptPath) rmSync(scriptPath, { force: true });
    }
  }

  private buildArgv(scriptPath: string): string[] {
    const argv = buildBlenderArgv({
      commandline: this.job.commandline,
      rendererPath: this.job.rendererPath,
      blendPath: this.job.blendPath,
      scriptPath,
      outputPrefix: fileIn(this.job.workDir, `${this.job.jobId}_`),
      frame: this.job.frame,
      ...(this.options.cores !== undefined && { cores: this.options.cores }),
    });
    const env = this.options.env ?? process.env;
    const nice = this.options.nice === undefined ? findNice(env.PATH, this.platform) : this.options.nice;
    this.startedWithNice = nice !== null;
    return withPriority(argv, this.priority, nice);
  }

  private get priority(): number {
    return this.options.priority ?? DEFAULT_PRIORITY;
  }

  private spawnAndWait(argv: string[]): Promise<ExitInfo> {
    const [command = '', ...args] = argv;
    const env = renderEnvironment(this.options.env ?? process.env, {
      workDir: this.job.workDir,
      ...(this.options.cores !== undefined && { cores: this.options.cores }),
      priority: this.priority,
    });
    this.note(`starting ${JSON.stringify(argv)}`);
    this.startedAt = this.clock.now();
    // Detached: Blender leads its own process group, so a kill reaches nice, Blender and any helper
    // (on Windows: no console of its own, so a Ctrl-C in the agent's console does not reach it).
    const child = spawn(command, args, {
      cwd: this.job.workDir,
      env,
      detached: true,
      windowsHide: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    return new Promise((resolve) => {
      let spawned = false;
      child.once('error', (spawnError) => {
        // Without a process (e.g. ENOENT) no 'close' may follow; with one, 'close' reports the exit.
        if (!spawned) resolve({ exitCode: null, signal: null, spawnError });
      });
      child.once('spawn', () => {
        spawned = true;
        this.onSpawned(child, argv);
      });
      for (const stream of [child.stdout, child.stderr]) {
        if (!stream) continue;
        createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
          this.onLine(line),
        );
      }
      child.once('close', (exitCode, signal) => {
        this.finished.abort();
        this.killTree('leftovers');
        resolve({ exitCode, signal });
      });
    });
  }

  private onSpawned(child: ChildProcess, argv: string[]): void {
    if (child.pid === undefined) return;
    this.note(applyPriorityAfterSpawn(child.pid, this.priority, this.platform, this.startedWithNice));
    this.emit({ type: 'started', pid: child.pid, argv });
    if (this.stopping) this.terminate();
    this.watchMemory(child.pid);
    void this.watchTime();
  }

  private onLine(line: string): void {
    this.lineCount += 1;
    this.log.add(line);
    this.emit({ type: 'line', line });
    for (const event of this.parser.feed(line, this.clock.now())) {
      this.emit({ type: 'output', event });
      if (event.type === 'error') this.stopBlender(event.errorType, event.line);
      if (event.type === 'blend-loaded') void this.onBlendLoaded();
    }
    this.memory?.onOutputLine();
  }

  private async onBlendLoaded(): Promise<void> {
    try {
      if (this.options.removeBlendWhenLoaded !== false) {
        await rm(this.job.blendPath, { force: true });
        this.note(`removed ${this.job.blendPath}: Blender has loaded it (first Fra: line)`);
        this.emit({ type: 'blend-removed', path: this.job.blendPath });
      }
      await this.options.onBlendLoaded?.(this.job.blendPath);
    } catch (error) {
      this.note(`after the .blend was loaded: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * RSS sampling and the SIGKILL grace period supervise a real OS process, so they run on wall-time
   * timers, not on the injected clock: a test clock that jumps hours must neither fire thousands of
   * samples nor hold back a SIGKILL. Policy times (the frame-time limit, durations) use the clock.
   */
  private watchMemory(rootPid: number): void {
    this.memory = new MemoryWatch({
      rootPid,
      platform: this.platform,
      commands: this.commands,
      pollMs: this.options.memoryPollMs ?? MEMORY_POLL_MS,
      lineCheckMs: LINE_MEMORY_CHECK_MS,
      signal: this.finished.signal,
      onRss: (rss) => this.onRss(rss),
      onUnavailable: (reason) => {
        const detail = `cannot measure the memory of Blender's processes on ${this.platform}: ${reason}`;
        this.note(detail);
        this.emit({ type: 'memory-unavailable', reason: detail });
      },
    });
    this.memory.start();
  }

  private onRss(rss: number): void {
    this.lastRssKiB = rss;
    this.peakRssKiB = Math.max(this.peakRssKiB, rss);
    this.emit({ type: 'memory', rssKiB: rss, peakKiB: this.peakRssKiB });
    const limit = this.options.memoryKiB ?? 0;
    if (limit > 0 && rss > limit)
      this.stopFor('memory', `memory ${rss} KiB is over the limit of ${limit} KiB`);
  }

  private async watchTime(): Promise<void> {
    const limitSeconds = this.options.maxFrameTimeSeconds ?? 0;
    if (limitSeconds <= 0 || isTestFrame(this.job.jobId)) return;
    try {
      await this.clock.sleep(limitSeconds * 1000 + TIME_LIMIT_SLACK_MS, this.finished.signal);
    } catch {
      return;
    }
    this.stopFor('time-limit', `render time is over the limit of ${limitSeconds} s`);
  }

  private snapshot(): RenderSnapshot {
    const summary = this.parser.summary();
    const now = this.clock.now();
    const started = this.child?.pid !== undefined;
    const renderMs =
      summary.renderMs ?? (summary.renderStartMs === undefined ? 0 : now - summary.renderStartMs);
    return {
      running: started && !this.finished.signal.aborted,
      ...(summary.phase !== undefined && { phase: summary.phase }),
      ...(summary.percent !== undefined && { percent: summary.percent }),
      ...(summary.remainingSeconds !== undefined && { remainingSeconds: summary.remainingSeconds }),
      elapsedSeconds: started ? Math.round((now - this.startedAt) / 1000) : 0,
      renderSeconds: Math.round(Math.max(0, renderMs) / 1000),
      ...(this.lastRssKiB !== undefined && { rssKiB: this.lastRssKiB }),
      peakMemoryKiB: this.peakRssKiB,
    };
  }

  private stopFor(reason: StopReason, detail?: string): void {
    this.stopBlender(stopErrorType(reason), detail ?? `stopped (${reason})`);
  }

  /** The first stop wins: it is what gets reported. */
  private stopBlender(errorType: number, detail: string): void {
    if (this.stopping || this.finished.signal.aborted) return; // too late once Blender has ended
    this.stopping = { errorType, detail };
    this.note(`stopping Blender: ${detail}`);
    this.emit({ type: 'stopping', errorType, detail });
    if (this.child?.pid !== undefined) this.terminate(); // else: not started yet, and it will not be
  }

  private terminate(): void {
    this.killTree('terminate');
    const timer = setTimeout(() => this.killTree('kill'), this.options.killGraceMs ?? 5_000);
    this.finished.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  }

  private killTree(stage: TreeKillStage): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    killProcessTree(pid, stage, this.platform, {
      taskkill: this.commands.taskkill,
      onNote: (message) => this.note(message),
    });
  }

  private async outcome(exit: ExitInfo | undefined): Promise<RenderResult> {
    const ended = exit ?? { exitCode: null, signal: null };
    for (const event of this.parser.end(this.clock.now())) this.emit({ type: 'output', event });
    this.note(`Blender ended: exit code ${ended.exitCode}, signal ${ended.signal}`);
    if (this.stopping) return this.failure(this.stopping.errorType, this.stopping.detail, ended);
    if (ended.spawnError) {
      return this.failure(
        ErrorType.FAILED_TO_EXECUTE,
        `could not run Blender: ${ended.spawnError.message}`,
        ended,
      );
    }
    const outputFile = findOutputFile(this.job.workDir, this.job.jobId, this.job.frame);
    if (outputFile) return { ok: true, outputFile, ...this.measurements() };
    const type = this.classify(ended);
    return this.failure(type, `no output file: ${errorTypeInfo(type).explanation}`, ended);
  }

  private classify(exit: ExitInfo): number {
    const crashFile = join(
      this.job.workDir,
      `${basename(this.job.blendPath).replace(/\.blend$/i, '')}.crash.txt`,
    );
    return classifyRenderExit({
      crashFileExists: existsSync(crashFile),
      exitCode: exit.exitCode,
      signal: exit.signal,
      runMs: this.clock.now() - this.startedAt,
      hadOutput: this.lineCount > 0,
    });
  }

  private failure(errorType: number, message: string, exit: Omit<ExitInfo, 'spawnError'>): RenderResult {
    return {
      ok: false,
      errorType,
      message,
      exitCode: exit.exitCode,
      signal: exit.signal,
      ...this.measurements(),
    };
  }

  private measurements() {
    const summary = this.parser.summary();
    const renderMs = summary.renderMs ?? Math.max(0, this.clock.now() - this.startedAt);
    return {
      renderTimeSeconds: renderMs / 1000,
      memoryUsedKiB: this.peakRssKiB > 0 ? this.peakRssKiB : (summary.peakKiB ?? 0),
      ...(summary.version !== undefined && { blenderVersion: summary.version }),
      ...(summary.device !== undefined && { device: summary.device }),
      log: this.log.lines(),
    };
  }

  private note(message: string): void {
    this.log.add(`flock: ${message}`);
  }

  private emit(event: RenderEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A faulty listener must not break the render.
      }
    }
  }
}
