// The launcher of an installed agent: which version it starts, a trial started once with its
// watchdog, a failed trial rolled back, damaged files. In process with stand-in bundles and a fake
// clock, and once as a real process through the built dist/launcher.mjs.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LauncherClock, launch, TRIAL_WATCHDOG_MS } from '../src/install/launcher.js';
import { EXIT_RESTART, HOME_ENV, VERSION_ENV } from '../src/install/layout.js';
import { confirmTrial, requestUpdate, UpdateRefused } from '../src/install/updates.js';
import { readVersions, sha256Of, type Versions } from '../src/install/versions.js';
import { bundleCalls, makeHome, standInBundle } from './support/agent-home.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'flock-launcher-'));
  bundleCalls().length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  const timers: { callback: () => void; ms: number; due: number }[] = [];
  const clock: LauncherClock & { timers: typeof timers; advance(ms: number): void } = {
    now: () => now,
    setTimeout(callback, ms) {
      timers.push({ callback, ms, due: now + ms });
      return { unref() {} };
    },
    timers,
    advance(ms) {
      now += ms;
      for (const timer of timers.filter((t) => t.due <= now)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.callback();
      }
    },
  };
  return clock;
}

/** One launch in this process; its exits and lines are recorded instead of ending the test. */
async function launchOnce(home: string, argv: string[], clock = fakeClock()) {
  const exits: number[] = [];
  const lines: string[] = [];
  const env: NodeJS.ProcessEnv = {};
  const result = await launch({
    home,
    argv,
    clock,
    exit: (code) => exits.push(code),
    say: (l) => lines.push(l),
    env,
  });
  return { result, exits, lines, env };
}

const versionsOf = (home: string): Versions =>
  JSON.parse(readFileSync(path.join(home, 'versions.json'), 'utf8'));
const NEW = 'new';

describe('launcher', () => {
  it('starts the current version with the argv and tells it where it is installed', async () => {
    const { layout, ids } = makeHome(
      dir,
      (v) => ({ current: v.old, previous: null, trial: null, rolledBack: null }),
      {
        old: standInBundle('old'),
      },
    );
    const { result, env } = await launchOnce(layout.home, ['run', '--config', '/x/agent.json']);
    expect(result).toEqual({ started: ids.old, trial: false });
    expect(bundleCalls()).toEqual([{ id: 'old', argv: ['run', '--config', '/x/agent.json'] }]);
    expect(env[HOME_ENV]).toBe(layout.home);
    expect(env[VERSION_ENV]).toBe(ids.old);
  });

  it('starts a trial once; the agent confirms it on welcome and it becomes current', async () => {
    const { layout, ids } = makeHome(
      dir,
      (v) => ({
        current: v.old,
        previous: null,
        trial: { id: v.new, startedAt: null },
        rolledBack: null,
      }),
      { old: standInBundle('old'), new: standInBundle('new') },
    );
    const clock = fakeClock();
    const first = await launchOnce(layout.home, ['run'], clock);
    expect(first.result).toEqual({ started: ids.new, trial: true });
    expect(versionsOf(layout.home).trial).toEqual({ id: ids.new, startedAt: clock.now() });
    expect(clock.timers.map((t) => t.ms)).toEqual([TRIAL_WATCHDOG_MS]);

    expect(confirmTrial({ home: layout.home, versionId: ids.new, supervisor: 'systemd' })).toBe(true);
    expect(versionsOf(layout.home)).toEqual({
      current: ids.new,
      previous: ids.old,
      trial: null,
      rolledBack: null,
    });
    clock.advance(TRIAL_WATCHDOG_MS); // the watchdog finds it confirmed: nothing happens
    expect(first.exits).toEqual([]);

    const second = await launchOnce(layout.home, ['run']);
    expect(second.result).toEqual({ started: ids.new, trial: false });
    expect(bundleCalls().map((c) => c.id)).toEqual(['new', 'new']);
  });

  it('rolls back a trial that does not connect within 60 s: exit 75, then the old version', async () => {
    const { layout, ids } = makeHome(
      dir,
      (v) => ({
        current: v.old,
        previous: null,
        trial: { id: v.new, startedAt: null },
        rolledBack: null,
      }),
      {
        old: standInBundle('old'),
        new: standInBundle('hangs', 'export function runCli() { /* never links */ }\n'),
      },
    );
    const clock = fakeClock();
    const trial = await launchOnce(layout.home, ['run'], clock);
    expect(trial.result).toEqual({ started: ids.new, trial: true });
    clock.advance(TRIAL_WATCHDOG_MS - 1);
    expect(trial.exits).toEqual([]);
    clock.advance(1);
    expect(trial.exits).toEqual([EXIT_RESTART]);
    expect(versionsOf(layout.home)).toMatchObject({
      current: ids.old,
      trial: null,
      rolledBack: { id: ids.new, reason: 'it did not connect to the console within 60 s' },
    });
    expect(trial.lines.join('\n')).toContain(`rolled back from version ${ids.new}`);

    const next = await launchOnce(layout.home, ['run']);
    expect(next.result).toEqual({ started: ids.old, trial: false });
  });

  it('rolls back a trial found already started (it crashed or was killed) and runs the old version', async () => {
    const { layout, ids } = makeHome(
      dir,
      (v) => ({ current: v.old, previous: null, trial: { id: v.new, startedAt: 5 }, rolledBack: null }),
      { old: standInBundle('old'), new: standInBundle('new') },
    );
    const { result } = await launchOnce(layout.home, ['run']);
    expect(result).toEqual({ started: ids.old, trial: false });
    expect(versionsOf(layout.home).rolledBack).toMatchObject({
      id: ids.new,
      reason: 'it stopped before it connected to the console',
    });
  });

  it('rolls back a trial that cannot even be imported (a syntax error): exit 75, then the old version', async () => {
    const { layout, ids } = makeHome(
      dir,
      (v) => ({
        current: v.old,
        previous: null,
        trial: { id: v.new, startedAt: null },
        rolledBack: null,
      }),
      { old: standInBundle('old'), new: 'export function runCli( {\n' },
    );
    const trial = await launchOnce(layout.home, ['run']);
    expect(trial.result).toEqual({ exitCode: EXIT_RESTART });
    // (vitest's module loader words the syntax error its own way; the real process below says SyntaxError)
    expect(versionsOf(layout.home).rolledBack?.reason).toMatch(/^it failed to start \(.+\)$/);
    const next = await launchOnce(layout.home, ['run']);
    expect(next.result).toEqual({ started: ids.old, trial: false });
  });

  it('starts no trial for other commands (status, stop…)', async () => {
    const { layout, ids } = makeHome(
      dir,
      (v) => ({
        current: v.old,
        previous: null,
        trial: { id: v.new, startedAt: null },
        rolledBack: null,
      }),
      { old: standInBundle('old'), new: standInBundle('new') },
    );
    const { result } = await launchOnce(layout.home, ['status']);
    expect(result).toEqual({ started: ids.old, trial: false });
    expect(versionsOf(layout.home).trial).toEqual({ id: ids.new, startedAt: null });
  });

  it('uses the last good copy when versions.json is damaged, and says so', async () => {
    const { layout, ids } = makeHome(
      dir,
      (v) => ({ current: v.old, previous: null, trial: null, rolledBack: null }),
      {
        old: standInBundle('old'),
      },
    );
    writeFileSync(layout.versionsFile, '{"current": "../../etc"');
    const { result, lines } = await launchOnce(layout.home, ['run']);
    expect(result).toEqual({ started: ids.old, trial: false });
    expect(lines[0]).toBe(
      `${layout.versionsFile} was damaged (not valid JSON); using its last good copy (version ${ids.old})`,
    );
    expect(versionsOf(layout.home).current).toBe(ids.old); // written back
  });

  it('refuses to start with a clear error when versions.json and its copy are both damaged', async () => {
    const { layout } = makeHome(
      dir,
      (v) => ({ current: v.old, previous: null, trial: null, rolledBack: null }),
      {
        old: standInBundle('old'),
      },
    );
    writeFileSync(layout.versionsFile, JSON.stringify({ current: '../../../etc/passwd-000000000000' }));
    rmSync(layout.versionsBackup);
    const { result, lines } = await launchOnce(layout.home, ['run']);
    expect(result).toEqual({ exitCode: 1 });
    expect(lines).toEqual([
      `${layout.versionsFile} is damaged ("current" is not a version id) and so is its backup (missing); ` +
        'install the agent again with the command from the console\'s "Add machine"',
    ]);
    expect(bundleCalls()).toEqual([]);
  });

  it('runs the previous version when the current one is damaged on disk', async () => {
    const { layout, ids } = makeHome(
      dir,
      (v) => ({ current: v.new, previous: v.old, trial: null, rolledBack: null }),
      { old: standInBundle('old'), new: standInBundle('new') },
    );
    writeFileSync(layout.bundleOf(ids.new), 'tampered');
    const { result, lines } = await launchOnce(layout.home, ['run']);
    expect(result).toEqual({ started: ids.old, trial: false });
    expect(lines).toEqual([`version ${ids.new} is missing or damaged; running the previous one, ${ids.old}`]);
    expect(readVersions(layout).versions).toMatchObject({ current: ids.old, previous: null });
  });
});

describe('requestUpdate', () => {
  it('stores a verified build as the trial, and refuses one whose SHA-256 differs', async () => {
    const { layout, ids } = makeHome(
      dir,
      (v) => ({ current: v.old, previous: null, trial: null, rolledBack: null }),
      {
        old: standInBundle('old'),
      },
    );
    const installed = { home: layout.home, versionId: ids.old, supervisor: 'systemd' as const };
    const bytes = Buffer.from(standInBundle('new'));
    expect(() =>
      requestUpdate(installed, { version: NEW, sha256: sha256Of(Buffer.from('other')), bytes }),
    ).toThrow(UpdateRefused);
    expect(versionsOf(layout.home).trial).toBeNull();
    const id = requestUpdate(installed, { version: NEW, sha256: sha256Of(bytes), bytes });
    expect(versionsOf(layout.home).trial).toEqual({ id, startedAt: null });
    const { result } = await launchOnce(layout.home, ['run']);
    expect(result).toEqual({ started: id, trial: true });
  });
});

describe('the built launcher, as a real process', () => {
  it('rolls back a new version with a syntax error on the next start', async () => {
    const { agentBundle } = (await import(path.join(import.meta.dirname, '..', 'build.mjs'))) as {
      agentBundle(entry: string, outfile: string): Promise<string>;
    };
    const launcher = await agentBundle(
      path.join(import.meta.dirname, '..', 'src', 'install', 'launcher-main.ts'),
      path.join(dir, 'build', 'launcher.mjs'),
    );
    const { layout, ids } = makeHome(
      dir,
      (v) => ({
        current: v.old,
        previous: null,
        trial: { id: v.new, startedAt: null },
        rolledBack: null,
      }),
      { old: standInBundle('old'), new: 'export function runCli( {\n' },
    );
    copyFileSync(launcher, layout.launcher);
    const start = () => spawnSync(process.execPath, [layout.launcher, 'run'], { encoding: 'utf8' });
    const trial = start();
    expect(trial.status).toBe(EXIT_RESTART);
    expect(trial.stderr).toContain(`rolled back from version ${ids.new}: it failed to start (SyntaxError`);
    const next = start();
    expect(next.status).toBe(0);
    expect(next.stdout).toBe('running old ["run"]\n');
  });
});
