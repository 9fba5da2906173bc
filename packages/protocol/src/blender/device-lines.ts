/**
 * Which device Blender renders on, read from its output, and whether that is the device chosen.
 * Three kinds of line say it, from the most to the least direct:
 * - `cycles`: Cycles' own report at the end of a render, printed when Cycles logging is on (Blender
 *   3.x/4.x `--debug-cycles`, 5.x `--log-level info --log cycles`):
 *   `Path tracing on: <description> (<backend>)[ (display)][ (<n> threads)] [<device id>]`, one more
 *   device per line below it, indented to the colon's width when several render together.
 * - `flock-check`: the line the agent's core script prints after `sheepit_set_compute_device`, from
 *   the same settings Cycles reads when it picks its device (see `RENDER_DEVICE_CHECK_PYTHON`).
 * - `server-script`: what the farm's `sheepit_set_compute_device` says it set
 *   (`sheepit_set_compute_device: CPU`, `sheepit_set_compute_device: GPU <name>[ [<id>]]`).
 * Each reader returns undefined for any other line and never throws.
 */

export type RenderDeviceSource = 'cycles' | 'flock-check' | 'server-script';

export interface RenderDevice {
  family: 'CPU' | 'GPU';
  /** The Cycles backend as the farm names it (`CUDA`, `OPTIX`, `HIP`, `METAL`, `ONEAPI`), for GPUs. */
  type?: string;
  /** Cycles' device id (`CUDA_<model>_<pci>`, `…_OptiX`, `CPU`), when the line gives it. */
  id?: string;
  /** The device's name (GPU model, CPU brand), when the line gives it. */
  name?: string;
}

export interface RenderDeviceReport {
  source: RenderDeviceSource;
  /** At least one; a GPU render with the CPU enabled too lists both. */
  devices: RenderDevice[];
}

/** How much a source is believed: a later line of a more direct source replaces a report. */
export const RENDER_DEVICE_SOURCE_RANK: Record<RenderDeviceSource, number> = {
  'server-script': 0,
  'flock-check': 1,
  cycles: 2,
};

/** The prefix of the agent's check line; the rest is JSON (`{"devices":[{"type","id","name"}]}`, CPU: `[]`). */
export const RENDER_DEVICE_CHECK_PREFIX = 'flock render device: ';

/** Texts longer than this are cut: a device name or id is short, a hostile line may not be. */
const MAX_DEVICE_TEXT = 200;
const MAX_DEVICES = 16;

/** Cycles' backend names in its report (`device_type_for_description`) → the farm's names. */
const CYCLES_BACKENDS: Record<string, string> = {
  CPU: 'CPU',
  CUDA: 'CUDA',
  OptiX: 'OPTIX',
  HIP: 'HIP',
  'HIP RT': 'HIP',
  HIPRT: 'HIP',
  Metal: 'METAL',
  oneAPI: 'ONEAPI',
  OpenCL: 'OPENCL',
};

const PATH_TRACING_LABEL = 'Path tracing on: ';
/**
 * `<description> (<backend>)[ (display)][ (<n> threads)] [<id>]`: the backend is one of Cycles' names, so a
 * description holding parentheses, and the `(display)` flag after the backend, are read right.
 */
const CYCLES_DEVICE = new RegExp(
  `^(.+) \\((${Object.keys(CYCLES_BACKENDS).join('|')})\\)(?: \\(display\\))?(?: \\(\\d+ threads\\))? \\[(.+)\\]$`,
);
/** A further device of the same report: indented to the width of `Path tracing on: `. */
const CONTINUATION_INDENT = ' '.repeat(PATH_TRACING_LABEL.length);
const SERVER_SCRIPT = /^sheepit_set_compute_device: (?:(CPU)|GPU (.+?))(?: \[(.+)\])?$/;

function cut(text: string): string {
  return text.trim().slice(0, MAX_DEVICE_TEXT);
}

/** A device's description in Cycles' report is far shorter; longer text is not read (the pattern backtracks). */
const MAX_DESCRIPTION_CHARS = 600;

/** One device description of Cycles' report, or undefined. */
function cyclesDevice(text: string): RenderDevice | undefined {
  if (text.length > MAX_DESCRIPTION_CHARS) return undefined;
  const match = CYCLES_DEVICE.exec(text);
  const backend = match?.[2] && CYCLES_BACKENDS[match[2]];
  if (!match?.[1] || !match[3] || !backend) return undefined;
  if (backend === 'CPU') return { family: 'CPU', id: cut(match[3]), name: cut(match[1]) };
  return { family: 'GPU', type: backend, id: cut(match[3]), name: cut(match[1]) };
}

/** The first device of Cycles' report (`Path tracing on: …`), wherever a log prefix puts the label. */
export function readPathTracingDevice(line: string): RenderDevice | undefined {
  const at = line.indexOf(PATH_TRACING_LABEL);
  if (at < 0) return undefined;
  return cyclesDevice(line.slice(at + PATH_TRACING_LABEL.length));
}

/** A further device of the report, on the line right after the previous one. */
export function readPathTracingContinuation(line: string): RenderDevice | undefined {
  if (!line.startsWith(CONTINUATION_INDENT) || line[CONTINUATION_INDENT.length] === ' ') return undefined;
  return cyclesDevice(line.slice(CONTINUATION_INDENT.length));
}

/** The agent's core-script check line. */
export function readRenderDeviceCheck(line: string): RenderDevice[] | undefined {
  if (!line.startsWith(RENDER_DEVICE_CHECK_PREFIX)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line.slice(RENDER_DEVICE_CHECK_PREFIX.length));
  } catch {
    return undefined;
  }
  const listed = (value as { devices?: unknown } | null)?.devices;
  if (!Array.isArray(listed) || listed.length > MAX_DEVICES) return undefined;
  const gpus: RenderDevice[] = [];
  for (const entry of listed) {
    const { type, id, name } = (entry ?? {}) as Record<string, unknown>;
    if (typeof type !== 'string' || typeof id !== 'string' || !/^[A-Z]{2,10}$/.test(type)) return undefined;
    gpus.push({ family: 'GPU', type, id: cut(id), ...(typeof name === 'string' && { name: cut(name) }) });
  }
  return gpus.length > 0 ? gpus : [{ family: 'CPU' }];
}

/** What the farm script's `sheepit_set_compute_device` printed. */
export function readServerScriptDevice(line: string): RenderDevice | undefined {
  const match = SERVER_SCRIPT.exec(line);
  if (!match) return undefined;
  if (match[1]) return { family: 'CPU' };
  const name = cut(match[2] ?? '');
  if (name === '') return undefined;
  return { family: 'GPU', name, ...(match[3] && { id: cut(match[3]) }) };
}

/** The device a client chose for a frame: the CPU, or a GPU by id (the form given to the script). */
export type ChosenDevice = { family: 'CPU' } | { family: 'GPU'; id: string; type?: string };

/** A short name for people: `CPU`, `NVIDIA GeForce RTX 3060 (OPTIX)`, several joined by ` + `. */
export function renderDeviceLabel(devices: readonly RenderDevice[]): string {
  const gpus = devices.filter((device) => device.family === 'GPU');
  if (gpus.length === 0) return 'CPU';
  const names = gpus.map((gpu) => {
    const name = gpu.name ?? gpu.id ?? 'GPU';
    return gpu.type ? `${name} (${gpu.type})` : name;
  });
  return names.join(' + ').slice(0, MAX_DEVICE_TEXT);
}

export function chosenDeviceLabel(chosen: ChosenDevice): string {
  return chosen.family === 'CPU' ? 'CPU' : chosen.id.slice(0, MAX_DEVICE_TEXT);
}

/**
 * A sentence when the report shows Blender rendering elsewhere than chosen, else undefined: on the
 * CPU for a GPU choice (Cycles' silent fall-back when the device is missing or not enabled), on a
 * GPU for a CPU choice, or on another GPU. GPUs are compared by id when the report has one; a
 * choice in the position form (`METAL_0`, `HIP_1`: used where the full id cannot be known) and any
 * Metal choice are compared by backend only.
 */
export function renderDeviceMismatch(chosen: ChosenDevice, report: RenderDeviceReport): string | undefined {
  const used = renderDeviceLabel(report.devices);
  const gpus = report.devices.filter((device) => device.family === 'GPU');
  if (chosen.family === 'CPU') {
    return gpus.length === 0 ? undefined : `the CPU was chosen but Blender rendered on ${used}`;
  }
  const wanted = `GPU ${chosenDeviceLabel(chosen)} was chosen`;
  if (gpus.length === 0) return `${wanted} but Blender rendered on the CPU`;
  const byPosition = /^([A-Z]+)_\d+$/.exec(chosen.id)?.[1];
  if (chosen.type === 'METAL' || byPosition) {
    const backend = byPosition ?? chosen.type;
    return gpus.some((gpu) => gpu.type === undefined || gpu.type === backend)
      ? undefined
      : `${wanted} but Blender rendered on ${used}`;
  }
  const ids = gpus.flatMap((gpu) => (gpu.id ? [gpu.id] : []));
  if (ids.length === 0 || ids.includes(chosen.id)) return undefined;
  return `${wanted} but Blender rendered on ${used}`;
}

/** The report a line starts, from any of the three sources, or undefined. */
export function readRenderDeviceLine(line: string): RenderDeviceReport | undefined {
  const cycles = readPathTracingDevice(line);
  if (cycles) return { source: 'cycles', devices: [cycles] };
  const checked = readRenderDeviceCheck(line);
  if (checked) return { source: 'flock-check', devices: checked };
  const set = readServerScriptDevice(line);
  return set && { source: 'server-script', devices: [set] };
}

/**
 * Follows the device reports of one render's lines: the most direct source wins, a later line of
 * the same source replaces the earlier, and Cycles' further devices join its report.
 */
export function createRenderDeviceTracker() {
  let report: RenderDeviceReport | undefined;
  let inCyclesReport = false;
  return {
    /** The report after this line, when the line changed it. */
    feed(line: string): RenderDeviceReport | undefined {
      const further = inCyclesReport ? readPathTracingContinuation(line) : undefined;
      inCyclesReport = false;
      if (further && report?.source === 'cycles' && report.devices.length < MAX_DEVICES) {
        report = { source: 'cycles', devices: [...report.devices, further] };
        inCyclesReport = true;
        return report;
      }
      const found = readRenderDeviceLine(line);
      if (!found) return undefined;
      inCyclesReport = found.source === 'cycles';
      if (report && RENDER_DEVICE_SOURCE_RANK[found.source] < RENDER_DEVICE_SOURCE_RANK[report.source])
        return undefined;
      report = found;
      return report;
    },
    report(): RenderDeviceReport | undefined {
      return report;
    },
  };
}
