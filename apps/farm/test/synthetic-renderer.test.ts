import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBlenderOutputParser, ErrorType } from '@flock/protocol';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyntheticBehaviour } from '../src/index';

const RENDERER = fileURLToPath(new URL('../src/renderer/synthetic-renderer.cjs', import.meta.url));

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'flock-synthetic-'));
});
afterEach(() => rm(work, { recursive: true, force: true }));

interface Run {
  code: number | null;
  signal: string | null;
  lines: string[];
  outputs: string[];
}

async function render(behaviour: SyntheticBehaviour, frame = '0007', blend?: string): Promise<Run> {
  const scene = join(work, 'scene.blend');
  await writeFile(scene, JSON.stringify({ flockSynthetic: 1, resolution: [20, 10], samples: 4, behaviour }));
  const args = [
    '--factory-startup',
    '-noaudio',
    '-b',
    blend ?? scene,
    '-P',
    join(work, 'script'),
    '--engine',
    'CYCLES',
  ];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [RENDERER, ...args, '-o', join(work, '42_'), '-f', frame, '-x', '1'],
      { env: { ...process.env, TEMP: work } },
      async (error, stdout) => {
        const outputs = (await readdir(work)).filter((name) => name.startsWith('42_'));
        const failure = error as (Error & { code?: number; signal?: string }) | null;
        resolve({
          code: failure ? (failure.code ?? null) : 0,
          signal: failure?.signal ?? null,
          lines: stdout.split('\n'),
          outputs,
        });
      },
    );
  });
}

/** What the agent's parser (from @flock/protocol) makes of the output. */
function parsed(run: Run) {
  const parser = createBlenderOutputParser({ updateMethod: 'remainingtime' });
  for (const line of run.lines) parser.feed(line);
  parser.end();
  return parser.summary();
}

describe('synthetic renderer', () => {
  it('prints Blender-format lines and writes a PNG of the scene size named <prefix><frame>.png', async () => {
    const run = await render({ renderMs: 40 });
    expect(run.code).toBe(0);
    expect(run.lines[0]).toMatch(/^Blender 3\.4\.1 \(synthetic/);
    expect(run.lines).toContain(`Read blend: "${join(work, 'scene.blend')}"`);
    expect(
      run.lines.some((line) => /^Fra:7 Mem:\S+ .*\| Remaining:\d\d:\d\d\.\d\d .*\| Sample 2\/4$/.test(line)),
    ).toBe(true);
    expect(run.lines).toContain(`Saved: '${join(work, '42_0007.png')}'`);
    expect(run.lines.at(-2)).toBe('Blender quit');
    expect(parsed(run)).toMatchObject({
      shortVersion: '3.4',
      blendLoaded: true,
      percent: 100,
      savedPaths: [join(work, '42_0007.png')],
    });
    expect(parsed(run).firstError).toBeUndefined();
    const image = PNG.sync.read(await readFile(join(work, '42_0007.png')));
    expect([image.width, image.height]).toEqual([20, 10]);
  });

  it('crashes like Blender: crash file, SIGSEGV, no frame', async () => {
    const run = await render({ outcome: 'crash', renderMs: 0 });
    expect(run.signal).toBe('SIGSEGV');
    expect(existsSync(join(work, 'scene.crash.txt'))).toBe(true);
    expect(run.outputs).toEqual([]);
  });

  it.each([
    [
      'python-error',
      'Error: Python: Traceback (most recent call last):',
      ErrorType.RENDERER_CRASHED_PYTHON_ERROR,
    ],
    [
      'out-of-memory',
      'Error: Malloc returns null: len=4294967296 in synthetic render buffer',
      ErrorType.RENDERER_OUT_OF_MEMORY,
    ],
    ['missing-denoiser', 'Error: Build without OpenImageDenoiser', ErrorType.DENOISING_NOT_SUPPORTED],
  ] as const)(
    '%s: prints the error line the agent classifies, exits 1 without a frame',
    async (outcome, line, type) => {
      const run = await render({ outcome, renderMs: 0 });
      expect(run.code).toBe(1);
      expect(run.lines).toContain(line);
      expect(run.outputs).toEqual([]);
      expect(parsed(run).firstError?.errorType).toBe(type);
    },
  );

  it('no-output: finishes without saving; onlyFrames limits a misbehaviour to some frames', async () => {
    const silent = await render({ outcome: 'no-output', renderMs: 0 });
    expect(silent.code).toBe(0);
    expect(silent.outputs).toEqual([]);
    const spared = await render({ outcome: 'python-error', onlyFrames: [3], renderMs: 0 }, '0004');
    expect(spared.code).toBe(0);
    expect(spared.outputs).toEqual(['42_0004.png']);
  });

  it('reports an unreadable .blend like Blender', async () => {
    const run = await render({}, '0001', join(work, 'missing.blend'));
    expect(run.code).toBe(1);
    expect(run.lines.some((line) => line.startsWith('Error: Cannot read file'))).toBe(true);
    expect(parsed(run).firstError?.errorType).toBe(ErrorType.MISSING_SCENE);
  });
});
