import { RENDER_DEVICE_CHECK_PREFIX } from './device-lines';

/**
 * Python for the job `<script>` (docs/protocol.md §4.2, docs/decisions.md D11). The client appends
 * `sheepit_set_compute_device("<type>", "<family>", "<id>")` to the server's script, but never defines
 * the function, so every farm script must — this is Flock's real definition:
 * - `("NONE", "CPU", "CPU")`: render every scene on the CPU.
 * - `("CUDA", "GPU", "CUDA_<name>_<pci>")` (also `OPTIX`, `HIP`, `METAL`, `ONEAPI`): select the Cycles
 *   compute backend, enable only the device whose `id` matches (or the n-th device of that backend for
 *   the old `CUDA_<n>` form) and render on the GPU. A GPU that is not there raises: Blender prints the
 *   traceback, which the output parser reports as error 24, instead of silently rendering on the CPU.
 * Needs `import bpy` before it (included).
 */
export const SET_COMPUTE_DEVICE_PYTHON = `import bpy


def sheepit_set_compute_device(device_type, device_family, device_id):
    if device_family != "GPU":
        for scene in bpy.data.scenes:
            scene.cycles.device = "CPU"
        print("sheepit_set_compute_device: CPU")
        return
    preferences = bpy.context.preferences.addons["cycles"].preferences
    preferences.compute_device_type = device_type
    devices = [device for device in preferences.get_devices_for_type(device_type) if device.type != "CPU"]
    chosen = [device for index, device in enumerate(devices)
              if device.id == device_id or "%s_%d" % (device_type, index) == device_id]
    if not chosen:
        available = ", ".join(device.id for device in devices) or "none"
        raise RuntimeError("sheepit_set_compute_device: no %s device %r (available: %s)"
                           % (device_type, device_id, available))
    for device in preferences.devices:
        device.use = device in chosen
    for scene in bpy.data.scenes:
        scene.cycles.device = "GPU"
    print("sheepit_set_compute_device: GPU %s [%s]" % (chosen[0].name, chosen[0].id))
`;

/**
 * Python the client runs after `sheepit_set_compute_device`: prints the device Cycles will render on,
 * from the settings Cycles reads when it picks it (Blender's `blender_device_info`): the scene's
 * device, the preferences' backend and the enabled devices of that backend. A GPU scene with backend
 * NONE or no enabled device of it renders on the CPU without a word from Blender, which this line
 * makes visible. Only for Cycles (Eevee and Workbench do not choose a device). One line:
 * `flock render device: {"devices": [{"type", "id", "name"}, …]}`, an empty list for the CPU.
 * It never raises: a traceback would read as a failed script.
 */
export const RENDER_DEVICE_CHECK_PYTHON = `def _flock_render_device_check():
    import json
    import bpy
    try:
        scene = bpy.context.scene
        if scene.render.engine != "CYCLES":
            return
        devices = []
        if scene.cycles.device == "GPU":
            preferences = bpy.context.preferences.addons["cycles"].preferences
            backend = preferences.compute_device_type
            if backend != "NONE":
                devices = [{"type": backend, "id": device.id, "name": device.name}
                           for device in preferences.devices if device.use and device.type == backend]
    except Exception:
        return
    print(${JSON.stringify(RENDER_DEVICE_CHECK_PREFIX)} + json.dumps({"devices": devices}), flush=True)
_flock_render_device_check()`;

/** The device the client renders on: CPU, or a GPU by Cycles backend (`CUDA`, `OPTIX`, …) and device id. */
export type ComputeDeviceSelection = { family: 'CPU' } | { family: 'GPU'; type: string; id: string };

/** The client's core-script call (docs/protocol.md §4.2) for the given selection. */
export function setComputeDeviceCall(selection: ComputeDeviceSelection): string {
  const args = selection.family === 'CPU' ? ['NONE', 'CPU', 'CPU'] : [selection.type, 'GPU', selection.id];
  return `sheepit_set_compute_device(${args.map(pythonString).join(', ')})`;
}

/** A Python string literal for any text (JSON escapes are valid Python escapes for a str). */
function pythonString(text: string): string {
  return JSON.stringify(text);
}
