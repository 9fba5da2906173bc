import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AgentStateSchema } from '@flock/protocol';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { CookieJar } from '../src/farm/cookies.js';
import {
  consoleLinkNote,
  formatEntryLine,
  formatLocalTime,
  formatStatusLine,
  Logger,
  progressBar,
} from '../src/log/index.js';
import { AgentStateStore, mirrorStateToFile, readStateFile } from '../src/state/index.js';
import { defaultLimits, testMachine } from './support/store.js';

const machine = { ...testMachine, cpu: { model: 'CPU', cores: 4 } };
const limits = defaultLimits;

describe('the observable state', () => {
  it('is a valid link AgentState that emits a change per update', () => {
    const store = new AgentStateStore({ machine, limits });
    let changes = 0;
    store.on('change', () => changes++);
    const before = store.state;
    store.setReason({ code: 'paused-by-user', message: 'paused by the user', until: null });
    store.setReason({ code: 'paused-by-user', message: 'paused by the user', until: null });
    expect(changes).toBe(1);
    expect(store.state).not.toBe(before);
    expect(Object.isFrozen(store.state)).toBe(true);
    expect(AgentStateSchema.parse(store.state)).toEqual(store.state);
  });

  it('keeps the recent log as a bounded ring without debug lines', () => {
    const clock = new ManualClock();
    const store = new AgentStateStore({ machine, limits });
    const log = new Logger(clock);
    log.onEntry((entry) => store.recordLog(entry));
    for (let i = 0; i < 250; i++) log.info(`line ${i}`);
    log.debug('noise');
    expect(store.state.recentLog).toHaveLength(200);
    expect(store.state.recentLog.at(-1)?.message).toBe('line 249');
  });

  it('mirrors itself to the state file for `status`', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'flock-state-'));
    const store = new AgentStateStore({ machine, limits });
    const stop = mirrorStateToFile(store, dir, new ManualClock(), 5);
    store.updateLocal({ framesDelivered: 2, worker: 'rendering' });
    await stop();
    const content = await readStateFile(dir);
    expect(content?.pid).toBe(process.pid);
    expect(content?.local).toMatchObject({ framesDelivered: 2, worker: 'rendering' });
    expect(await readStateFile(path.join(dir, 'nowhere'))).toBeUndefined();
  });

  it('formats the status line with a progress bar', () => {
    const store = new AgentStateStore({ machine, limits });
    store.update({
      job: {
        id: '7',
        project: 'Shot',
        frame: 3,
        phase: 'render',
        progress: 0.5,
        etaSeconds: 75,
        device: 'CPU',
        startedAt: 0,
      },
    });
    const line = formatStatusLine(store.snapshot(), 0);
    expect(line).toContain('render Shot #3');
    expect(line).toContain(`${progressBar(0.5)}  50%`);
    expect(line).toContain('ETA 1m15s');
    expect(progressBar(0.5, 10)).toBe('[#####-----]');
  });

  it('says when the console removed this machine, in local time, and how to link it again', () => {
    const store = new AgentStateStore({ machine, limits });
    store.updateLocal({ consoleLink: { url: 'http://192.168.1.10:3000', removedAt: null } });
    const removedAt = new Date(2026, 11, 7, 17, 5).getTime();
    expect(formatStatusLine(store.snapshot(), removedAt, 400)).not.toContain('removed');
    store.updateLocal({ consoleLink: { url: 'http://192.168.1.10:3000', removedAt } });
    const note = `removed from the console at ${formatLocalTime(removedAt)}; run \`flock-agent pair http://192.168.1.10:3000 <code>\` to link it again`;
    expect(consoleLinkNote(store.local, removedAt)).toBe(note);
    expect(formatStatusLine(store.snapshot(), removedAt, 400)).toContain(note);
  });

  it('says since when and until when the farm is unreachable in local time, never as ISO text', () => {
    const store = new AgentStateStore({ machine, limits });
    const since = new Date(2026, 0, 5, 14, 2, 7).getTime(); // local time
    const until = since + 30_000;
    store.setReason({
      code: 'farm-unreachable',
      message: 'The farm did not answer in time.',
      since,
      until,
      detail: 'Headers Timeout Error',
    });
    const line = formatStatusLine(store.snapshot(), since, 400);
    expect(line).toContain(
      `The farm did not answer in time, since ${formatLocalTime(since)}, next try at ${formatLocalTime(until)}`,
    );
    expect(formatLocalTime(since)).toBe(new Date(since).toLocaleTimeString());
    expect(line).not.toContain(new Date(since).toISOString().slice(0, 16));
    expect(line).not.toContain('Headers Timeout');
    // another day: the day is shown too
    expect(formatLocalTime(until, until + 86_400_000)).toContain(String(new Date(until).getDate()));
  });
});

describe('the logger', () => {
  it("writes text lines with this machine's local time, never as ISO text; JSON keeps ISO for machines", () => {
    const at = new Date(2026, 11, 8, 4, 5, 6, 789).getTime();
    const entry = { at, level: 'info' as const, message: 'job received', fields: { frame: '0007' } };
    expect(formatEntryLine(entry, 'text')).toBe('2026-12-08 04:05:06.789 info  job received frame=0007');
    expect(JSON.parse(formatEntryLine(entry, 'json')).at).toBe(new Date(at).toISOString());
  });

  it('redacts every secret in messages and fields', () => {
    const log = new Logger(new ManualClock());
    const seen: string[] = [];
    log.onEntry((entry) => seen.push(`${entry.message} ${JSON.stringify(entry.fields)}`));
    log.addSecret('hunter2');
    log.info('password hunter2 sent', { body: 'login=a&password=hunter2' });
    expect(seen.join()).not.toContain('hunter2');
    expect(seen.join()).toContain('[redacted]');
  });

  it('redacts short secrets where they are values, without blanking paths that contain them', () => {
    const log = new Logger(new ManualClock());
    const seen: string[] = [];
    log.onEntry((entry) => seen.push(entry.message));
    log.addSecret('demo');
    log.info('Read blend: /tmp/a/demo.blend');
    log.info('login=demo&password=demo sent; proxy http://user:demo@host:3128');
    log.info('<config publickey="k3y"/>');
    expect(seen[0]).toBe('Read blend: /tmp/a/demo.blend');
    expect(seen[1]).toBe('login=demo&password=[redacted] sent; proxy http://user:[redacted]@host:3128');
    expect(seen[2]).toBe('<config publickey="[redacted]"/>');
  });
});

describe('the session cookie jar', () => {
  it('sends back what the farm set, by host and path, until it expires', async () => {
    const clock = new ManualClock();
    const jar = new CookieJar(clock);
    jar.store('http://farm:8080/server/config.php', [
      'PHPSESSID=abc; Path=/; HttpOnly',
      'short=1; Max-Age=60',
    ]);
    expect(jar.header('http://farm:8080/account.php?x=1')).toBe('PHPSESSID=abc');
    // `short` got the default path /server; longer paths come first
    expect(jar.header('http://farm:8080/server/other')).toBe('short=1; PHPSESSID=abc');
    expect(jar.header('http://elsewhere:8080/')).toBeUndefined();
    await clock.advance(61_000);
    expect(jar.header('http://farm:8080/server/other')).toBe('PHPSESSID=abc');
    jar.store('http://farm:8080/', 'PHPSESSID=new; Path=/');
    expect(jar.header('http://farm:8080/x')).toBe('PHPSESSID=new');
    jar.store('http://farm:8080/', 'PHPSESSID=gone; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    expect(jar.header('http://farm:8080/x')).toBeUndefined();
  });

  it('ignores malformed headers and keeps Secure cookies off plain http', () => {
    const jar = new CookieJar(new ManualClock());
    jar.store('https://farm/', ['novalue', '=x', 's=1; Secure']);
    expect(jar.header('http://farm/')).toBeUndefined();
    expect(jar.header('https://farm/')).toBe('s=1');
  });
});
