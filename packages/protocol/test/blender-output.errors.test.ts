import { describe, expect, it } from 'vitest';
import {
  BLENDER_ERROR_RULES,
  classifyBlenderErrorLine,
  classifyRenderExit,
  ErrorType,
  isStopReason,
  stopErrorType,
} from '../src/index';

/** docs/protocol.md §5.4: one real-looking line per string of the official client's (2022) list. */
const J22_LINES: [string, number][] = [
  ['CUDA error: Out of memory in cuMemAlloc(&device_pointer, size)', 13],
  ['CUDA error at cuCtxCreate: Out of memory', 13],
  ['CUDA error: Launch exceeded timeout in cuCtxSynchronize()', 13],
  ['CUDA error: Invalid value in cuTexRefSetAddress(NULL, texref, cuda_mem, size)', 13],
  ['CUDA error: Launch failed in cuCtxSynchronize()', 13],
  ['CUDA error: Illegal address in cuCtxSynchronize()', 13],
  ['Error: Out of memory in CUDA queue enqueue (integrator_shade_surface)', 13],
  ['Fra:1 Mem:9.70M (Peak 10.28M) | Error: System is out of GPU memory', 13],
  ['Error: System is out of GPU and shared host memory', 13],
  ['Error: Illegal address in CUDA queue synchronize (integrator_intersect_closest)', 13],
  ['Error: Out of memory in cuMemAlloc(&device_pointer, size)', 13],
  ['System is out of GPU and shared host memory', 13],
  ['System is out of GPU memory', 13],
  ['CUDA device supported only with compute capability 3.0 or up, found 2.1.', 19],
  ["terminate called after throwing an instance of 'boost::filesystem::filesystem_error'", 8],
  ["terminate called after throwing an instance of 'std::bad_alloc'", 21],
  ['  what(): std::bad_alloc', 21],
  ['Error   : EXCEPTION_ACCESS_VIOLATION', 12],
  ['Fatal Python error: Py_Initialize: unable to load the file system codec', 24],
  ['Calloc returns null: len=1048576 in CDDerivedMesh.c, total 2145214', 21],
  ['Malloc returns null: len=3190672 in CDDerivedMesh.c:vertData, total 2143972', 21],
  ['CUDA kernel compilation failed, see console for details.', 19],
  ["Engine 'CYCLES' not available for scene 'Scene' (an add-on may need to be installed or enabled)", 27],
  ["Engine 'BLENDER_EEVEE' not available for scene 'Scene'", 27],
  ['Warning: Cycles is not enabled!', 27],
  ['OpenImageDenoise error: SSE4.1 support is required at minimum', 29],
  ['OpenImageDenoiser is not supported on this CPU: missing SSE 4.1 support', 29],
  ['No device available to denoise on', 29],
  ['Error: File format is not supported', 12],
  ['Unable to open a display', 28],
];

/** Flock's additions, docs/decisions.md D9 (lines as Blender 3.4.1 prints them, where captured). */
const FLOCK_LINES: [string, number][] = [
  ['Error: Python: Traceback (most recent call last):', 24],
  ['Traceback (most recent call last):', 24],
  ["Error: Python: NameError: name 'sheepit_set_compute_device' is not defined", 24],
  ["Error: Cannot read file '/work/db26/missing.blend': No such file or directory", 7],
  ['Error: Build without OpenImageDenoiser', 29],
  ['Error: Build without OptiX denoiser', 29],
  ['Error: Build without OptiX', 27],
  ['Error: Build without Embree', 27],
  ['Segmentation fault (core dumped)', 12],
  ['Aborted (core dumped)', 12],
  ['Aborted', 12],
  ['Writing: /tmp/scene.crash.txt', 12],
];

/** Real lines of successful renders that mention errors or look alarming, and must not fail a job. */
const HARMLESS_LINES = [
  'EGL Error (0x3001): EGL_NOT_INITIALIZED: EGL is not initialized, or could not be initialized.',
  'Managed to successfully fallback to surfaceless EGL rendering!',
  'Build without OpenImageDenoiser',
  'Fra:1 Mem:9.71M (Peak 10.28M) | Time:00:00.16 | Mem:0.90M, Peak:0.90M | Scene, ViewLayer | Sample 1/4',
  "Saved: '/tmp/x/1_0001.png'",
  'Blender quit',
  'Info: Aborted by the user',
  '',
];

describe('classifyBlenderErrorLine', () => {
  it.each(J22_LINES)('official client: %s → %i', (line, errorType) => {
    expect(classifyBlenderErrorLine(line)).toBe(errorType);
  });

  it.each(FLOCK_LINES)('Flock: %s → %i', (line, errorType) => {
    expect(classifyBlenderErrorLine(line)).toBe(errorType);
  });

  it.each(HARMLESS_LINES)('no error in %j', (line) => {
    expect(classifyBlenderErrorLine(line)).toBeUndefined();
  });

  it('has a test line for every string rule of the table', () => {
    const tested = [...J22_LINES, ...FLOCK_LINES].map(([line]) => line);
    for (const rule of BLENDER_ERROR_RULES) {
      const covered = tested.some((line) =>
        typeof rule.match === 'string' ? line.includes(rule.match) : rule.match.test(line),
      );
      expect(covered, String(rule.match)).toBe(true);
    }
  });

  it('ignores surrounding whitespace and a trailing carriage return', () => {
    expect(classifyBlenderErrorLine('  Aborted (core dumped)\r')).toBe(12);
  });
});

describe('classifyRenderExit', () => {
  const crashedQuietly = { crashFileExists: false, exitCode: 1, runMs: 60_000, hadOutput: false };

  it('a crash file → 12', () => {
    expect(
      classifyRenderExit({ ...crashedQuietly, exitCode: 0, hadOutput: true, crashFileExists: true }),
    ).toBe(12);
  });

  it('exit 127 within 10 s → 15 (missing libraries); later it is a plain crash', () => {
    expect(classifyRenderExit({ ...crashedQuietly, exitCode: 127, runMs: 300 })).toBe(15);
    expect(classifyRenderExit({ ...crashedQuietly, exitCode: 127, runMs: 10_000 })).toBe(12);
  });

  it('a failure without any output → 12, by exit code or by signal', () => {
    expect(classifyRenderExit(crashedQuietly)).toBe(12);
    expect(classifyRenderExit({ ...crashedQuietly, exitCode: null, signal: 'SIGSEGV' })).toBe(12);
  });

  it('otherwise → 8 (no output file)', () => {
    expect(classifyRenderExit({ ...crashedQuietly, hadOutput: true })).toBe(8);
    expect(classifyRenderExit({ ...crashedQuietly, exitCode: 0 })).toBe(8);
  });
});

describe('stopErrorType', () => {
  it.each([
    ['pause-now', ErrorType.RENDERER_KILLED_BY_USER],
    ['stop-now', ErrorType.RENDERER_KILLED_BY_USER],
    ['block-project', ErrorType.RENDERER_KILLED_BY_USER],
    ['server', ErrorType.RENDERER_KILLED_BY_SERVER],
    ['time-limit', ErrorType.RENDERER_KILLED_BY_USER_OVER_TIME],
    ['memory', ErrorType.RENDERER_OUT_OF_MEMORY],
  ] as const)('a job stopped for %s is reported as %i', (reason, errorType) => {
    expect(isStopReason(reason)).toBe(true);
    expect(stopErrorType(reason)).toBe(errorType);
  });

  it('knows no other reason', () => {
    for (const value of ['user', 'other', 'toString', '', undefined, 20])
      expect(isStopReason(value)).toBe(false);
  });
});
