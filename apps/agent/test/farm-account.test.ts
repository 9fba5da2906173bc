// The farm account from the console, applied by the real agent against the real sandbox farm: an agent
// without an account starts and waits, renders once the console sends one, logs in again after the
// current frame when it changes, waits when the farm refuses it, and never prefers it to its own; the
// console's farm server is kept beside it.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningFarm } from 'flock-farm';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/clock.js';
import { DEFAULT_SERVER } from '../src/config/index.js';
import { FARM_ACCOUNT_FILE, FarmAccounts } from '../src/farm/account.js';
import { Logger } from '../src/log/index.js';
import { cleanUp, syntheticProject, tempDir, testAgent, testFarm, until } from './e2e-helpers.js';

afterEach(cleanUp);

const NO_LOCAL_ACCOUNT = { login: undefined, password: undefined };
const ACCOUNTS = [
  { login: 'demo', password: 'demo' },
  { login: 'second', password: 'second-key-77' },
];
const loginsOf = (farm: RunningFarm) => [...new Set(farm.jobRequests().map((request) => request.login))];
const doneFrames = (farm: RunningFarm, projectId: number) =>
  farm.frames(projectId).filter((frame) => frame.state === 'done');

describe('the farm account kept from the console', () => {
  it('is stored 0600 in the config dir and read back by the next run; local wins; withheld keeps it', async () => {
    const configDir = await tempDir('config');
    const log = new Logger(systemClock);
    const accounts = await FarmAccounts.open({ local: null, configDir, log });
    expect(accounts.view).toEqual({ source: 'none', login: null });
    expect(await accounts.update({ account: { login: 'alice', renderKey: 'key-1' } })).toBe(true);
    const file = join(configDir, FARM_ACCOUNT_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ login: 'alice', renderKey: 'key-1' });
    expect(await accounts.update({ withheld: 'plain-link' })).toBe(false);
    expect(accounts.current).toEqual({ login: 'alice', password: 'key-1' });
    expect(accounts.missingMessage(true)).toMatch(/plain HTTP link.*HTTPS/);

    const nextRun = await FarmAccounts.open({ local: null, configDir, log });
    expect(nextRun.view).toEqual({ source: 'console', login: 'alice' });
    const withOwn = await FarmAccounts.open({ local: { login: 'own', password: 'pw' }, configDir, log });
    expect(withOwn.view).toEqual({ source: 'local', login: 'own' });
    expect(await withOwn.update({ account: { login: 'bob', renderKey: 'key-2' } })).toBe(false);
    expect(withOwn.current).toEqual({ login: 'own', password: 'pw' });

    expect(await nextRun.update({ account: null })).toBe(true);
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    expect(nextRun.view).toEqual({ source: 'none', login: null });
  });

  it("keeps the console's farm server with it; an older file or the agent's own server say which applies", async () => {
    const configDir = await tempDir('config');
    const log = new Logger(systemClock);
    const file = join(configDir, FARM_ACCOUNT_FILE);
    await writeFile(file, JSON.stringify({ login: 'alice', renderKey: 'key-1' })); // an older version's
    const older = await FarmAccounts.open({ local: null, configDir, log });
    expect(older.serverKnown).toBe(false);
    expect(older.server).toBe(DEFAULT_SERVER);
    expect(older.setConsoleServer(null)).toBe(true); // known now, though the same farm
    expect(older.setConsoleServer('http://farm.lan:8080')).toBe(true);
    expect(older.setConsoleServer('http://farm.lan:8080')).toBe(false);
    await older.saved();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      login: 'alice',
      renderKey: 'key-1',
      farmServer: 'http://farm.lan:8080',
    });

    const nextRun = await FarmAccounts.open({ local: null, configDir, log });
    expect(nextRun.serverKnown).toBe(true);
    expect(nextRun.server).toBe('http://farm.lan:8080');
    expect(await nextRun.update({ account: null })).toBe(true);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ farmServer: 'http://farm.lan:8080' });
    const own = await FarmAccounts.open({ local: null, localServer: 'http://own:1', configDir, log });
    expect(own.server).toBe('http://own:1');
    expect(own.setConsoleServer(null)).toBe(false);
  });

  it.each([
    ['a server with a password in it', { login: 'a', renderKey: 'k', farmServer: 'http://u:p@farm' }],
    ['a server that is no URL', { farmServer: 'file:///etc/passwd' }],
    ['a login without its key', { login: 'a', farmServer: null }],
    ['not an object', ['a', 'k']],
  ])('ignores a kept file with %s', async (_what, kept) => {
    const configDir = await tempDir('config');
    await writeFile(join(configDir, FARM_ACCOUNT_FILE), JSON.stringify(kept));
    const lines: string[] = [];
    const log = new Logger(systemClock);
    log.onEntry((entry) => lines.push(entry.message));
    const accounts = await FarmAccounts.open({ local: null, configDir, log });
    expect(accounts.current).toBeNull();
    expect(accounts.serverKnown).toBe(false);
    expect(lines.join('\n')).toMatch(/farm-account\.json is damaged and ignored/);
  });

  it('is ignored with a log line when the file is damaged', async () => {
    const configDir = await tempDir('config');
    await writeFile(join(configDir, FARM_ACCOUNT_FILE), '{"login": "alice", "renderKey": ""}');
    const lines: string[] = [];
    const log = new Logger(systemClock);
    log.onEntry((entry) => lines.push(entry.message));
    expect((await FarmAccounts.open({ local: null, configDir, log })).current).toBeNull();
    expect(lines.join('\n')).toMatch(/farm-account\.json is damaged and ignored/);
  });
});

describe('an agent without an account of its own', () => {
  it('starts and waits for one, then renders with the account the console sends', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1);
    const t = await testAgent(farm, { settings: NO_LOCAL_ACCOUNT, start: false });
    t.agent.linkStarted();
    const run = t.agent.run();
    await until(() => t.agent.store.state.reason?.code === 'no-farm-account', {
      what: 'waiting',
      lines: t.lines,
    });
    expect(t.agent.store.state.status).toBe('error');
    expect(t.agent.store.state.reason?.message).toMatch(/^Waiting for a farm account from the console/);
    expect(t.agent.store.state.farmAccount).toEqual({ source: 'none', login: null });
    expect(farm.sessions()).toHaveLength(0);

    t.agent.farmAccountFromConsole({ account: { login: 'demo', renderKey: 'demo' } });
    await until(() => doneFrames(farm, project.id).length === 1, { what: 'the frame', lines: t.lines });
    expect(t.agent.store.state.farmAccount).toEqual({ source: 'console', login: 'demo' });
    expect(t.agent.store.state.session?.login).toBe('demo');
    await t.agent.execute({ type: 'stop', when: 'now' });
    expect(await run).toBe(0);
  });

  it('says so when the console withholds the account over a plain link', async () => {
    const farm = await testFarm();
    const t = await testAgent(farm, { settings: NO_LOCAL_ACCOUNT, start: false });
    t.agent.linkStarted();
    void t.agent.run();
    await until(() => t.agent.store.state.reason?.code === 'no-farm-account', {
      what: 'waiting',
      lines: t.lines,
    });
    t.agent.farmAccountFromConsole({ withheld: 'plain-link' });
    await until(() => /plain HTTP link/.test(t.agent.store.state.reason?.message ?? ''), {
      what: 'the reason',
      lines: t.lines,
    });
    expect(t.lines.join('\n')).toMatch(/does not send it over a plain HTTP link/);
  });

  it('logs in again with a changed account after the current frame', async () => {
    const farm = await testFarm({ accounts: ACCOUNTS });
    const project = await syntheticProject(farm, 3, { synthetic: { renderMs: 1500 } });
    const t = await testAgent(farm, { settings: NO_LOCAL_ACCOUNT });
    t.agent.farmAccountFromConsole({ account: { login: 'demo', renderKey: 'demo' } });
    await until(() => t.agent.store.state.job?.phase === 'render', { what: 'rendering', lines: t.lines });
    const frame = t.agent.store.state.job?.frame;
    t.agent.farmAccountFromConsole({ account: { login: 'second', renderKey: 'second-key-77' } });
    await until(() => loginsOf(farm).includes('second'), { what: 'the new account', lines: t.lines });
    // The frame in progress was finished and delivered under the account that took it.
    await until(() => doneFrames(farm, project.id).some((row) => row.number === frame), {
      what: 'the frame in progress',
      lines: t.lines,
    });
    expect(doneFrames(farm, project.id).find((row) => row.number === frame)?.doneBy).toMatch(/demo/);
    expect(t.agent.store.state.session?.login).toBe('second');
    expect(t.lines.join('\n')).toContain('logging in again why="the farm account from the console changed"');
    expect(t.lines.join('\n')).not.toContain('second-key-77');
  });

  it('waits, without exiting, when the farm refuses the console account, until the console corrects it', async () => {
    const farm = await testFarm({ accounts: ACCOUNTS });
    const project = await syntheticProject(farm, 1);
    const t = await testAgent(farm, { settings: NO_LOCAL_ACCOUNT });
    t.agent.farmAccountFromConsole({ account: { login: 'second', renderKey: 'wrong-key' } });
    await until(() => t.agent.store.state.reason?.code === 'login-refused', {
      what: 'refused',
      lines: t.lines,
    });
    expect(t.agent.store.state.reason?.message).toMatch(/refused the farm account set in the console/);
    t.agent.farmAccountFromConsole({ account: { login: 'second', renderKey: 'second-key-77' } });
    await until(() => doneFrames(farm, project.id).length === 1, { what: 'the frame', lines: t.lines });
    expect(loginsOf(farm)).toEqual(['second']);
  });
});

describe('an agent with its own account', () => {
  it('keeps rendering with it whatever the console sends, and says so', async () => {
    const farm = await testFarm({ accounts: ACCOUNTS });
    const project = await syntheticProject(farm, 2);
    const t = await testAgent(farm);
    t.agent.farmAccountFromConsole({ account: { login: 'second', renderKey: 'second-key-77' } });
    await until(() => doneFrames(farm, project.id).length === 2, { what: 'the frames', lines: t.lines });
    expect(loginsOf(farm)).toEqual(['demo']);
    expect(t.agent.store.state.farmAccount).toEqual({ source: 'local', login: 'demo' });
  });
});
