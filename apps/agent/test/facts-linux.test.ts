// The owner-rule fact readers for real on this Linux machine: real processes under names of their own
// (copies of `sleep`, so another user's `sleep` on a shared machine cannot interfere), the real /proc,
// the real environment (this test machine has no desktop session) and systeminformation.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFactsReader } from '../src/rules/facts.js';
import { runningWatchedNames } from '../src/rules/readers/processes.js';
import { runCommand } from '../src/rules/readers/run-command.js';
import { hasDisplay } from '../src/rules/readers/user-idle.js';

const onLinux = process.platform === 'linux';
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'flock-facts-'));
  dirs.push(dir);
  return dir;
}

/** Starts a copy of `sleep` named `name`; resolves once /proc shows it under that name (after exec). */
async function startProgram(name: string): Promise<ChildProcess> {
  const file = path.join(tempDir(), name);
  copyFileSync('/usr/bin/sleep', file);
  const child = spawn(file, ['60'], { stdio: 'ignore' });
  children.push(child);
  const comm = `/proc/${child.pid}/comm`;
  const named = () => existsSync(comm) && readFileSync(comm, 'utf8').trim() === name.slice(0, 15);
  for (let tries = 0; tries < 500 && !named(); tries++) await new Promise((r) => setTimeout(r, 10));
  return child;
}

async function stopProgram(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const unique = () => Math.random().toString(36).slice(2, 8);

describe.runIf(onLinux)('facts of this Linux machine', () => {
  it('sees a watched program while it runs and not after it exits', async () => {
    const name = `flk${unique()}`;
    const reader = createFactsReader({ now: Date.now });
    expect((await reader.read([name])).runningWatched).toEqual([]);
    const child = await startProgram(name);
    // Names compare without case and without `.exe`; only the watched names come back.
    expect((await reader.read([`${name.toUpperCase()}.exe`, 'not-running-here'])).runningWatched).toEqual([
      `${name.toUpperCase()}.exe`,
    ]);
    await stopProgram(child);
    expect((await reader.read([name])).runningWatched).toEqual([]);
  });

  it('tells a long program name from another one with the same first 15 characters', async () => {
    const stem = `flock-${unique()}-watched`; // 20 characters: /proc/<pid>/comm holds its first 15
    await startProgram(`${stem}-helper`);
    const running = await runningWatchedNames([`${stem}-helper`, `${stem}-other`, stem], {
      platform: 'linux',
      run: runCommand,
    });
    expect(running).toEqual([`${stem}-helper`]);
  });

  it.runIf(!hasDisplay(process.env))(
    'says a machine without a display session is headless, once',
    async () => {
      const lines: string[] = [];
      const reader = createFactsReader({ now: Date.now, log: { info: (line) => lines.push(line) } });
      const first = await reader.read([]);
      await reader.read([]);
      expect(first.session).toBe('headless');
      expect(first.userIdleSeconds).toBeNull();
      expect(lines.filter((line) => line.includes('no desktop session'))).toHaveLength(1);
    },
  );

  it('reads battery, temperatures and time zone as this machine has them', async () => {
    const lines: string[] = [];
    const reader = createFactsReader({ now: Date.now, log: { info: (line) => lines.push(line) } });
    const facts = await reader.read([]);
    const supplies = existsSync('/sys/class/power_supply') ? readdirSync('/sys/class/power_supply') : [];
    if (!supplies.some((supply) => supply.startsWith('BAT'))) {
      expect(facts.onBattery).toBeNull();
      expect(lines.filter((line) => line.includes('no battery'))).toHaveLength(1);
    }
    for (const celsius of [facts.cpuCelsius, facts.gpuCelsius]) {
      expect(celsius === null || (celsius > 0 && celsius < 250)).toBe(true);
    }
    expect(facts.timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(facts.ownerCpuPercent).toBeNull(); // no usage samples were given
  });

  it('skips what a hostile or racing /proc holds', async () => {
    const proc = tempDir();
    const entry = (pid: string, files: Record<string, string>) => {
      mkdirSync(path.join(proc, pid));
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(proc, pid, name), text);
    };
    entry('1', { comm: 'Teams\n' });
    entry('2', {}); // exited between the listing and the read
    entry('self', { comm: 'blender\n' }); // not a pid
    entry('3', { comm: 'render-watchdo\n' });
    // A cut name whose command line is megabytes long, with the full name first.
    entry('4', {
      comm: 'flock-render-wa\n',
      cmdline: `/opt/x/flock-render-watchdog\0${'-x\0'.repeat(1_000_000)}`,
    });
    entry('5', { comm: 'flock-render-wa\n', cmdline: '/opt/x/flock-render-wasm\0' });
    const watched = ['teams', 'blender', 'flock-render-watchdog', 'flock-render-wasm-x'];
    expect(await runningWatchedNames(watched, { platform: 'linux', run: runCommand, procDir: proc })).toEqual(
      ['teams', 'flock-render-watchdog'],
    );
    expect(
      await runningWatchedNames(['teams'], { platform: 'linux', run: runCommand, procDir: `${proc}/none` }),
    ).toEqual([]);
  });
});
