import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  defaultConfigPath,
  helpText,
  parseCommandLine,
  parseMemory,
  resolveSettings,
  SETTING_KEYS,
  writeConfigFile,
} from '../src/config/index.js';

const base = ['run', '--login', 'demo', '--password', 'pw', '--cache-dir', '/tmp/a'];

async function settingsFor(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return resolveSettings(parseCommandLine(argv, env), env);
}

function configErrorOf(promise: Promise<unknown>) {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('settings from flags, config file and environment', () => {
  it('applies the defaults', async () => {
    const settings = await settingsFor(base, { HOME: '/nonexistent' });
    expect(settings).toMatchObject({
      login: 'demo',
      password: 'pw',
      cacheDir: '/tmp/a',
      computeMethod: 'cpu',
      priority: 19,
      logFormat: 'text',
    });
    expect(settings.maxFrames).toBeUndefined();
    // No server of its own: the console's farm server, else the public farm (DEFAULT_SERVER).
    expect(settings.server).toBeUndefined();
  });

  it('reads every flag', async () => {
    const settings = await settingsFor([
      ...base,
      ...['--server', 'http://127.0.0.1:8080/', '--shared-zip', '/tmp/s', '--compute-method', 'CPU_GPU'],
      ...['--gpu', 'CUDA_0', '--cores', '4', '--memory', '4G', '--max-frame-time', '30', '--priority', '5'],
      ...['--request-time', 'mon-fri 18:00-08:00', '--hostname', 'box-1', '--proxy', 'http://p:3128'],
      ...['--client-version', '6.22306.0', '--max-frames', '3', '--log-format', 'json'],
    ]);
    expect(settings).toMatchObject({
      server: 'http://127.0.0.1:8080',
      sharedZip: '/tmp/s',
      computeMethod: 'cpu_gpu',
      gpu: 'CUDA_0',
      cores: 4,
      memoryBytes: 4 * 1024 ** 3,
      maxFrameTimeSeconds: 30 * 60,
      priority: 5,
      requestTime: 'mon-fri 18:00-08:00',
      hostname: 'box-1',
      proxy: 'http://p:3128',
      clientVersion: '6.22306.0',
      maxFrames: 3,
      logFormat: 'json',
    });
  });

  it('takes the longest frame time as --max-frame-time, and still as the older --rendertime', async () => {
    expect((await settingsFor([...base, '--max-frame-time', '30'])).maxFrameTimeSeconds).toBe(1800);
    expect((await settingsFor([...base, '--rendertime', '30'])).maxFrameTimeSeconds).toBe(1800);
    const dir = await mkdtemp(path.join(tmpdir(), 'flock-config-'));
    const file = path.join(dir, 'agent.json');
    await writeFile(file, JSON.stringify({ rendertime: 20 }));
    expect((await settingsFor([...base, '--config', file])).maxFrameTimeSeconds).toBe(1200);
    // a flag wins over the file, whichever spelling each uses
    expect(
      (await settingsFor([...base, '--config', file, '--max-frame-time', '5'])).maxFrameTimeSeconds,
    ).toBe(300);
    const both = await configErrorOf(settingsFor([...base, '--rendertime', '30', '--max-frame-time', '20']));
    expect(both).toBeInstanceOf(ConfigError);
    expect((both as ConfigError).key).toBe('max-frame-time');
    expect(helpText()).toMatch(/--max-frame-time .*\(also --rendertime\)/);
  });

  it('takes the password from FLOCK_PASSWORD, below the flag', async () => {
    const argv = ['run', '--login', 'demo', '--cache-dir', '/tmp/a'];
    expect((await settingsFor(argv, { FLOCK_PASSWORD: 'from-env' })).password).toBe('from-env');
    expect((await settingsFor([...argv, '--password', 'flag'], { FLOCK_PASSWORD: 'env' })).password).toBe(
      'flag',
    );
  });

  it('reads the config file with the same keys, flags winning', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'flock-config-'));
    const file = path.join(dir, 'agent.json');
    await writeFile(file, JSON.stringify({ login: 'file', password: 'secret', 'cache-dir': '/c', cores: 2 }));
    const settings = await settingsFor(['run', '--config', file, '--cores', '3']);
    expect(settings).toMatchObject({ login: 'file', password: 'secret', cacheDir: '/c', cores: 3 });
  });

  it('uses the XDG config dir by default', async () => {
    const linux = { platform: 'linux' as const, home: '/home/u' };
    expect(defaultConfigPath({ ...linux, env: { XDG_CONFIG_HOME: '/x/cfg' } })).toBe(
      '/x/cfg/flock/agent.json',
    );
    expect(defaultConfigPath({ ...linux, env: { XDG_CONFIG_HOME: 'relative' } })).toBe(
      '/home/u/.config/flock/agent.json',
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'flock-xdg-'));
    await writeConfigFile(path.join(dir, 'flock', 'agent.json'), {
      login: 'xdg',
      password: 'p',
      'cache-dir': '/c',
    });
    const settings = await settingsFor(['run'], { XDG_CONFIG_HOME: dir });
    expect(settings.login).toBe('xdg');
  });

  it('writes the config file 0600', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'flock-config-'));
    const file = path.join(dir, 'sub', 'agent.json');
    await writeConfigFile(file, { login: 'a', password: 'b' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ login: 'a', password: 'b' });
  });

  it.each([
    [['run', '--bogus'], 'arguments'],
    [['fly'], 'arguments'],
    [['run', '--cache-dir', '/a', '--password', 'p'], 'login'],
    [['run', '--login', 'a', '--cache-dir', '/a'], 'password'],
    [[...base, '--compute-method', 'tpu'], 'compute-method'],
    [[...base, '--cores', 'many'], 'cores'],
    [[...base, '--cores', '0'], 'cores'],
    [[...base, '--memory', '4 parsecs'], 'memory'],
    [[...base, '--memory', '1M'], 'memory'],
    [[...base, '--priority', '20'], 'priority'],
    [[...base, '--max-frame-time', '0'], 'max-frame-time'],
    [[...base, '--max-frame-time', '10081'], 'max-frame-time'],
    [[...base, '--rendertime', '10081'], 'max-frame-time'],
    [[...base, '--server', 'ftp://x'], 'server'],
    [[...base, '--server', 'not a url'], 'server'],
    [[...base, '--request-time', 'someday 25:00-26:00'], 'request-time'],
    [[...base, '--hostname', 'bad name!'], 'hostname'],
    [[...base, '--max-frames=-1'], 'max-frames'],
    [[...base, '--log-format', 'xml'], 'log-format'],
    [[...base, '--cache-max-size', 'lots'], 'cache-max-size'],
    [[...base, '--cache-max-size', '100M'], 'cache-max-size'],
    [[...base, '--cache-max-size', '2000T'], 'cache-max-size'],
    [[...base, '--cache-max-size=-5G'], 'cache-max-size'],
  ])('refuses %j with a ConfigError naming %s', async (argv, key) => {
    const error = await configErrorOf(settingsFor(argv, {}));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
    expect((error as ConfigError).message.split('\n')).toHaveLength(1);
  });

  it('refuses a broken or unknown-key config file, and a missing explicit one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'flock-config-'));
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{ not json');
    const unknown = path.join(dir, 'unknown.json');
    await writeFile(unknown, JSON.stringify({ login: 'a', colour: 'blue' }));
    for (const file of [broken, unknown, path.join(dir, 'missing.json')]) {
      const error = await configErrorOf(settingsFor([...base, '--config', file]));
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).key).toBe('config');
    }
  });

  it('takes the cache budget as --cache-max-size or "cache-max-size" in binary units, none by default', async () => {
    expect((await settingsFor([...base, '--cache-max-size', '20GB'])).cacheMaxBytes).toBe(20 * 1024 ** 3);
    expect((await settingsFor([...base, '--cache-max-size', '500MiB'])).cacheMaxBytes).toBe(500 * 1024 ** 2);
    expect((await settingsFor(base)).cacheMaxBytes).toBeUndefined();
    const dir = await mkdtemp(path.join(tmpdir(), 'flock-config-'));
    const file = path.join(dir, 'agent.json');
    await writeFile(file, JSON.stringify({ 'cache-max-size': '1T' }));
    expect((await settingsFor([...base, '--config', file])).cacheMaxBytes).toBe(1024 ** 4);
  });

  it('parses memory sizes in binary units', () => {
    expect(parseMemory('512M')).toBe(512 * 1024 ** 2);
    expect(parseMemory('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(parseMemory('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseMemory('1048576K')).toBe(1024 ** 3);
  });

  it('explains every flag in --help', () => {
    const help = helpText();
    for (const key of [...SETTING_KEYS, 'config', 'help']) expect(help).toContain(`--${key}`);
    expect(parseCommandLine(['run', '--help']).command).toBe('help');
  });
});
