// The config file: JSON with the same keys as the flags, by default `agent.json` in the OS's config
// dir (config/paths.ts). It may hold the password, so it is written 0600 and its mode is tightened
// when a looser one is found.
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, canonicalSettings, isSettingKey, type RawSettings, SETTING_KEYS } from './settings.js';

/** Reads the config file; a missing default file is an empty config, a missing explicit one an error. */
export async function readConfigFile(file: string, explicit: boolean): Promise<RawSettings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return {};
    throw new ConfigError('config', `cannot read ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError('config', `${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('config', `${file} must hold a JSON object`);
  }
  for (const key of Object.keys(value)) {
    if (!isSettingKey(key)) {
      throw new ConfigError('config', `${file}: unknown key "${key}" (known: ${SETTING_KEYS.join(', ')})`);
    }
  }
  await tightenMode(file);
  return canonicalSettings(value as RawSettings);
}

/** Writes the file atomically with mode 0600 (directory 0700). */
export async function writeConfigFile(file: string, settings: RawSettings): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, file);
}

async function tightenMode(file: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (info && (info.mode & 0o077) !== 0) await chmod(file, 0o600).catch(() => undefined);
}
