// An installed agent's home in a temp dir, with small stand-in bundles: each one's runCli records
// its call on globalThis (in-process launches) and prints a line (real processes).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type HomeLayout, homeLayout, versionIdOf } from '../../src/install/layout.js';
import { sha256Of, type Versions, writeVersions } from '../../src/install/versions.js';

export interface BundleCall {
  id: string;
  argv: string[];
}

/** The runCli calls made by stand-in bundles in this process. */
export function bundleCalls(): BundleCall[] {
  const holder = globalThis as { __flockBundleCalls?: BundleCall[] };
  holder.__flockBundleCalls ??= [];
  return holder.__flockBundleCalls;
}

/** A bundle whose runCli records and prints `name`; `body` replaces it (a syntax error, a hang). */
export function standInBundle(name: string, body?: string): string {
  return (
    body ??
    `export function runCli(argv) {
  (globalThis.__flockBundleCalls ??= []).push({ id: ${JSON.stringify(name)}, argv: [...argv] });
  process.stdout.write('running ${name} ' + JSON.stringify(argv) + '\\n');
}
`
  );
}

/** Writes a version's bundle into the home and returns its version id. */
function addVersion(layout: HomeLayout, version: string, source: string): string {
  const bytes = Buffer.from(source);
  const id = versionIdOf(version, sha256Of(bytes));
  mkdirSync(path.dirname(layout.bundleOf(id)), { recursive: true });
  writeFileSync(layout.bundleOf(id), bytes);
  return id;
}

/** A home with a version per source, named by its key ('old', 'new'), and the versions.json `versions` makes. */
export function makeHome<K extends string>(
  dir: string,
  versions: (ids: Record<NoInfer<K>, string>) => Versions,
  sources: Record<K, string>,
) {
  const layout = homeLayout(path.join(dir, 'home'));
  mkdirSync(layout.versionsDir, { recursive: true });
  const ids = Object.fromEntries(
    Object.entries<string>(sources).map(([version, source]) => [
      version,
      addVersion(layout, version, source),
    ]),
  ) as Record<K, string>;
  writeVersions(layout, versions(ids));
  return { layout, ids };
}
