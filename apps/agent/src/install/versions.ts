// versions.json: which agent version an installed machine runs, the one before it, a version on
// trial after an update, and the last rollback. Written to a temporary file and renamed, first as
// the backup (versions.json.bak) and then as versions.json, so a crash leaves one of them whole.
// Node built-ins only: the launcher reads and writes it too.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { type HomeLayout, isVersionId, shaPrefixOf } from './layout.js';

export interface Trial {
  id: string;
  /** When the launcher first started it; null until then. A second start means it failed. */
  startedAt: number | null;
}

export interface Rollback {
  id: string;
  at: number;
  reason: string;
}

export interface Versions {
  current: string;
  previous: string | null;
  trial: Trial | null;
  rolledBack: Rollback | null;
}

/** versions.json and its backup are unusable: the install must be repeated. */
export class VersionsDamaged extends Error {
  override readonly name = 'VersionsDamaged';
}

const MAX_REASON = 500;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isTime = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Checks a parsed versions.json; returns why it is not one, or the typed value. */
export function checkVersions(value: unknown): Versions | string {
  if (!isObject(value)) return 'not a JSON object';
  const { current, previous, trial, rolledBack } = value;
  if (!isVersionId(current)) return '"current" is not a version id';
  if (previous !== null && !isVersionId(previous)) return '"previous" is not a version id or null';
  if (trial !== null) {
    if (!isObject(trial) || !isVersionId(trial.id)) return '"trial" is not {id, startedAt} or null';
    if (trial.startedAt !== null && !isTime(trial.startedAt)) return '"trial.startedAt" is not a time';
  }
  if (rolledBack !== null) {
    if (!isObject(rolledBack) || !isVersionId(rolledBack.id) || !isTime(rolledBack.at))
      return '"rolledBack" is not {id, at, reason} or null';
    if (typeof rolledBack.reason !== 'string' || rolledBack.reason.length > MAX_REASON)
      return '"rolledBack.reason" is not a short text';
  }
  return {
    current,
    previous: previous as string | null,
    trial: trial === null ? null : { id: trial.id as string, startedAt: trial.startedAt as number | null },
    rolledBack:
      rolledBack === null
        ? null
        : { id: rolledBack.id as string, at: rolledBack.at as number, reason: rolledBack.reason as string },
  };
}

function readOne(file: string): Versions | string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (error as Error).message;
  }
  if (text.length > 64 * 1024) return 'larger than 64 KiB';
  try {
    return checkVersions(JSON.parse(text));
  } catch {
    return 'not valid JSON';
  }
}

export interface ReadVersions {
  versions: Versions;
  /** Set when versions.json was damaged and the backup was used (it is written back). */
  repaired?: string;
}

/** versions.json, else its last good copy (then written back); VersionsDamaged when neither is usable. */
export function readVersions(layout: HomeLayout): ReadVersions {
  const main = readOne(layout.versionsFile);
  if (typeof main !== 'string') return { versions: main };
  const backup = readOne(layout.versionsBackup);
  if (typeof backup === 'string') {
    throw new VersionsDamaged(
      `${layout.versionsFile} is damaged (${main}) and so is its backup (${backup}); ` +
        'install the agent again with the command from the console\'s "Add machine"',
    );
  }
  writeVersions(layout, backup);
  return { versions: backup, repaired: `${layout.versionsFile} was damaged (${main})` };
}

function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o644 });
  renameSync(temporary, file);
}

export function writeVersions(layout: HomeLayout, versions: Versions): void {
  const text = `${JSON.stringify(versions, null, 2)}\n`;
  writeAtomically(layout.versionsBackup, text);
  writeAtomically(layout.versionsFile, text);
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** True when the version's bundle is there and its SHA-256 starts as its id says. */
export function bundleIsIntact(layout: HomeLayout, versionId: string): boolean {
  try {
    return sha256Of(readFileSync(layout.bundleOf(versionId))).startsWith(shaPrefixOf(versionId));
  } catch {
    return false;
  }
}

/** The trial is over: it failed; `current` stays. */
export function rolledBackFrom(versions: Versions, at: number, reason: string): Versions {
  if (!versions.trial) return versions;
  return {
    ...versions,
    trial: null,
    rolledBack: { id: versions.trial.id, at, reason: reason.slice(0, MAX_REASON) },
  };
}

/** The trial is over: it connected; it becomes `current`, the old one `previous`. */
export function confirmedTrial(versions: Versions): Versions {
  if (!versions.trial) return versions;
  return { current: versions.trial.id, previous: versions.current, trial: null, rolledBack: null };
}
