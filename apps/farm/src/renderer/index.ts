import { accessSync, constants, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { writeRendererArchive } from '../archives';
import type { RendererKind } from '../db/schema';

/**
 * The renderer archives (`download-archive?type=binary`): `rend.exe` at the root, as the official
 * client expects on Linux. For Blender projects it is a launcher for this machine's Blender; for
 * synthetic projects it is the synthetic renderer itself.
 */
export interface RendererArchive {
  kind: RendererKind;
  file: string;
  md5: string;
  /** What a person sees: "Blender (/usr/bin/blender)" or "synthetic renderer". */
  label: string;
}

const SYNTHETIC_RENDERER_SOURCE = new URL('./synthetic-renderer.cjs', import.meta.url);

/** `explicit` (the --blender flag), else $BLENDER_PATH, else `blender` on PATH; undefined when none runs. */
export function findBlender(
  explicit?: string | null,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (explicit) return explicit;
  if (env.BLENDER_PATH) return env.BLENDER_PATH;
  for (const directory of (env.PATH ?? '').split(delimiter)) {
    if (directory === '') continue;
    const candidate = join(directory, 'blender');
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A POSIX shell launcher: the client runs `rend.exe <blender arguments>`. */
export function blenderLauncherScript(blenderPath: string): string {
  const quoted = `'${blenderPath.replaceAll("'", `'\\''`)}'`;
  return `#!/bin/sh\n# Flock sandbox farm: launcher for the Blender installed on the farm machine.\nexec ${quoted} "$@"\n`;
}

export function syntheticRendererSource(): Buffer {
  return readFileSync(SYNTHETIC_RENDERER_SOURCE);
}

/** Builds the renderer archives into `directory`: always the synthetic one, Blender's when there is one. */
export async function buildRendererArchives(
  directory: string,
  blenderPath: string | undefined,
): Promise<Map<RendererKind, RendererArchive>> {
  await mkdir(directory, { recursive: true });
  const archives = new Map<RendererKind, RendererArchive>();
  const synthetic = await writeRendererArchive({
    rendExe: syntheticRendererSource(),
    target: join(directory, 'synthetic.zip'),
  });
  archives.set('synthetic', { kind: 'synthetic', ...synthetic, label: 'synthetic renderer' });
  if (blenderPath !== undefined) {
    const launcher = await writeRendererArchive({
      rendExe: new TextEncoder().encode(blenderLauncherScript(blenderPath)),
      target: join(directory, 'blender.zip'),
    });
    archives.set('blender', { kind: 'blender', ...launcher, label: `Blender (${blenderPath})` });
  }
  return archives;
}
