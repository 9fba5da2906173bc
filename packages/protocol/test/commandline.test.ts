import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BlenderArgvInput, buildBlenderArgv, commandlineProblem } from '../src/index';
import { protocolErrorOf } from './helpers';

const job: Omit<BlenderArgvInput, 'commandline'> = {
  rendererPath: '/c/sheepit/0523/rend.exe',
  blendPath: '/c/sheepit/db26/scenes/shot.blend',
  scriptPath: '/c/sheepit/script_4711',
  outputPrefix: '/c/sheepit/116372253_',
  frame: '0007',
};

/** The commandline of the sample job (docs/protocol.md §2.3). */
const SAMPLE = '.e --factory-startup --disable-autoexec -noaudio -b .c --engine CYCLES -o .o -f .f -x 1';

const SAMPLE_ARGV = [
  '/c/sheepit/0523/rend.exe',
  '--factory-startup',
  '--disable-autoexec',
  '-noaudio',
  '-b',
  '/c/sheepit/db26/scenes/shot.blend',
  '-P',
  '/c/sheepit/script_4711',
  '--engine',
  'CYCLES',
  '-o',
  '/c/sheepit/116372253_',
  '-f',
  '0007',
  '-x',
  '1',
];

describe('buildBlenderArgv', () => {
  it('expands .e .c .o .f as the official client does (docs/protocol.md §4.1)', () => {
    expect(buildBlenderArgv({ ...job, commandline: SAMPLE })).toEqual(SAMPLE_ARGV);
  });

  it('adds -t N right after the renderer only when cores are set', () => {
    const argv = buildBlenderArgv({ ...job, commandline: SAMPLE, cores: 6 });
    expect(argv.slice(0, 4)).toEqual(['/c/sheepit/0523/rend.exe', '-t', '6', '--factory-startup']);
    expect(argv).toHaveLength(SAMPLE_ARGV.length + 2);
  });

  it.each([undefined, 0, -1])('leaves -t out for cores = %s (all cores)', (cores) => {
    expect(buildBlenderArgv({ ...job, commandline: SAMPLE, cores })).toEqual(SAMPLE_ARGV);
  });

  it('rejects a fractional or non-finite core count', () => {
    expect(protocolErrorOf(() => buildBlenderArgv({ ...job, commandline: SAMPLE, cores: 2.5 })).kind).toBe(
      'invalid-value',
    );
    expect(
      protocolErrorOf(() => buildBlenderArgv({ ...job, commandline: SAMPLE, cores: Number.NaN })).kind,
    ).toBe('invalid-value');
  });

  it('skips empty tokens from repeated spaces, tabs and surrounding whitespace', () => {
    const messy = `  \t${SAMPLE.replaceAll(' ', '  \t ')}\t \n`;
    expect(buildBlenderArgv({ ...job, commandline: messy })).toEqual(SAMPLE_ARGV);
  });

  it('copies plain options and values verbatim', () => {
    const argv = buildBlenderArgv({
      ...job,
      commandline: '.e -b .c -F PNG --scale 0.5 --cycles-device CPU+CUDA',
    });
    expect(argv.slice(5)).toEqual(['-F', 'PNG', '--scale', '0.5', '--cycles-device', 'CPU+CUDA']);
  });

  it.each([
    ['a path outside the job', '.e -b .c -o /home/user/.bashrc -f .f'],
    ['a relative way out', '.e -b .c -o ../../x -f .f'],
    ['a Windows path', '.e -b .c -o C:\\x -f .f'],
    ['Python code', `.e -b .c --python-expr "__import__('os')" .f`],
    ['quotes and shell characters', `.e -b .c "$HOME;rm *" 'x'`],
    ['a dot-named file', '.e -b .c -P .f.e'],
  ])('refuses %s as an argument', (_label, commandline) => {
    const error = protocolErrorOf(() => buildBlenderArgv({ ...job, commandline }));
    expect(error.kind).toBe('invalid-value');
    expect(error.detail).toMatch(/^commandline argument ".*" is not a plain option or value$/);
  });

  it('keeps paths with spaces as one argument each (they are substituted, not split)', () => {
    const spaced = { ...job, blendPath: '/work/my project/shot 1.blend', outputPrefix: '/work/out dir/1_' };
    const argv = buildBlenderArgv({ ...spaced, commandline: '.e -b .c -o .o -f .f' });
    expect(argv).toEqual([
      job.rendererPath,
      '-b',
      '/work/my project/shot 1.blend',
      '-P',
      job.scriptPath,
      '-o',
      '/work/out dir/1_',
      '-f',
      '0007',
    ]);
  });

  it('refuses a commandline that does not start with .e (it would run another program)', () => {
    const error = protocolErrorOf(() => buildBlenderArgv({ ...job, commandline: 'rm -rf / .e -b .c' }));
    expect(error.kind).toBe('invalid-value');
    expect(error.detail).toContain('"rm"');
    expect(protocolErrorOf(() => buildBlenderArgv({ ...job, commandline: '   ' })).kind).toBe(
      'invalid-value',
    );
  });

  it('refuses an empty substitution value (it would become an empty argument)', () => {
    const error = protocolErrorOf(() => buildBlenderArgv({ ...job, scriptPath: '', commandline: SAMPLE }));
    expect(error.detail).toBe('scriptPath must not be empty');
  });
});

describe('buildBlenderArgv properties', () => {
  const token = fc.stringMatching(/^[A-Za-z0-9_=,:+-][A-Za-z0-9._=,:+-]{0,11}$/);
  const separator = fc.constantFrom(' ', '  ', '\t', ' \t ', '\n');
  const path = fc.string({ minLength: 1, maxLength: 30 });
  const input = fc.record({
    tokens: fc.array(fc.oneof(token, fc.constantFrom('.e', '.c', '.o', '.f')), { maxLength: 15 }),
    separators: fc.array(separator, { minLength: 17, maxLength: 17 }),
    rendererPath: path,
    blendPath: path,
    scriptPath: path,
    outputPrefix: path,
    frame: path,
    cores: fc.option(fc.integer({ min: -2, max: 256 }), { nil: undefined }),
  });

  it('never produces an empty argument and substitutes placeholders only', () => {
    fc.assert(
      fc.property(input, ({ tokens, separators, ...values }) => {
        const all = ['.e', ...tokens];
        const commandline = all.map((part, index) => `${separators[index]}${part}`).join('') + separators[16];
        const argv = buildBlenderArgv({ ...values, commandline });
        expect(argv.every((argument) => argument !== '')).toBe(true);
        expect(argv[0]).toBe(values.rendererPath);
        const expected = all.flatMap((part) => expand(part, values));
        expect(argv).toEqual(expected);
      }),
    );
  });
});

function expand(part: string, values: Omit<BlenderArgvInput, 'commandline'>): string[] {
  if (part === '.e') {
    const threads = values.cores !== undefined && values.cores > 0 ? ['-t', String(values.cores)] : [];
    return [values.rendererPath, ...threads];
  }
  if (part === '.c') return [values.blendPath, '-P', values.scriptPath];
  if (part === '.o') return [values.outputPrefix];
  if (part === '.f') return [values.frame];
  return [part];
}

describe('commandlineProblem', () => {
  it('refuses any token with a character outside the plain-argument set', () => {
    const outside = fc.string({ minLength: 1, maxLength: 1 }).filter((c) => !/[A-Za-z0-9._=,:+\s-]/.test(c));
    fc.assert(
      fc.property(outside, fc.string({ maxLength: 5 }), (character, rest) => {
        expect(commandlineProblem(`.e -b .c x${character}${rest} .f`)).toBeDefined();
      }),
    );
  });
});
