// Config and cache locations by each OS's conventions, with the platform passed in; and on Linux,
// for real, the default cache dir a new user gets without --cache-dir.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  defaultCacheDir,
  defaultConfigPath,
  helpText,
  parseCommandLine,
  resolveSettings,
  type SystemPlaces,
} from '../src/config/index.js';
import { defaultConfigDir } from '../src/link/index.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const nothing = () => false;
const linux: SystemPlaces = { platform: 'linux', home: '/home/ann', env: {}, exists: nothing };
const mac: SystemPlaces = { platform: 'darwin', home: '/Users/ann', env: {}, exists: nothing };
const windows: SystemPlaces = {
  platform: 'win32',
  home: 'C:\\Users\\ann',
  env: { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local' },
  exists: nothing,
};

describe('default places per OS', () => {
  it('Linux: XDG config and cache dirs, ~/.config and ~/.cache when unset or not absolute', () => {
    expect(defaultConfigPath(linux)).toBe('/home/ann/.config/flock/agent.json');
    expect(defaultCacheDir(linux)).toBe('/home/ann/.cache/flock');
    const xdg = { ...linux, env: { XDG_CONFIG_HOME: '/cfg', XDG_CACHE_HOME: '/var/cache/ann' } };
    expect(defaultConfigPath(xdg)).toBe('/cfg/flock/agent.json');
    expect(defaultCacheDir(xdg)).toBe('/var/cache/ann/flock');
    expect(defaultCacheDir({ ...linux, env: { XDG_CACHE_HOME: 'rel' } })).toBe('/home/ann/.cache/flock');
    expect(defaultCacheDir({ ...linux, platform: 'freebsd' })).toBe('/home/ann/.cache/flock');
  });

  it('macOS: Application Support and Caches', () => {
    expect(defaultConfigPath(mac)).toBe('/Users/ann/Library/Application Support/flock/agent.json');
    expect(defaultCacheDir(mac)).toBe('/Users/ann/Library/Caches/flock');
  });

  it('Windows: %APPDATA%\\flock and %LOCALAPPDATA%\\flock, from the profile when unset', () => {
    expect(defaultConfigPath(windows)).toBe('C:\\Users\\ann\\AppData\\Roaming\\flock\\agent.json');
    expect(defaultCacheDir(windows)).toBe('C:\\Users\\ann\\AppData\\Local\\flock');
    const bare = { ...windows, env: {} };
    expect(defaultConfigPath(bare)).toBe('C:\\Users\\ann\\AppData\\Roaming\\flock\\agent.json');
    expect(defaultCacheDir(bare)).toBe('C:\\Users\\ann\\AppData\\Local\\flock');
  });

  it('keeps using a config an earlier version left in ~/.config/flock on macOS and Windows, and says so', () => {
    const earlierMac = { ...mac, exists: (file: string) => file === '/Users/ann/.config/flock/agent.json' };
    expect(defaultConfigPath(earlierMac)).toBe('/Users/ann/.config/flock/agent.json');
    const parsed = parseCommandLine(['run'], {}, earlierMac);
    expect(parsed.configFile).toBe('/Users/ann/.config/flock/agent.json');
    expect(parsed.configNotice).toBe(
      "using the config in /Users/ann/.config/flock, where an earlier version kept it; this system's place for it is /Users/ann/Library/Application Support/flock (move the files there to use it)",
    );
    const earlierWindows = {
      ...windows,
      exists: (file: string) => file === 'C:\\Users\\ann\\.config\\flock\\console-link.json',
    };
    expect(defaultConfigPath(earlierWindows)).toBe('C:\\Users\\ann\\.config\\flock\\agent.json');
    // Once the OS's own dir holds the files, it wins; on Linux there is nothing to tell.
    const moved = { ...earlierMac, exists: () => true };
    expect(defaultConfigPath(moved)).toBe('/Users/ann/Library/Application Support/flock/agent.json');
    expect(parseCommandLine(['run'], {}, { ...linux, exists: () => true }).configNotice).toBeUndefined();
  });

  it('the console link credentials live beside the config, by the same rules', () => {
    expect(defaultConfigDir({ XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/flock');
  });
});

describe('a new user needs no --cache-dir', () => {
  it('defaults it to the OS cache dir, and --help shows both defaults of this machine', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'flock-home-'));
    dirs.push(home);
    const env = { XDG_CACHE_HOME: path.join(home, 'cache'), XDG_CONFIG_HOME: path.join(home, 'config') };
    const settings = await resolveSettings(
      parseCommandLine(['run', '--login', 'demo', '--password', 'pw'], env, { platform: 'linux', home }),
      env,
    );
    expect(settings.cacheDir).toBe(path.join(home, 'cache', 'flock'));
    // A config file's cache-dir and the flag still win.
    await mkdir(path.join(home, 'config', 'flock'), { recursive: true });
    await writeFile(
      path.join(home, 'config', 'flock', 'agent.json'),
      JSON.stringify({ 'cache-dir': '/srv/c' }),
    );
    const fromFile = await resolveSettings(
      parseCommandLine(['run', '--login', 'demo', '--password', 'pw'], env, { platform: 'linux', home }),
      env,
    );
    expect(fromFile.cacheDir).toBe('/srv/c');
    const help = helpText({ platform: 'linux', home, env });
    expect(help).toContain(`config file      ${path.join(home, 'config', 'flock', 'agent.json')}`);
    expect(help).toContain(`cache dir        ${path.join(home, 'cache', 'flock')}`);
    expect(helpText(windows)).toContain('cache dir        C:\\Users\\ann\\AppData\\Local\\flock');
  });
});
