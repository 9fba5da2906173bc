import { createRenderDeviceTracker, type RenderDeviceReport } from './blender/device-lines';
import { classifyBlenderErrorLine } from './blender/error-lines';
import {
  type Fraction,
  isRenderFinishedLine,
  type MemoryReading,
  percentOf,
  readMemory,
  readPostProcessing,
  readProgress,
  readRemainingSeconds,
  readSavedPath,
  readTile,
  readVersion,
} from './blender/line-values';

export type BlenderPhase = 'loading' | 'rendering' | 'compositing' | 'denoising' | 'saving' | 'finished';

export type BlenderOutputEvent =
  | { type: 'version'; version: string; short: string }
  | { type: 'phase'; phase: BlenderPhase }
  | {
      type: 'progress';
      percent: number;
      current?: number;
      total?: number;
      remainingSeconds?: number;
      tile?: Fraction;
    }
  | { type: 'memory'; memKiB?: number; peakKiB?: number }
  | { type: 'saved'; path: string }
  | { type: 'error'; errorType: number; line: string }
  | { type: 'blend-loaded' }
  /** Which device renders, as Blender's output says it so far (blender/device-lines.ts). */
  | { type: 'device'; report: RenderDeviceReport };

/** Everything the parser learned so far: what the keep-alive, validation and error report need. */
export interface BlenderOutputSummary {
  version?: string;
  shortVersion?: string;
  phase?: BlenderPhase;
  /** Blender printed its first `Fra:` line: the extracted .blend may be removed (docs/decisions.md D13). */
  blendLoaded: boolean;
  /** Highest progress seen, 0–100. */
  percent?: number;
  remainingSeconds?: number;
  tile?: Fraction;
  /** Latest `Mem:` of Blender's allocator, KiB. */
  memKiB?: number;
  /** Largest `Peak` seen on any line, KiB. */
  peakKiB?: number;
  savedPaths: string[];
  /** The device Blender renders on, from the most direct line that said it. */
  device?: RenderDeviceReport;
  /** The first line that classified as an error: the one to report. */
  firstError?: { errorType: number; line: string };
  /** Render phase (docs/protocol.md §5.1: first progress → post-processing or the end), from `nowMs`. */
  renderStartMs?: number;
  renderEndMs?: number;
  renderMs?: number;
  /** `renderMs` in whole seconds, the `rendertime` a validation reports. */
  renderSeconds?: number;
}

export interface BlenderOutputParserOptions {
  /** `renderer@update_method`: `by_tile` reads tile counters, anything else the remaining time. */
  updateMethod: string;
}

export interface BlenderOutputParser {
  /** One line of Blender's merged stdout/stderr; `nowMs` (any clock) lets the parser time the render. */
  feed(line: string, nowMs?: number): BlenderOutputEvent[];
  /** The process ended: closes the render phase (it runs to the end when nothing post-processes). */
  end(nowMs?: number): BlenderOutputEvent[];
  summary(): BlenderOutputSummary;
}

/** Longer lines are only read up to here, so a runaway line cannot make a pattern slow. */
const MAX_LINE_CHARS = 16_384;

const PHASE_ORDER: Record<BlenderPhase, number> = {
  loading: 0,
  rendering: 1,
  compositing: 2,
  denoising: 2,
  saving: 3,
  finished: 4,
};

export function createBlenderOutputParser(options: BlenderOutputParserOptions): BlenderOutputParser {
  const state: BlenderOutputSummary = { blendLoaded: false, savedPaths: [] };
  const byTile = options.updateMethod === 'by_tile';
  let lastProgressKey = '';
  let lastMemoryKey = '';
  const devices = createRenderDeviceTracker();

  function enterPhase(phase: BlenderPhase, events: BlenderOutputEvent[]): void {
    const current = state.phase;
    if (current === phase || (current !== undefined && PHASE_ORDER[current] > PHASE_ORDER[phase])) return;
    state.phase = phase;
    events.push({ type: 'phase', phase });
  }

  function endRender(nowMs: number | undefined): void {
    if (state.renderStartMs === undefined || state.renderEndMs !== undefined || nowMs === undefined) return;
    state.renderEndMs = nowMs;
    state.renderMs = Math.max(0, nowMs - state.renderStartMs);
    state.renderSeconds = Math.floor(state.renderMs / 1000);
  }

  function renderEnded(): boolean {
    return state.phase !== undefined && PHASE_ORDER[state.phase] > PHASE_ORDER.rendering;
  }

  function noteVersion(line: string, events: BlenderOutputEvent[]): void {
    if (state.version !== undefined) return;
    const found = readVersion(line);
    if (!found) return;
    state.version = found.version;
    state.shortVersion = found.short;
    events.push({ type: 'version', ...found });
  }

  // Blender 3.4 prints `Read blend:` *before* it opens the file (deleting the .blend on that line made
  // real renders fail with `Unable to open`), so only the first `Fra:` line proves it was loaded.
  function noteBlendLoaded(line: string, events: BlenderOutputEvent[]): void {
    if (state.blendLoaded) return;
    if (line.startsWith('Read blend:')) enterPhase('loading', events);
    if (!line.startsWith('Fra:')) return;
    state.blendLoaded = true;
    enterPhase('loading', events);
    events.push({ type: 'blend-loaded' });
  }

  function noteProgress(line: string, nowMs: number | undefined, events: BlenderOutputEvent[]): void {
    const progress = readProgress(line);
    if (!progress) return;
    if (state.phase === undefined || PHASE_ORDER[state.phase] < PHASE_ORDER.rendering) {
      enterPhase('rendering', events);
      state.renderStartMs = nowMs;
    }
    // Counters restart per tile or pass (`Rendered 3/4 Tiles, Sample 0/4`): progress never goes back.
    state.percent = Math.max(state.percent ?? 0, percentOf(progress));
    const remainingSeconds = byTile ? undefined : readRemainingSeconds(line);
    if (remainingSeconds !== undefined) state.remainingSeconds = remainingSeconds;
    const tile = byTile ? readTile(line) : undefined;
    if (tile) state.tile = tile;
    pushProgress({ type: 'progress', percent: state.percent, ...progress, remainingSeconds, tile }, events);
  }

  function pushProgress(
    event: BlenderOutputEvent & { type: 'progress' },
    events: BlenderOutputEvent[],
  ): void {
    const key = JSON.stringify(event);
    if (key === lastProgressKey) return;
    lastProgressKey = key;
    events.push(event);
  }

  /** Rendering is over (post-processing, `Finished`, saved or quit): the bar ends at 100. */
  function completeProgress(nowMs: number | undefined, events: BlenderOutputEvent[]): void {
    endRender(nowMs);
    if (state.renderStartMs === undefined && state.percent === undefined) return;
    if (state.percent === 100) return;
    state.percent = 100;
    pushProgress({ type: 'progress', percent: 100 }, events);
  }

  function noteMemory(line: string, events: BlenderOutputEvent[]): void {
    const reading = readMemory(line);
    if (!reading) return;
    if (reading.memKiB !== undefined) state.memKiB = reading.memKiB;
    if (reading.peakKiB !== undefined) state.peakKiB = Math.max(state.peakKiB ?? 0, reading.peakKiB);
    const event: MemoryReading & { type: 'memory' } = { type: 'memory', ...reading };
    const key = JSON.stringify(event);
    if (key === lastMemoryKey) return;
    lastMemoryKey = key;
    events.push(event);
  }

  function noteMilestones(line: string, nowMs: number | undefined, events: BlenderOutputEvent[]): void {
    const postProcessing = readPostProcessing(line);
    const saved = readSavedPath(line);
    if (postProcessing) {
      if (!renderEnded()) completeProgress(nowMs, events);
      enterPhase(postProcessing, events);
    } else if (isRenderFinishedLine(line) && !renderEnded()) {
      completeProgress(nowMs, events);
    } else if (saved !== undefined) {
      if (!renderEnded()) completeProgress(nowMs, events);
      enterPhase('saving', events);
      state.savedPaths.push(saved);
      events.push({ type: 'saved', path: saved });
    } else if (line === 'Blender quit') {
      finish(nowMs, events);
    }
  }

  /** The process is done. The bar is not forced to 100: a render that stopped early did not finish. */
  function finish(nowMs: number | undefined, events: BlenderOutputEvent[]): void {
    endRender(nowMs);
    enterPhase('finished', events);
  }

  function noteDevice(line: string, events: BlenderOutputEvent[]): void {
    const report = devices.feed(line);
    if (!report) return;
    state.device = report;
    events.push({ type: 'device', report });
  }

  function noteError(line: string, events: BlenderOutputEvent[]): void {
    const errorType = classifyBlenderErrorLine(line);
    if (errorType === undefined) return;
    state.firstError ??= { errorType, line };
    events.push({ type: 'error', errorType, line });
  }

  return {
    feed(rawLine, nowMs) {
      const line = rawLine.slice(0, MAX_LINE_CHARS).trimEnd();
      const events: BlenderOutputEvent[] = [];
      noteVersion(line, events);
      noteBlendLoaded(line, events);
      noteDevice(line, events);
      noteError(line, events);
      noteMemory(line, events);
      noteProgress(line, nowMs, events);
      noteMilestones(line, nowMs, events);
      return events;
    },
    end(nowMs) {
      const events: BlenderOutputEvent[] = [];
      finish(nowMs, events);
      return events;
    },
    summary() {
      return {
        ...state,
        savedPaths: [...state.savedPaths],
        tile: state.tile && { ...state.tile },
        firstError: state.firstError && { ...state.firstError },
        device: state.device && { ...state.device, devices: state.device.devices.map((d) => ({ ...d })) },
      };
    },
  };
}
