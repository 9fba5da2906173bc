import type { BlenderOutputEvent, BlenderPhase, RenderDeviceReport, StopReason } from '@flock/protocol';
import type { Clock } from '../clock.js';
import type { SystemCommands } from './memory-sampler.js';
import type { ComputeDevice } from './script.js';

/** One frame to render, from the job answer plus where the agent put the renderer and the project. */
export interface RenderJob {
  jobId: string;
  /** `job@frame` as sent (e.g. `0007`). */
  frame: string;
  /** `renderer@commandline`. */
  commandline: string;
  /** `renderer@update_method`. */
  updateMethod: string;
  /** The job's `<script>`; must define `sheepit_set_compute_device`. */
  serverScript: string;
  /** `job@use_gpu`. */
  useGpu: boolean;
  rendererPath: string;
  /** The extracted .blend (`<job dir>/<job@path>`). */
  blendPath: string;
  /** Where the script and Blender's output go (and TEMP/TMP point). */
  workDir: string;
}

export interface RenderOptions {
  /** `-t N` and CORES; unset = all cores. */
  cores?: number;
  /** Nice level -20…19, 19 (lowest) by default: `nice` on Linux/macOS, a priority class on Windows. */
  priority?: number;
  /** The memory limit: RSS of Blender's process tree above this → stopped, error 21. Unset or 0 = none. */
  memoryKiB?: number;
  /** The longest frame time → stopped, error 23; never for the farm's test frames. Unset or 0 = none. */
  maxFrameTimeSeconds?: number;
  /** The selected GPU, given only when the compute method allows GPUs; used when the job says use_gpu. */
  gpu?: ComputeDevice;
  clock?: Clock;
  /** Base environment (default: the agent's own). */
  env?: NodeJS.ProcessEnv;
  /** Path of `nice`, or null for none; default: found on PATH (never on Windows). */
  nice?: string | null;
  /** The platform whose ways to measure, prioritise and stop processes apply; default this machine's. */
  platform?: NodeJS.Platform;
  /** The `ps`, `powershell.exe` and `taskkill.exe` to run (default: from the PATH). */
  systemCommands?: Partial<SystemCommands>;
  /**
   * Delete the extracted .blend once Blender's output shows it was loaded — its first `Fra:` line
   * (docs/decisions.md D13: Blender prints `Read blend:` before it opens the file). Default true.
   */
  removeBlendWhenLoaded?: boolean;
  /** Called once Blender's output shows the .blend was loaded (after the removal, if enabled). */
  onBlendLoaded?: (blendPath: string) => void | Promise<void>;
  onEvent?: (event: RenderEvent) => void;
  /**
   * RSS sampling period in wall-time ms (the official client's: 200 ms); at least 1 s where a sample
   * runs a command (macOS, Windows).
   */
  memoryPollMs?: number;
  /** SIGTERM → SIGKILL delay when stopping Blender, wall-time ms. */
  killGraceMs?: number;
  /** Log lines kept for the error report; the first lines and the most recent ones survive. */
  maxLogLines?: number;
}

export type RenderEvent =
  | { type: 'started'; pid: number; argv: string[] }
  /** Every line Blender printed (stdout and stderr merged). */
  | { type: 'line'; line: string }
  /** What the protocol's Blender output parser read from a line (progress, phase, version, …). */
  | { type: 'output'; event: BlenderOutputEvent }
  /** RSS of Blender's process tree. */
  | { type: 'memory'; rssKiB: number; peakKiB: number }
  /** This platform cannot measure the tree's memory (no memory limit, no live figure): why. */
  | { type: 'memory-unavailable'; reason: string }
  | { type: 'blend-removed'; path: string }
  /** Blender is being stopped: for a stop reason, or on a fatal output line; `errorType` is what gets reported. */
  | { type: 'stopping'; errorType: number; detail: string };

/** What one Blender run measured; the same whether it made a frame or not. */
export interface RenderFacts {
  /** Render-phase seconds, exact (docs/protocol.md §5.1: first progress → post-processing or the end). */
  renderTimeSeconds: number;
  /**
   * Peak RSS of Blender's process tree (or Blender's own peak where /proc is unavailable), KiB: what
   * validation and error reports send as `memoryused`.
   */
  memoryUsedKiB: number;
  blenderVersion?: string;
  /** The device Blender rendered on, when its output said (the protocol's Blender output parser). */
  device?: RenderDeviceReport;
  /** Blender's lines plus the agent's `flock:` notes. */
  log: string[];
}

/** The outcome of one frame's render, as the Blender runner returns it and the farm loop reads it. */
export type RenderResult =
  | (RenderFacts & { ok: true; outputFile: string })
  | (RenderFacts & {
      ok: false;
      /** The error type to report (docs/protocol.md §5.5). */
      errorType: number;
      message: string;
      /** Null when Blender never ran, or a signal ended it. */
      exitCode: number | null;
      signal: string | null;
    });

/** The render's live numbers, for the keep-alive (`rendertime`, `remainingtime`) and the UI. */
export interface RenderSnapshot {
  running: boolean;
  phase?: BlenderPhase;
  /** 0–100. */
  percent?: number;
  remainingSeconds?: number;
  /** Seconds since Blender started. */
  elapsedSeconds: number;
  /** Seconds of the render phase so far (what validation reports as `rendertime`). */
  renderSeconds: number;
  rssKiB?: number;
  peakMemoryKiB: number;
}

export interface RenderHandle {
  readonly result: Promise<RenderResult>;
  snapshot(): RenderSnapshot;
  on(listener: (event: RenderEvent) => void): () => void;
  /**
   * Stops Blender and its helpers (SIGTERM, then SIGKILL after the grace period, to the process
   * group; on Windows `taskkill /T /F`).
   */
  stop(reason: StopReason, detail?: string): void;
}
