import { ErrorType } from '../codes';

/** One way a Blender output line tells that the render failed, and the error type to report for it. */
export interface BlenderErrorRule {
  /** A substring (case-sensitive, as the official client's `line.contains`) or a pattern to match. */
  match: string | RegExp;
  errorType: number;
  /**
   * `J22`: the official client's (2022) list; `Flock`: Flock's additions (docs/decisions.md D9).
   * Both lists: docs/protocol.md §5.4.
   */
  source: 'J22' | 'Flock';
}

const {
  RENDERER_OUT_OF_VIDEO_MEMORY: VRAM,
  RENDERER_OUT_OF_MEMORY: RAM,
  RENDERER_CRASHED: CRASHED,
} = ErrorType;

function j22(errorType: number, ...substrings: string[]): BlenderErrorRule[] {
  return substrings.map((match) => ({ match, errorType, source: 'J22' }));
}

function flock(errorType: number, ...matches: (string | RegExp)[]): BlenderErrorRule[] {
  return matches.map((match) => ({ match, errorType, source: 'Flock' }));
}

/** Checked in order, first match wins (the official client's `detectError` order, then Flock's additions). */
export const BLENDER_ERROR_RULES: readonly BlenderErrorRule[] = [
  ...j22(
    VRAM,
    'CUDA error: Out of memory',
    'CUDA error at cuCtxCreate: Out of memory',
    'CUDA error: Launch exceeded timeout in',
    'CUDA error: Invalid value in cuTexRefSetAddress(',
    'CUDA error: Launch failed in cuCtxSynchronize()',
    'CUDA error: Illegal address in cuCtxSynchronize()',
    'Error: Out of memory in CUDA',
    'Error: System is out of GPU memory',
    'Error: System is out of GPU and shared host memory',
    'Error: Illegal address in CUDA',
    'Error: Out of memory in cu',
    'System is out of GPU and shared host memory',
    'System is out of GPU memory',
  ),
  ...j22(ErrorType.GPU_NOT_SUPPORTED, 'CUDA device supported only with compute capability'),
  ...j22(
    ErrorType.NOOUTPUTFILE,
    "terminate called after throwing an instance of 'boost::filesystem::filesystem_error'",
  ),
  ...j22(RAM, "terminate called after throwing an instance of 'std::bad_alloc'", 'what(): std::bad_alloc'),
  ...j22(CRASHED, 'EXCEPTION_ACCESS_VIOLATION'),
  ...j22(ErrorType.RENDERER_CRASHED_PYTHON_ERROR, 'Fatal Python error:'),
  ...j22(RAM, 'Calloc returns null', 'Malloc returns null'),
  ...j22(ErrorType.GPU_NOT_SUPPORTED, 'CUDA kernel compilation failed'),
  ...j22(
    ErrorType.ENGINE_NOT_AVAILABLE,
    "Engine 'CYCLES' not available for scene",
    "Engine 'BLENDER_EEVEE' not available for scene",
    'Warning: Cycles is not enabled!',
  ),
  ...j22(
    ErrorType.DENOISING_NOT_SUPPORTED,
    'OpenImageDenoise error: SSE4.1 support is required at minimum',
    'OpenImageDenoiser is not supported on this CPU:',
    'No device available to denoise on',
  ),
  ...j22(CRASHED, 'Error: File format is not supported'),
  ...j22(ErrorType.CURRENTLY_HEADLESS, 'Unable to open a display'),
  // Flock's additions (docs/decisions.md D9). A script exception does not stop Blender 3.4 (it
  // renders on without the script's settings), so the traceback itself has to fail the job.
  ...flock(ErrorType.RENDERER_CRASHED_PYTHON_ERROR, 'Traceback (most recent call last)', 'Error: Python:'),
  ...flock(ErrorType.MISSING_SCENE, 'Error: Cannot read file'),
  // `Build without X`: a denoiser missing from this build is 29, any other missing feature 27.
  ...flock(ErrorType.DENOISING_NOT_SUPPORTED, /Error: Build without .*(?:OpenImageDenoise|[Dd]enois)/),
  ...flock(ErrorType.ENGINE_NOT_AVAILABLE, 'Error: Build without'),
  // Crashes on Linux: the shell-style signal messages, and Blender's crash handler announcing the
  // `<blend>.crash.txt` it writes (the post-mortem check, docs/protocol.md §4.5, looks for the same file).
  ...flock(CRASHED, 'Segmentation fault', /^Aborted\b/, /^Writing: .*\.crash\.txt$/),
];

/** The error type a Blender output line reports (docs/protocol.md §5.4), if any. */
export function classifyBlenderErrorLine(line: string): number | undefined {
  const text = line.trim();
  for (const rule of BLENDER_ERROR_RULES) {
    const matches = typeof rule.match === 'string' ? text.includes(rule.match) : rule.match.test(text);
    if (matches) return rule.errorType;
  }
  return undefined;
}
