import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type AddProjectDeps, addProject, type ProjectInfo } from './add-project';
import { DEMO_SCENE, generateDemoBlend } from './blender';

export type RendererChoice = 'auto' | 'synthetic' | 'blender';

/**
 * On the first start (no project yet) the farm creates a demo project so `npm start` has something
 * to render: a Blender scene when Blender is here (a few objects, 240 frames of 64×48, few samples,
 * denoising off), else a synthetic scene of the same size. It repeats (see AddProjectOptions.repeat):
 * the sandbox never answers "no job", whose client wait is minutes, while the demo is there.
 */
export async function createDemoProjectIfEmpty(
  deps: AddProjectDeps,
  renderer: RendererChoice,
): Promise<ProjectInfo | undefined> {
  if (deps.projects.list().length > 0) return undefined;
  const common = {
    frames: DEMO_SCENE.frames,
    resolution: [DEMO_SCENE.width, DEMO_SCENE.height] as [number, number],
    repeat: true,
  };
  if (renderer !== 'synthetic' && deps.blender !== undefined) {
    try {
      const directory = join(deps.dataDir, 'demo');
      await mkdir(directory, { recursive: true });
      const blendFile = join(directory, 'demo.blend');
      await generateDemoBlend(deps.blender, blendFile);
      return await addProject(deps, {
        ...common,
        blendFile,
        name: 'Demo: turning cube',
        engine: 'CYCLES',
        samples: DEMO_SCENE.samples,
      });
    } catch (error) {
      deps.log.warn('could not build the demo scene with Blender; using a synthetic one', {
        error: (error as Error).message,
      });
    }
  }
  return addProject(deps, { ...common, name: 'Demo: synthetic scene', samples: DEMO_SCENE.samples });
}
