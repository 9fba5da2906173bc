// What a running installed agent does with versions.json: confirm the version it runs on trial once
// its console welcomed it, and store a downloaded build as the next trial. The launcher does the
// rest (start the trial once, watchdog, rollback).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Clock, systemClock } from '../clock.js';
import { AGENT_BUNDLE_FILE, HOME_ENV, homeLayout, VERSION_ENV, versionIdOf } from './layout.js';
import { bundleIsIntact, confirmedTrial, readVersions, sha256Of, writeVersions } from './versions.js';

export type Supervisor = 'systemd' | 'launchd' | 'schtasks';
const SUPERVISORS: readonly string[] = ['systemd', 'launchd', 'schtasks'];

/** An agent started by an installed launcher. */
export interface InstalledAgent {
  home: string;
  /** The version id this process runs. */
  versionId: string;
  /** What starts the agent again when it exits with code 75; null without a service (`--no-service`). */
  supervisor: Supervisor | null;
}

/** The installed agent this process is, or null when it was not started by the launcher (a clone). */
export function installedAgent(env: NodeJS.ProcessEnv = process.env): InstalledAgent | null {
  const home = env[HOME_ENV];
  const versionId = env[VERSION_ENV];
  if (!home || !versionId || !path.isAbsolute(home)) return null;
  const supervisor = env.FLOCK_SUPERVISOR ?? '';
  return {
    home,
    versionId,
    supervisor: SUPERVISORS.includes(supervisor) ? (supervisor as Supervisor) : null,
  };
}

/**
 * Called when the console link receives `welcome`: when this process runs the version on trial, it
 * becomes `current` and the one before `previous`. True when this call confirmed it.
 */
export function confirmTrial(installed: InstalledAgent): boolean {
  const layout = homeLayout(installed.home);
  const { versions } = readVersions(layout);
  if (versions.trial?.id !== installed.versionId) return false;
  writeVersions(layout, confirmedTrial(versions));
  return true;
}

export class UpdateRefused extends Error {
  override readonly name = 'UpdateRefused';
}

export interface Build {
  version: string;
  sha256: string;
  bytes: Uint8Array;
}

/**
 * Stores a downloaded build as the version to try at the next start, after checking its SHA-256.
 * Its directory is written beside and renamed into place; versions other than the current, the
 * previous and this one are removed. Returns the new version id. The caller then exits with code 75.
 */
export function requestUpdate(installed: InstalledAgent, build: Build, clock: Clock = systemClock): string {
  const actual = sha256Of(build.bytes);
  if (actual !== build.sha256)
    throw new UpdateRefused(`the download's SHA-256 is ${actual}, the console announced ${build.sha256}`);
  const layout = homeLayout(installed.home);
  const id = versionIdOf(build.version, build.sha256);
  const { versions } = readVersions(layout);
  if (id === versions.current) throw new UpdateRefused(`version ${id} is already the current one`);
  if (!bundleIsIntact(layout, id)) {
    const target = path.dirname(layout.bundleOf(id));
    const staging = path.join(layout.versionsDir, `.${id}.${process.pid}.${clock.now()}.partial`);
    mkdirSync(staging, { recursive: true });
    writeFileSync(path.join(staging, AGENT_BUNDLE_FILE), build.bytes, { mode: 0o644 });
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
  }
  writeVersions(layout, { ...versions, trial: { id, startedAt: null } });
  pruneVersions(layout.versionsDir, [versions.current, versions.previous, id]);
  return id;
}

function pruneVersions(versionsDir: string, keep: readonly (string | null)[]): void {
  if (!existsSync(versionsDir)) return;
  for (const name of readdirSync(versionsDir)) {
    if (!keep.includes(name)) rmSync(path.join(versionsDir, name), { recursive: true, force: true });
  }
}
