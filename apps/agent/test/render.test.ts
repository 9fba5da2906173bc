import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorType } from '@flock/protocol';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import {
  descendantsOf,
  findNice,
  findOutputFile,
  ProcessTreeSampler,
  processTreeRssKiB,
  type RenderEvent,
  type RenderHandle,
  type RenderJob,
  type RenderOptions,
  runRender,
} from '../src/render/index.js';
import { RenderLog } from '../src/render/log.js';

const FAKE_BLENDER = fileURLToPath(new URL('./support/fake-blender.mjs', import.meta.url));
const COMMANDLINE = '.e --factory-startup --disable-autoexec -noaudio -b .c --engine CYCLES -o .o -f .f -x 1';
const SERVER_SCRIPT = 'def sheepit_set_compute_device(device_type, family, device_id):\n    pass';

let root: string;
let workDir: string;
let blendPath: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'flock-render-'));
  workDir = join(root, 'work');
  await mkdir(join(workDir, 'project'), { recursive: true });
  blendPath = join(workDir, 'project', 'shot.blend');
  await writeFile(blendPath, 'BLENDER-v304 (fake scene)');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function job(overrides: Partial<RenderJob> = {}): RenderJob {
  return {
    jobId: '21',
    frame: '0001',
    commandline: COMMANDLINE,
    updateMethod: 'remainingtime',
    serverScript: SERVER_SCRIPT,
    useGpu: false,
    rendererPath: FAKE_BLENDER,
    blendPath,
    workDir,
    ...overrides,
  };
}

function fake(mode: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, FAKE_BLENDER_MODE: mode, ...extra };
}

function render(mode: string, options: RenderOptions = {}, overrides: Partial<RenderJob> = {}) {
  const events: RenderEvent[] = [];
  const handle = runRender(job(overrides), { env: fake(mode), onEvent: (e) => events.push(e), ...options });
  return { handle, events };
}

/** Resolves at the first event matching the predicate. */
function nextEvent(handle: RenderHandle, predicate: (event: RenderEvent) => boolean): Promise<RenderEvent> {
  return new Promise((resolve) => {
    const off = handle.on((event) => {
      if (!predicate(event)) return;
      off();
      resolve(event);
    });
  });
}

const isLine = (prefix: string) => (event: RenderEvent) =>
  event.type === 'line' && event.line.startsWith(prefix);

function fakeReport(log: string[], key: string): string | undefined {
  return log.find((line) => line.startsWith(`FAKE ${key} `))?.slice(`FAKE ${key} `.length);
}

function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('runRender with the fake renderer: success', () => {
  it('renders a frame, parses the output live and cleans up the script', async () => {
    const { handle, events } = render('ok', { env: fake('ok', { FAKE_BLENDER_WAIT_FOR_REMOVAL: '1' }) });
    const result = await handle.result;
    expect(result).toMatchObject({
      ok: true,
      outputFile: join(workDir, '21_0001.png'),
      blenderVersion: '3.4.1',
    });
    if (!result.ok) return;
    const png = PNG.sync.read(readFileSync(result.outputFile));
    expect([png.width, png.height]).toEqual([64, 48]);
    // Exact, not whole seconds (the wire rounds): this sub-second render is not 0.
    expect(result.renderTimeSeconds).toBeGreaterThan(0);
    expect(result.renderTimeSeconds).toBeLessThan(5);
    expect(result.memoryUsedKiB).toBeGreaterThan(0);
    expect(result.log).toContain('Read blend: '.concat(blendPath));
    const outputs = events.flatMap((e) => (e.type === 'output' ? [e.event] : []));
    expect(
      outputs.filter((e) => e.type === 'progress').map((e) => e.type === 'progress' && e.percent),
    ).toEqual([25, 50, 75, 100]);
    expect(outputs).toContainEqual({
      type: 'progress',
      percent: 25,
      current: 1,
      total: 4,
      remainingSeconds: 3,
    });
    expect(outputs).toContainEqual({ type: 'saved', path: join(workDir, '21_0001.png') });
    expect(events.some((e) => e.type === 'memory' && e.rssKiB > 0)).toBe(true);
    expect((await readdir(workDir)).filter((name) => name.startsWith('script_'))).toEqual([]);
  });

  it('removes the .blend only after Blender printed that it loaded it (docs/decisions.md D13)', async () => {
    const loaded: string[] = [];
    const { handle, events } = render('ok', {
      env: fake('ok', { FAKE_BLENDER_WAIT_FOR_REMOVAL: '1' }),
      onBlendLoaded: (path) => {
        loaded.push(path);
      },
    });
    const result = await handle.result;
    expect(result.ok).toBe(true); // the fake fails like Blender if the .blend is gone before it opened it
    expect(fakeReport(result.log, 'blend')).toBe('removed after load');
    expect(existsSync(blendPath)).toBe(false);
    expect(loaded).toEqual([blendPath]);
    // Not on `Read blend:` (printed before Blender opens the file) but on the first `Fra:` line.
    const firstFraAt = events.findIndex((e) => e.type === 'line' && e.line.startsWith('Fra:'));
    const removedAt = events.findIndex((e) => e.type === 'blend-removed');
    expect(firstFraAt).toBeGreaterThan(events.findIndex(isLine('Read blend: ')));
    expect(removedAt).toBeGreaterThan(firstFraAt);
  });

  it('keeps the .blend when asked to, still telling the caller it was loaded', async () => {
    const loaded: string[] = [];
    const { handle } = render('ok', {
      removeBlendWhenLoaded: false,
      onBlendLoaded: (path) => void loaded.push(path),
    });
    expect((await handle.result).ok).toBe(true);
    expect(existsSync(blendPath)).toBe(true);
    expect(loaded).toEqual([blendPath]);
  });

  it('runs under nice with -t cores and the docs/protocol.md §4.3 environment, CPU device in the script', async () => {
    const nice = findNice();
    expect(nice, 'this machine has no nice binary').not.toBeNull();
    const { handle, events } = render('ok', {
      cores: 3,
      priority: 15,
      gpu: { type: 'CUDA', id: 'CUDA_X_0000:01:00' },
    });
    const result = await handle.result;
    const started = events.find((e) => e.type === 'started');
    expect(started?.type === 'started' && started.argv.slice(0, 4)).toEqual([nice, '-n', '15', FAKE_BLENDER]);
    expect(Number(fakeReport(result.log, 'niceness'))).toBe(Math.min(19, getPriority() + 15));
    const argv = JSON.parse(fakeReport(result.log, 'argv') ?? '[]') as string[];
    expect(argv.slice(0, 3)).toEqual(['-t', '3', '--factory-startup']);
    expect(argv.slice(argv.indexOf('-o'), argv.indexOf('-o') + 4)).toEqual([
      '-o',
      join(workDir, '21_'),
      '-f',
      '0001',
    ]);
    expect(JSON.parse(fakeReport(result.log, 'env') ?? '{}')).toEqual({
      TEMP: workDir,
      TMP: workDir,
      CORES: '3',
      PRIORITY: '15',
      OCIO: '',
      BLENDER_USER_CONFIG: '',
      BLENDER_SYSTEM_SCRIPTS: '',
    });
    const script = JSON.parse(fakeReport(result.log, 'script') ?? '""') as string;
    expect(script.startsWith(`${SERVER_SCRIPT}\n`)).toBe(true);
    expect(script).toContain('sheepit_set_compute_device("NONE", "CPU", "CPU")\n');
    expect(script).toContain('signal.signal(signal.SIGINT, ');
  });

  it('selects the GPU in the script when the job uses one; without nice, os.setPriority sets the level', async () => {
    const { handle, events } = render(
      'ok',
      { nice: null, gpu: { type: 'CUDA', id: 'CUDA_NVIDIA GeForce RTX 3060_0000:01:00' } },
      { useGpu: true },
    );
    const result = await handle.result;
    const script = JSON.parse(fakeReport(result.log, 'script') ?? '""') as string;
    expect(script).toContain(
      'sheepit_set_compute_device("CUDA", "GPU", "CUDA_NVIDIA GeForce RTX 3060_0000:01:00")',
    );
    const started = events.find((e) => e.type === 'started');
    expect(started?.type === 'started' && started.argv[0]).toBe(FAKE_BLENDER);
    expect(Number(fakeReport(result.log, 'niceness'))).toBe(19);
    expect(JSON.parse(fakeReport(result.log, 'env') ?? '{}').CORES).toBe('-1');
  });

  it('finds the output by <jobId>_<frame>. with the dot, never a longer frame number', async () => {
    await writeFile(join(workDir, '21_00010.png'), 'decoy of frame 10');
    const ok = await render('ok', { removeBlendWhenLoaded: false }).handle.result;
    expect(ok.ok && ok.outputFile).toBe(join(workDir, '21_0001.png'));
    await rm(join(workDir, '21_0001.png'));
    const missing = await render('no-output').handle.result;
    expect(missing).toMatchObject({ ok: false, errorType: ErrorType.NOOUTPUTFILE });
  });
});

describe('render internals', () => {
  it('sees a process tree and its memory through /proc', async () => {
    const shell = spawn('sh', ['-c', 'sleep 30 & sleep 30 & wait'], { stdio: 'ignore' });
    const pid = shell.pid ?? 0;
    try {
      let tree: number[] = [];
      for (let i = 0; i < 200 && tree.length < 3; i += 1) {
        tree = descendantsOf(pid);
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(tree[0]).toBe(pid);
      expect(tree).toHaveLength(3);
      const sampler = new ProcessTreeSampler(pid);
      expect(sampler.rssKiB()).toBeGreaterThan(0);
      expect(processTreeRssKiB(2 ** 22 + 12345)).toBeUndefined();
    } finally {
      for (const child of descendantsOf(pid).reverse()) process.kill(child, 'SIGKILL');
    }
  });

  it('keeps the first and the latest lines of a long log, saying how many were left out', () => {
    const log = new RenderLog(8);
    for (let i = 1; i <= 100; i += 1) log.add(`line ${i}`);
    expect(log.lines()).toEqual([
      'line 1',
      'line 2',
      'flock: … 92 lines left out …',
      'line 95',
      'line 96',
      'line 97',
      'line 98',
      'line 99',
      'line 100',
    ]);
  });

  it('exposes live numbers for the keep-alive while Blender runs', async () => {
    const clock = new ManualClock();
    const { handle } = render('slow', { clock });
    expect(handle.snapshot()).toMatchObject({ running: false, elapsedSeconds: 0, renderSeconds: 0 });
    await nextEvent(handle, (e) => e.type === 'output' && e.event.type === 'progress');
    await clock.advance(10_000);
    const snapshot = handle.snapshot();
    expect(snapshot).toMatchObject({
      running: true,
      phase: 'rendering',
      elapsedSeconds: 10,
      renderSeconds: 10,
    });
    expect(snapshot.percent).toBeGreaterThanOrEqual(0);
    handle.stop('stop-now');
    expect(await handle.result).toMatchObject({ ok: false, errorType: ErrorType.RENDERER_KILLED_BY_USER });
    expect(handle.snapshot().running).toBe(false);
  });
});

describe('findOutputFile', () => {
  it('pads a bare frame number, prefers a non-EXR file and ignores other frames', async () => {
    for (const name of ['1_0007.exr', '1_0007.png', '1_00070.png', '11_0007.png', '1_0007']) {
      await writeFile(join(workDir, name), name);
    }
    expect(findOutputFile(workDir, '1', '0007')).toBe(join(workDir, '1_0007.png'));
    expect(findOutputFile(workDir, '1', '7')).toBe(join(workDir, '1_0007.png'));
    expect(findOutputFile(workDir, '1', '0070')).toBeUndefined();
    expect(findOutputFile(join(workDir, 'missing'), '1', '0007')).toBeUndefined();
  });
});

describe('runRender with the fake renderer: failures are classified', () => {
  it('a crash with a crash file is 12', async () => {
    const result = await render('crash').handle.result;
    // Blender announces the crash file before dying; whichever comes first, the type is the same.
    expect(result).toMatchObject({ ok: false, errorType: ErrorType.RENDERER_CRASHED });
    expect(existsSync(join(workDir, 'shot.crash.txt'))).toBe(true);
  });

  it('an exit that left a crash file is 12', async () => {
    const result = await render('crash-file').handle.result;
    expect(result).toMatchObject({ ok: false, errorType: ErrorType.RENDERER_CRASHED, exitCode: 1 });
  });

  it('a crash before any output is 12', async () => {
    const result = await render('silent-crash').handle.result;
    expect(result).toMatchObject({ ok: false, errorType: ErrorType.RENDERER_CRASHED, signal: 'SIGSEGV' });
    expect(result.log.filter((line) => !line.startsWith('flock: '))).toEqual([]);
  });

  it('a Python traceback is 24 and Blender is stopped instead of rendering on', async () => {
    const result = await render('python-error').handle.result;
    expect(result).toMatchObject({
      ok: false,
      errorType: ErrorType.RENDERER_CRASHED_PYTHON_ERROR,
      signal: 'SIGTERM',
    });
    expect(result.ok === false && result.message).toContain('Traceback');
  });

  it('exiting without a file is 8', async () => {
    const result = await render('no-output').handle.result;
    expect(result).toMatchObject({ ok: false, errorType: ErrorType.NOOUTPUTFILE, exitCode: 0 });
  });

  it('a renderer that does not exist is 6, one that cannot be executed is 16', async () => {
    const missing = await render('ok', {}, { rendererPath: join(root, 'no-such-blender') }).handle.result;
    expect(missing).toMatchObject({ ok: false, errorType: ErrorType.MISSING_RENDERER });
    await writeFile(join(root, 'not-executable'), '#!/bin/sh\n', { mode: 0o644 });
    const denied = await render('ok', { nice: null }, { rendererPath: join(root, 'not-executable') }).handle
      .result;
    expect(denied).toMatchObject({ ok: false, errorType: ErrorType.FAILED_TO_EXECUTE });
  });

  it('a bad command line is refused before anything runs (16)', async () => {
    const { handle, events } = render('ok', {}, { commandline: 'rm -rf .c' });
    expect(await handle.result).toMatchObject({ ok: false, errorType: ErrorType.FAILED_TO_EXECUTE });
    expect(events.some((e) => e.type === 'started')).toBe(false);
  });
});

describe('runRender with the fake renderer: limits and kills', () => {
  it('kills the process tree over the memory limit: 21', async () => {
    const { handle } = render('memory-hog', { memoryKiB: 200 * 1024 });
    const result = await handle.result;
    expect(result).toMatchObject({ ok: false, errorType: ErrorType.RENDERER_OUT_OF_MEMORY });
    expect(result.memoryUsedKiB).toBeGreaterThan(200 * 1024);
    expect(result.ok === false && result.message).toMatch(/over the limit/);
  });

  it('kills a render over the max frame time: 23 (time driven by the injected clock)', async () => {
    const clock = new ManualClock();
    const { handle, events } = render('slow', { clock, maxFrameTimeSeconds: 60 });
    await nextEvent(handle, (e) => e.type === 'output' && e.event.type === 'progress');
    await clock.advance(61_999); // the official client fires 2 s after the limit
    expect(events.some((e) => e.type === 'stopping')).toBe(false);
    await clock.advance(1);
    expect(events.find((e) => e.type === 'stopping')).toMatchObject({
      errorType: ErrorType.RENDERER_KILLED_BY_USER_OVER_TIME,
    });
    expect(await handle.result).toMatchObject({
      ok: false,
      errorType: ErrorType.RENDERER_KILLED_BY_USER_OVER_TIME,
    });
  });

  it('never applies the time limit to test frames (job id < 20)', async () => {
    const clock = new ManualClock();
    const { handle, events } = render('slow', { clock, maxFrameTimeSeconds: 60 }, { jobId: '5' });
    await nextEvent(handle, (e) => e.type === 'output' && e.event.type === 'progress');
    await clock.advance(120_000);
    await nextEvent(handle, (e) => e.type === 'output' && e.event.type === 'progress'); // still rendering
    expect(events.some((e) => e.type === 'stopping')).toBe(false);
    handle.stop('server');
    expect(await handle.result).toMatchObject({ ok: false, errorType: ErrorType.RENDERER_KILLED_BY_SERVER });
  });

  it('a user block kills nice, Blender and its helpers (the whole group): 20', async () => {
    const { handle } = render('slow');
    const line = await nextEvent(handle, isLine('FAKE grandchild '));
    const grandchild = Number(line.type === 'line' && line.line.split(' ')[2]);
    expect(isAlive(grandchild)).toBe(true);
    handle.stop('block-project');
    const result = await handle.result;
    expect(result).toMatchObject({
      ok: false,
      errorType: ErrorType.RENDERER_KILLED_BY_USER,
      signal: 'SIGTERM',
    });
    for (let i = 0; i < 1000 && isAlive(grandchild); i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(isAlive(grandchild)).toBe(false);
  });

  it('a heartbeat 400 kill is 22', async () => {
    const { handle } = render('slow');
    await nextEvent(handle, (e) => e.type === 'output' && e.event.type === 'progress');
    handle.stop('server', 'keep-alive answered 400');
    expect(await handle.result).toMatchObject({
      ok: false,
      errorType: ErrorType.RENDERER_KILLED_BY_SERVER,
      message: 'keep-alive answered 400',
    });
  });

  it('escalates to SIGKILL when Blender ignores SIGTERM', async () => {
    const { handle } = render('stubborn', { killGraceMs: 300 });
    await nextEvent(handle, (e) => e.type === 'output' && e.event.type === 'progress');
    handle.stop('stop-now');
    await nextEvent(handle, isLine('FAKE ignoring SIGTERM'));
    expect(await handle.result).toMatchObject({
      ok: false,
      errorType: ErrorType.RENDERER_KILLED_BY_USER,
      signal: 'SIGKILL',
    });
  });

  it('a kill before Blender started means it never starts', async () => {
    const { handle, events } = render('ok');
    handle.stop('block-project');
    expect(await handle.result).toMatchObject({ ok: false, errorType: ErrorType.RENDERER_KILLED_BY_USER });
    expect(events.some((e) => e.type === 'started')).toBe(false);
    expect(existsSync(join(workDir, '21_0001.png'))).toBe(false);
  });
});
