// The render runner's platform-specific parts — process-tree memory, tree kill, priority — for each
// platform, with the platform passed in. Recorded command outputs, and where each came from:
//   - PS_LINUX: `ps -A -o pid=,ppid=,rss=` run on this project's Debian 12 machine (procps-ng), a
//     `sh` (16608) with one `sleep` child (16610);
//   - PS_MACOS: the same POSIX columns as macOS's BSD ps prints them (right-aligned, RSS in KiB), with
//     the pids and RSS values of pidusage's macOS `ps` fixture (soyuka/pidusage test/ps.js);
//   - CIM_WINDOWS: what Flock's Get-CimInstance command prints (one "ProcessId ParentProcessId
//     WorkingSetSize" line each, CRLF), with the chcp banner and the process of pidusage's Windows
//     fixture (test/gwmi.js: pid 777, parent 0, 110821376 bytes) and the tree of pidtree's PowerShell
//     fixture (simonepri/pidtree test/powershell.js: 0→777→778, 0→779).
// On Linux the real paths run for real: /proc (render.test.ts), and here `ps` as on macOS.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorType } from '@flock/protocol';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyPriorityAfterSpawn,
  memoryNoticeOnce,
  PowerShellSession,
  parseProcessRows,
  type RenderEvent,
  type RenderHandle,
  type RenderOptions,
  runRender,
  treeKillCommand,
  treeRssKiB,
  windowsPriorityClass,
} from '../src/render/index.js';

const support = (name: string) => fileURLToPath(new URL(`./support/${name}`, import.meta.url));
const FAKE_BLENDER = support('fake-blender.mjs');
const FAKE_POWERSHELL = support('fake-powershell.mjs');
const FAKE_TASKKILL = support('fake-taskkill.mjs');
const COMMANDLINE = '.e --factory-startup --disable-autoexec -noaudio -b .c --engine CYCLES -o .o -f .f -x 1';

const PS_LINUX =
  '    1     0 11092\n    2     0     0\n    3     2     0\n16608 16606  2236\n16610 16608  1552\n';
const PS_MACOS = '  430     1   5145\n  432   430   2364\n  727   430 348932\n 7166     1   3756\n';
const CIM_WINDOWS =
  'Active code page: 936\r\n\r\n0 0 8192\r\n777 0 110821376\r\n778 777 20480000\r\n779 0 4096000\r\n';

let root: string;
let workDir: string;
const savedEnv = { ...process.env };

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'flock-platforms-'));
  workDir = join(root, 'work');
  await mkdir(join(workDir, 'project'), { recursive: true });
  await writeFile(join(workDir, 'project', 'shot.blend'), 'BLENDER-v304 (fake scene)');
});

afterEach(async () => {
  process.env = { ...savedEnv };
  await rm(root, { recursive: true, force: true });
});

function render(mode: string, options: RenderOptions) {
  const events: RenderEvent[] = [];
  const handle = runRender(
    {
      jobId: '21',
      frame: '0001',
      commandline: COMMANDLINE,
      updateMethod: 'remainingtime',
      serverScript: 'def sheepit_set_compute_device(device_type, family, device_id):\n    pass',
      useGpu: false,
      rendererPath: FAKE_BLENDER,
      blendPath: join(workDir, 'project', 'shot.blend'),
      workDir,
    },
    { env: { ...process.env, FAKE_BLENDER_MODE: mode }, onEvent: (e) => events.push(e), ...options },
  );
  return { handle, events };
}

function nextEvent(handle: RenderHandle, predicate: (event: RenderEvent) => boolean): Promise<RenderEvent> {
  return new Promise((resolve) => {
    const off = handle.on((event) => {
      if (predicate(event)) {
        off();
        resolve(event);
      }
    });
  });
}

describe('process snapshots from recorded command outputs', () => {
  it('reads a Linux procps ps snapshot: the tree of 16608 is itself and its sleep', () => {
    const rows = parseProcessRows(PS_LINUX, 1024);
    expect(rows).toHaveLength(5);
    expect(treeRssKiB(rows, 16608)).toBe(2236 + 1552);
    expect(treeRssKiB(rows, 16610)).toBe(1552);
    expect(treeRssKiB(rows, 99999)).toBeUndefined();
  });

  it('reads a macOS ps snapshot (RSS in KiB)', () => {
    const rows = parseProcessRows(PS_MACOS, 1024);
    expect(treeRssKiB(rows, 430)).toBe(5145 + 2364 + 348932);
    expect(treeRssKiB(rows, 7166)).toBe(3756);
  });

  it('reads a Windows Get-CimInstance snapshot (bytes, CRLF, banner skipped, pid 0 its own parent)', () => {
    const rows = parseProcessRows(CIM_WINDOWS, 1);
    expect(rows.map((row) => row.pid)).toEqual([0, 777, 778, 779]);
    expect(treeRssKiB(rows, 777)).toBe(Math.floor(110821376 / 1024) + Math.floor(20480000 / 1024));
    // The System Idle Process (0) is its own parent: counted once, not forever.
    expect(treeRssKiB(rows, 0)).toBe(
      8 + Math.floor(110821376 / 1024) + Math.floor(20480000 / 1024) + Math.floor(4096000 / 1024),
    );
  });

  it('never throws on hostile output, and sums every tree of any parent graph once per pid', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.integer({ min: 1, max: 4096 }), (text, unit) => {
        for (const row of parseProcessRows(text, unit)) {
          expect(Number.isSafeInteger(row.pid) && Number.isSafeInteger(row.rssKiB)).toBe(true);
        }
      }),
    );
    const row = fc.record({ pid: fc.nat(20), parentPid: fc.nat(20), rssKiB: fc.nat(1000) });
    fc.assert(
      fc.property(
        fc.uniqueArray(row, { selector: (r) => r.pid, maxLength: 20 }),
        fc.nat(20),
        (rows, root) => {
          const total = treeRssKiB(rows, root);
          const all = rows.reduce((sum, r) => sum + r.rssKiB, 0);
          if (rows.some((r) => r.pid === root)) expect(total).toBeLessThanOrEqual(all);
          else expect(total).toBeUndefined();
        },
      ),
    );
  });

  it('counts a pid once when reused pids make the parent links a cycle', () => {
    const rows = parseProcessRows('10 11 1024\n11 10 2048\n', 1);
    expect(treeRssKiB(rows, 10)).toBe(3);
  });
});

describe('tree kill per platform', () => {
  it('signals the process group on Linux and macOS, runs taskkill /T /F on Windows', () => {
    expect(treeKillCommand(4242, 'terminate', 'linux')).toEqual({ kind: 'group-signal', signal: 'SIGTERM' });
    expect(treeKillCommand(4242, 'kill', 'darwin')).toEqual({ kind: 'group-signal', signal: 'SIGKILL' });
    expect(treeKillCommand(4242, 'leftovers', 'darwin')).toEqual({ kind: 'group-signal', signal: 'SIGKILL' });
    for (const stage of ['terminate', 'kill'] as const) {
      expect(treeKillCommand(4242, stage, 'win32')).toEqual({
        kind: 'run',
        argv: ['taskkill.exe', '/PID', '4242', '/T', '/F'],
      });
    }
    expect(treeKillCommand(4242, 'leftovers', 'win32')).toEqual({ kind: 'none' });
  });
});

describe('priority per platform', () => {
  it("maps nice levels to Windows priority classes as the official client's table", () => {
    const { priority } = constants;
    const expected = (level: number) =>
      level >= 15
        ? priority.PRIORITY_LOW
        : level >= 5
          ? priority.PRIORITY_BELOW_NORMAL
          : level >= -3
            ? priority.PRIORITY_NORMAL
            : level >= -9
              ? priority.PRIORITY_ABOVE_NORMAL
              : level >= -14
                ? priority.PRIORITY_HIGH
                : priority.PRIORITY_HIGHEST;
    for (let level = -20; level <= 19; level += 1) expect(windowsPriorityClass(level)).toBe(expected(level));
    expect(windowsPriorityClass(19)).toBe(19);
    expect(windowsPriorityClass(-20)).toBe(-20);
  });

  it('sets the class on Windows, nothing after nice elsewhere, the level where nice is missing', () => {
    const calls: [number, number][] = [];
    const set = (pid: number, value: number) => calls.push([pid, value]);
    applyPriorityAfterSpawn(7, 12, 'win32', false, set);
    applyPriorityAfterSpawn(7, 12, 'linux', true, set);
    applyPriorityAfterSpawn(7, 12, 'darwin', false, set);
    expect(calls).toEqual([
      [7, constants.priority.PRIORITY_BELOW_NORMAL],
      [7, 12],
    ]);
    const denied = applyPriorityAfterSpawn(7, -20, 'win32', false, () => {
      throw new Error('EACCES');
    });
    expect(denied).toMatch(/failed: EACCES/);
  });

  it('on Windows runs Blender without nice and gives its pid the mapped class right after the spawn', async () => {
    // On Linux the Windows constants are nice levels, so the class shows as Blender's niceness.
    const { handle, events } = render('ok', { platform: 'win32', priority: 12 });
    const result = await handle.result;
    expect(result.ok).toBe(true);
    const argv = events.find((e) => e.type === 'started');
    expect(argv?.type === 'started' && argv.argv[0]).toBe(FAKE_BLENDER);
    expect(result.log).toContain(`FAKE niceness ${constants.priority.PRIORITY_BELOW_NORMAL}`);
  });
});

describe('process-tree memory per platform, for real', () => {
  it('measures with ps as on macOS and kills the tree over the memory limit: 21', async () => {
    const { handle, events } = render('memory-hog', { platform: 'darwin', memoryKiB: 200 * 1024 });
    const result = await handle.result;
    expect(result).toMatchObject({ ok: false, errorType: ErrorType.RENDERER_OUT_OF_MEMORY });
    expect(result.memoryUsedKiB).toBeGreaterThan(200 * 1024);
    expect(events.some((e) => e.type === 'memory-unavailable')).toBe(false);
  });

  it('measures through one PowerShell session on Windows and stops the tree with taskkill: 21', async () => {
    const answer = join(root, 'cim.txt');
    const commands = join(root, 'commands.txt');
    const kills = join(root, 'taskkill.txt');
    await writeFile(answer, CIM_WINDOWS);
    Object.assign(process.env, {
      FAKE_POWERSHELL_ANSWER: answer,
      FAKE_POWERSHELL_LOG: commands,
      FAKE_TASKKILL_LOG: kills,
    });
    const { handle } = render('slow', {
      platform: 'win32',
      memoryKiB: 200 * 1024,
      memoryPollMs: 50,
      systemCommands: { powershell: FAKE_POWERSHELL, taskkill: FAKE_TASKKILL },
    });
    const started = await nextEvent(handle, (e) => e.type === 'started');
    const pid = started.type === 'started' ? started.pid : 0;
    // Blender (300 MiB) and a helper (20 MiB) now appear in what Get-CimInstance reports.
    await writeFile(
      answer,
      `${CIM_WINDOWS}${pid} 1 ${300 * 1024 * 1024}\r\n${pid + 1} ${pid} ${20 * 1024 * 1024}\r\n`,
    );
    const result = await handle.result;
    expect(result).toMatchObject({ ok: false, errorType: ErrorType.RENDERER_OUT_OF_MEMORY });
    expect(result.memoryUsedKiB).toBe(320 * 1024);
    expect(await readFile(kills, 'utf8')).toBe(`${JSON.stringify(['/PID', String(pid), '/T', '/F'])}\n`);
    const sent = (await readFile(commands, 'utf8')).trim().split('\n');
    expect(sent[0]).toMatch(
      /Get-CimInstance -ClassName Win32_Process -Property ProcessId,ParentProcessId,WorkingSetSize/,
    );
  });

  it('says once, with why, when the platform cannot measure, and renders on', async () => {
    const { handle, events } = render('ok', {
      platform: 'win32',
      memoryKiB: 200 * 1024,
      systemCommands: { powershell: join(root, 'no-such-powershell.exe') },
    });
    const result = await handle.result;
    expect(result.ok).toBe(true);
    const notices = events.filter((e) => e.type === 'memory-unavailable');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({
      reason: expect.stringMatching(
        /cannot measure the memory of Blender's processes on win32: cannot run .*no-such-powershell/,
      ),
    });
    expect(result.log.some((line) => line.includes('cannot measure the memory'))).toBe(true);
  });

  it('on macOS without a working ps it says so too, instead of reading a /proc that is not there', async () => {
    const { handle, events } = render('ok', {
      platform: 'darwin',
      systemCommands: { ps: join(root, 'no-ps') },
    });
    expect((await handle.result).ok).toBe(true);
    expect(events.filter((e) => e.type === 'memory-unavailable')).toEqual([
      {
        type: 'memory-unavailable',
        reason: expect.stringMatching(/on darwin: .*no-ps -A -o pid=,ppid=,rss= failed/),
      },
    ]);
  });

  it('the agent logs it once per process, however many renders say it', () => {
    const warnings: string[] = [];
    const notice = memoryNoticeOnce((message) => warnings.push(message));
    const event: RenderEvent = {
      type: 'memory-unavailable',
      reason: 'cannot measure … on win32: no PowerShell',
    };
    notice({ type: 'memory', rssKiB: 1, peakKiB: 1 });
    notice(event);
    notice(event);
    expect(warnings).toEqual([
      'cannot measure … on win32: no PowerShell; the memory limit (--memory) is not enforced and no render memory is shown',
    ]);
  });
});

describe('PowerShellSession', () => {
  it('answers command after command from one process, and fails clearly when it dies', async () => {
    const answer = join(root, 'cim.txt');
    await writeFile(answer, CIM_WINDOWS);
    process.env.FAKE_POWERSHELL_ANSWER = answer;
    process.env.FAKE_POWERSHELL_MODE = 'exit-after-one';
    const session = new PowerShellSession(FAKE_POWERSHELL);
    try {
      expect(parseProcessRows(await session.run('Get-Anything'), 1)).toHaveLength(4);
      await expect(session.run('Get-Anything')).rejects.toThrow(/PowerShell exited/);
      await expect(session.run('Get-Anything')).rejects.toThrow(/PowerShell exited/);
    } finally {
      session.close();
    }
  });
});
