import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { newArchivePassword, writeProjectArchive } from './archives';
import { probeBlend } from './blender';
import type { ArchiveEncryption, ProjectRow } from './db/schema';
import type { FarmLogger } from './log';
import type { ProjectStore } from './projects';

/**
 * Adding a project: a .blend (rendered by real Blender) or a synthetic scene (rendered by the
 * synthetic renderer, for tests), a frame range and the owner's settings. The farm writes the
 * password-protected archive once; its MD5 is what jobs advertise.
 */
export const SYNTHETIC_OUTCOMES = [
  'ok',
  'crash',
  'python-error',
  'out-of-memory',
  'no-output',
  'missing-denoiser',
] as const;

export const syntheticBehaviourSchema = z.object({
  /** How the render ends (default 'ok'). */
  outcome: z.enum(SYNTHETIC_OUTCOMES).optional(),
  /** Only these frames misbehave; default all. */
  onlyFrames: z.array(z.int()).optional(),
  /** Length of the render phase in ms (default 300): large values make long renders. */
  renderMs: z.int().min(0).optional(),
  /** MiB the renderer holds while rendering (to exercise memory limits). */
  allocateMiB: z.int().min(0).max(65_536).optional(),
  /**
   * The device the renderer says it renders on, as Blender does: `chosen` (default) the device the
   * job script selects, `cpu` the CPU whatever was selected (Cycles' silent fall-back).
   */
  renderDevice: z.enum(['chosen', 'cpu']).optional(),
});
export type SyntheticBehaviour = z.infer<typeof syntheticBehaviourSchema>;

const dimension = z.int().min(1).max(65_536);
export const addProjectSchema = z.object({
  /** A .blend on the farm machine; leave out for a synthetic scene. */
  blendFile: z.string().min(1).optional(),
  name: z.string().min(1).max(200).optional(),
  frames: z
    .tuple([z.int().min(0), z.int().min(0)])
    .refine(([start, end]) => end >= start && end - start < 100_000, {
      message: 'frames must be [start, end] with start <= end and at most 100000 frames',
    }),
  encryption: z.enum(['zipcrypto', 'aes']).optional(),
  engine: z.enum(['CYCLES', 'BLENDER_EEVEE', 'BLENDER_WORKBENCH']).optional(),
  resolution: z.tuple([dimension, dimension]).optional(),
  samples: z.int().min(1).max(1_000_000).optional(),
  synthetic: syntheticBehaviourSchema.optional(),
  /**
   * Never runs dry: when no frame of another project waits, its longest-done frame is rendered
   * again (the demo project, so the sandbox always has work to watch).
   */
  repeat: z.boolean().optional(),
  /**
   * A ready-made archive (absolute path, its MD5 and password) served instead of the one the farm
   * would write: the agent benchmarks use it for a 1 GiB download.
   */
  archive: z
    .object({
      file: z.string().min(1),
      md5: z.string().regex(/^[0-9a-f]{32}$/),
      password: z.string(),
    })
    .optional(),
});
export type AddProjectOptions = z.infer<typeof addProjectSchema>;

export interface ProjectInfo {
  id: number;
  name: string;
  renderer: ProjectRow['renderer'];
  engine: string;
  resolution: [number, number];
  samples: number;
  frames: [number, number];
  encryption: ArchiveEncryption;
  archiveMd5: string;
  archivePassword: string;
  state: ProjectRow['state'];
  repeat: boolean;
}

export interface AddProjectDeps {
  dataDir: string;
  projects: ProjectStore;
  blender: string | undefined;
  log: FarmLogger;
}

export async function addProject(deps: AddProjectDeps, input: AddProjectOptions): Promise<ProjectInfo> {
  const options = addProjectSchema.parse(input);
  const directory = join(deps.dataDir, 'projects');
  await mkdir(directory, { recursive: true });
  const source = options.blendFile === undefined ? await syntheticScene(directory, options) : undefined;
  try {
    const settings = source ? syntheticSettings(options) : await blendSettings(deps.blender, options);
    const blendFile = source?.file ?? (options.blendFile as string);
    const encryption = options.encryption ?? 'zipcrypto';
    const entryName = basename(blendFile);
    const archive = options.archive ?? (await writeArchive(directory, blendFile, entryName, encryption));
    const row = deps.projects.add({
      name: options.name ?? (source ? 'Synthetic project' : basename(blendFile, '.blend')),
      renderer: source ? 'synthetic' : 'blender',
      blendPath: entryName,
      archiveFile: archive.file,
      archiveMd5: archive.md5,
      archivePassword: archive.password,
      encryption,
      ...settings,
      frameStart: options.frames[0],
      frameEnd: options.frames[1],
      repeat: options.repeat ?? false,
    });
    deps.log.info('project added', {
      project: row.id,
      name: row.name,
      renderer: row.renderer === 'synthetic' ? 'synthetic' : 'blender',
      frames: `${row.frameStart}-${row.frameEnd}`,
      size: `${row.width}x${row.height}`,
      encryption,
      ...(row.repeat ? { repeat: 'yes' } : {}),
    });
    return projectInfo(row);
  } finally {
    if (source) await rm(source.directory, { recursive: true, force: true });
  }
}

/** The project's password-protected archive, written once under the farm's data dir. */
async function writeArchive(
  directory: string,
  sourceFile: string,
  entryName: string,
  encryption: ArchiveEncryption,
): Promise<{ file: string; md5: string; password: string }> {
  const name = `project-${randomBytes(6).toString('hex')}.zip`;
  const password = newArchivePassword();
  const { md5 } = await writeProjectArchive({
    sourceFile,
    entryName,
    password,
    encryption,
    target: join(directory, name),
  });
  return { file: join('projects', name), md5, password };
}

export function projectInfo(row: ProjectRow): ProjectInfo {
  return {
    id: row.id,
    name: row.name,
    renderer: row.renderer,
    engine: row.engine,
    resolution: [row.width, row.height],
    samples: row.samples,
    frames: [row.frameStart, row.frameEnd],
    encryption: row.encryption,
    archiveMd5: row.archiveMd5,
    archivePassword: row.archivePassword,
    state: row.state,
    repeat: row.repeat,
  };
}

type RenderSettings = Pick<ProjectRow, 'engine' | 'width' | 'height' | 'samples'>;

function syntheticSettings(options: AddProjectOptions): RenderSettings {
  const [width, height] = options.resolution ?? [64, 48];
  return { engine: options.engine ?? 'CYCLES', width, height, samples: options.samples ?? 16 };
}

/** A synthetic "blend": the JSON scene the synthetic renderer reads. */
async function syntheticScene(directory: string, options: AddProjectOptions) {
  const sceneDirectory = await mkdtemp(join(directory, 'scene-'));
  const file = join(sceneDirectory, 'scene.blend');
  const { width, height, samples } = syntheticSettings(options);
  const scene = {
    flockSynthetic: 1,
    resolution: [width, height],
    samples,
    behaviour: options.synthetic ?? {},
  };
  await writeFile(file, `${JSON.stringify(scene, null, 2)}\n`);
  return { directory: sceneDirectory, file };
}

/** Settings given by the owner win; the rest is read from the .blend with Blender. */
async function blendSettings(
  blender: string | undefined,
  options: AddProjectOptions,
): Promise<RenderSettings> {
  const blendFile = options.blendFile as string;
  if (!(await stat(blendFile).catch(() => undefined))?.isFile())
    throw new Error(`no such .blend file: ${blendFile}`);
  if (blender === undefined) {
    throw new Error(
      'a .blend project needs Blender on the farm machine (--blender PATH, $BLENDER_PATH or PATH)',
    );
  }
  const complete = options.engine && options.resolution && options.samples;
  const probed = complete ? undefined : await probeBlend(blender, blendFile);
  const [width, height] = options.resolution ?? [probed?.width ?? 0, probed?.height ?? 0];
  return {
    engine: options.engine ?? probed?.engine ?? 'CYCLES',
    width,
    height,
    samples: options.samples ?? probed?.samples ?? 16,
  };
}
