import { SET_COMPUTE_DEVICE_PYTHON } from '@flock/protocol';
import type { ProjectRow } from './db/schema';

/**
 * The Python `<script>` sent with every job (docs/protocol.md §4.2). The client appends its own call
 * `sheepit_set_compute_device(type, family, id)`, so the farm must define that function: it uses
 * Flock's real definition from @flock/protocol (selects the Cycles CPU or GPU device). Then the
 * project's render settings are applied so that every frame comes out at the size validation
 * expects: resolution at 100 %, samples, denoising off, PNG output.
 */
export function renderSettingsScript(
  project: Pick<ProjectRow, 'engine' | 'width' | 'height' | 'samples'>,
): string {
  const engine = pythonString(project.engine);
  return `${SET_COMPUTE_DEVICE_PYTHON}

scene = bpy.context.scene
scene.render.engine = ${engine}
scene.render.resolution_x = ${project.width}
scene.render.resolution_y = ${project.height}
scene.render.resolution_percentage = 100
scene.render.use_border = False
scene.render.image_settings.file_format = "PNG"
scene.render.use_file_extension = True
if scene.render.engine == "CYCLES":
    scene.cycles.samples = ${project.samples}
    scene.cycles.use_denoising = False
    scene.cycles.use_adaptive_sampling = False
    for view_layer in scene.view_layers:
        view_layer.cycles.use_denoising = False
elif scene.render.engine == "BLENDER_EEVEE":
    scene.eevee.taa_render_samples = ${project.samples}
`;
}

function pythonString(value: string): string {
  return JSON.stringify(value);
}
