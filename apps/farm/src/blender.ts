import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * What the farm asks of a real Blender: read a .blend's render settings (to validate frames at the
 * right size) and build the demo scene. Both run `blender -b --factory-startup` with a Python snippet.
 */
const run = promisify(execFile);

export interface BlendSettings {
  engine: string;
  width: number;
  height: number;
  samples: number;
  frameStart: number;
  frameEnd: number;
}

const PROBE_PYTHON = `import bpy, json
scene = bpy.context.scene
render = scene.render
samples = scene.cycles.samples if render.engine == "CYCLES" else getattr(scene.eevee, "taa_render_samples", 16)
print("FLOCK_PROBE " + json.dumps({"engine": render.engine,
  "width": render.resolution_x * render.resolution_percentage // 100,
  "height": render.resolution_y * render.resolution_percentage // 100,
  "samples": samples, "frameStart": scene.frame_start, "frameEnd": scene.frame_end}))
`;

/** Reads the engine, output size, samples and frame range a .blend renders with. */
export async function probeBlend(blender: string, blendFile: string): Promise<BlendSettings> {
  const { stdout } = await run(
    blender,
    ['-b', '--factory-startup', '--disable-autoexec', '-noaudio', blendFile, '--python-expr', PROBE_PYTHON],
    { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const line = stdout.split('\n').find((candidate) => candidate.startsWith('FLOCK_PROBE '));
  if (!line) throw new Error(`Blender could not read ${blendFile}: no render settings printed`);
  return JSON.parse(line.slice('FLOCK_PROBE '.length)) as BlendSettings;
}

/** 240 small frames (a second or two each with Blender): minutes to watch, and the turn loops. */
export const DEMO_SCENE = { width: 64, height: 48, samples: 8, frames: [1, 240] as [number, number] };

/**
 * A few coloured objects, a sun and a camera; the cube makes one full turn at an even speed over
 * the frames, so the frame after the last is the first again. Denoising off.
 */
const DEMO_PYTHON = `import bpy, math, sys
out = sys.argv[sys.argv.index("--") + 1]
bpy.ops.wm.read_factory_settings(use_empty=True)
scene = bpy.context.scene
scene.render.engine = "CYCLES"
scene.cycles.samples = ${DEMO_SCENE.samples}
scene.cycles.use_denoising = False
scene.render.resolution_x = ${DEMO_SCENE.width}
scene.render.resolution_y = ${DEMO_SCENE.height}
scene.render.resolution_percentage = 100
scene.frame_start = ${DEMO_SCENE.frames[0]}
scene.frame_end = ${DEMO_SCENE.frames[1]}
world = bpy.data.worlds.new("World")
world.color = (0.05, 0.06, 0.09)
scene.world = world

def material(name, rgb):
    mat = bpy.data.materials.new(name)
    mat.use_nodes = True
    mat.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (*rgb, 1.0)
    return mat

def add(operator, material_, **kwargs):
    operator(**kwargs)
    obj = bpy.context.active_object
    obj.data.materials.append(material_)
    return obj

add(bpy.ops.mesh.primitive_plane_add, material("Ground", (0.6, 0.6, 0.55)), size=12)
cube = add(bpy.ops.mesh.primitive_cube_add, material("Wool", (0.9, 0.85, 0.7)), size=1.2, location=(0, 0, 0.6))
add(bpy.ops.mesh.primitive_uv_sphere_add, material("Red", (0.8, 0.1, 0.1)), radius=0.5, location=(1.6, 0.4, 0.5))
add(bpy.ops.mesh.primitive_cone_add, material("Blue", (0.1, 0.3, 0.9)), radius1=0.5, depth=1.2, location=(-1.6, 0.3, 0.6))
cube.rotation_euler = (0, 0, 0)
cube.keyframe_insert("rotation_euler", frame=${DEMO_SCENE.frames[0]})
cube.rotation_euler = (0, 0, math.radians(360))
cube.keyframe_insert("rotation_euler", frame=${DEMO_SCENE.frames[1] + 1})
for curve in cube.animation_data.action.fcurves:
    for key in curve.keyframe_points:
        key.interpolation = "LINEAR"
bpy.ops.object.camera_add(location=(0, -6.5, 3.2), rotation=(math.radians(66), 0, 0))
scene.camera = bpy.context.active_object
bpy.ops.object.light_add(type="SUN", location=(3, -3, 6), rotation=(math.radians(40), math.radians(20), 0))
bpy.context.active_object.data.energy = 4.0
bpy.ops.wm.save_as_mainfile(filepath=out)
print("FLOCK_DEMO_SAVED " + out)
`;

/** Writes the demo .blend to `target` with the given Blender. */
export async function generateDemoBlend(blender: string, target: string): Promise<void> {
  const { stdout } = await run(
    blender,
    ['-b', '--factory-startup', '-noaudio', '--python-expr', DEMO_PYTHON, '--', target],
    { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
  );
  if (!stdout.includes(`FLOCK_DEMO_SAVED ${target}`)) {
    throw new Error(`Blender did not save the demo scene to ${target}`);
  }
}
