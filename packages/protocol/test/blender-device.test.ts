// Which device Blender rendered on, from its output. The lines:
//   - Cycles' report at the end of a render with logging on. The GPU lines are in the layout of
//     Cycles' `full_device_info_description` (`<description> (<backend>)[ (display)][ (<n> threads)]
//     [<id>]`, further devices indented under the first), with device ids in Cycles' own forms
//     (`CUDA_<name>_<pci>`, `…_OptiX`, `HIP_<name>_<pci>`); the CPU line is captured from Blender
//     3.4.1 and so is a GPU choice Cycles renders on the CPU (fixtures/blender/device-*.txt).
//   - The line the agent's core script prints (RENDER_DEVICE_CHECK_PYTHON), and what the farm's
//     `sheepit_set_compute_device` prints, both as Blender 3.4.1 printed them (fixtures/blender).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BlenderOutputEvent,
  createBlenderOutputParser,
  RENDER_DEVICE_CHECK_PREFIX,
  type RenderDeviceReport,
  readAddedDevice,
  readDeviceListing,
  readRenderDeviceLine,
  renderDeviceLabel,
  renderDeviceMismatch,
} from '../src/index';

const OPTIX_ID = 'CUDA_NVIDIA GeForce RTX 3060_0000:01:00_OptiX';
const CUDA_ID = 'CUDA_NVIDIA GeForce RTX 3060_0000:01:00';

/** Lines fed one by one; the device events the parser emitted and the summary's last report. */
function replay(lines: string[]) {
  const parser = createBlenderOutputParser({ updateMethod: 'remainingtime' });
  const events = lines.flatMap((line) => parser.feed(line)).filter((event) => event.type === 'device');
  return {
    events: events as Extract<BlenderOutputEvent, { type: 'device' }>[],
    device: parser.summary().device,
  };
}

describe("reading the device from Blender's output", () => {
  it("Cycles' report, one GPU (OptiX), behind glog's prefix", () => {
    const { device } = replay([
      'I1208 03:51:02.123456 41723 session.cpp:248] Rendering in main loop is done in 2.1 seconds.',
      'I1208 03:51:02.123470 41723 session.cpp:249] ',
      'Full path tracing report',
      '',
      `Path tracing on: NVIDIA GeForce RTX 3060 (OptiX) [${OPTIX_ID}]`,
      '',
      'Rendering Mode: Offline',
    ]);
    expect(device).toEqual({
      source: 'cycles',
      devices: [{ family: 'GPU', type: 'OPTIX', id: OPTIX_ID, name: 'NVIDIA GeForce RTX 3060' }],
    });
  });

  it("Cycles' report with two GPUs and the CPU: every device, the display flag and threads read past", () => {
    const { device } = replay([
      'Path tracing on: NVIDIA GeForce RTX 3090 (CUDA) (display) [CUDA_NVIDIA GeForce RTX 3090_0000:01:00]',
      '                 NVIDIA GeForce RTX 3090 (CUDA) [CUDA_NVIDIA GeForce RTX 3090_0000:02:00]',
      '                 AMD Ryzen 9 5950X 16-Core Processor (CPU) (30 threads) [CPU]',
      'Denoising on: AMD Ryzen 9 5950X 16-Core Processor (CPU) (32 threads) [CPU]',
    ]);
    expect(device?.devices.map((d) => [d.family, d.type, d.id])).toEqual([
      ['GPU', 'CUDA', 'CUDA_NVIDIA GeForce RTX 3090_0000:01:00'],
      ['GPU', 'CUDA', 'CUDA_NVIDIA GeForce RTX 3090_0000:02:00'],
      ['CPU', undefined, 'CPU'],
    ]);
    expect(renderDeviceLabel(device?.devices ?? [])).toBe(
      'NVIDIA GeForce RTX 3090 (CUDA) + NVIDIA GeForce RTX 3090 (CUDA)',
    );
  });

  it('HIP, Metal and oneAPI backends', () => {
    expect(
      readRenderDeviceLine(
        'Path tracing on: AMD Radeon RX 7900 XTX (HIP) [HIP_AMD Radeon RX 7900 XTX_0000:0c:00]',
      ),
    ).toMatchObject({ devices: [{ family: 'GPU', type: 'HIP' }] });
    expect(
      readRenderDeviceLine(
        'Path tracing on: Apple M2 Pro (GPU - 19 cores) (Metal) [METAL_Apple M2 Pro (GPU - 19 cores)]',
      ),
    ).toMatchObject({ devices: [{ family: 'GPU', type: 'METAL', name: 'Apple M2 Pro (GPU - 19 cores)' }] });
    expect(
      readRenderDeviceLine(
        'Path tracing on: Intel(R) Arc(TM) A770 Graphics (oneAPI) [ONEAPI_Intel(R) Arc(TM) A770 Graphics_0000:03:00]',
      ),
    ).toMatchObject({ devices: [{ family: 'GPU', type: 'ONEAPI' }] });
  });

  it("the agent's check line: a GPU, or the CPU Cycles falls back to", () => {
    const gpu = `${RENDER_DEVICE_CHECK_PREFIX}${JSON.stringify({ devices: [{ type: 'OPTIX', id: OPTIX_ID, name: 'NVIDIA GeForce RTX 3060' }] })}`;
    expect(readRenderDeviceLine(gpu)).toEqual({
      source: 'flock-check',
      devices: [{ family: 'GPU', type: 'OPTIX', id: OPTIX_ID, name: 'NVIDIA GeForce RTX 3060' }],
    });
    expect(readRenderDeviceLine('flock render device: {"devices": []}')).toEqual({
      source: 'flock-check',
      devices: [{ family: 'CPU' }],
    });
    for (const broken of [
      'flock render device: {',
      'flock render device: {"devices": [{"type": 1}]}',
      'flock render device: null',
    ])
      expect(readRenderDeviceLine(broken)).toBeUndefined();
  });

  it("the farm script's own line, with and without the id", () => {
    expect(readRenderDeviceLine('sheepit_set_compute_device: CPU')).toEqual({
      source: 'server-script',
      devices: [{ family: 'CPU' }],
    });
    expect(
      readRenderDeviceLine(`sheepit_set_compute_device: GPU NVIDIA GeForce RTX 3060 [${OPTIX_ID}]`),
    ).toEqual({
      source: 'server-script',
      devices: [{ family: 'GPU', name: 'NVIDIA GeForce RTX 3060', id: OPTIX_ID }],
    });
    expect(readRenderDeviceLine('sheepit_set_compute_device: GPU NVIDIA GeForce RTX 3060')).toMatchObject({
      devices: [{ family: 'GPU', name: 'NVIDIA GeForce RTX 3060' }],
    });
  });

  it('the most direct source wins: a later script line does not undo what Cycles said', () => {
    const { events, device } = replay([
      `sheepit_set_compute_device: GPU NVIDIA GeForce RTX 3060 [${OPTIX_ID}]`,
      'flock render device: {"devices": []}',
      'Path tracing on: AMD Ryzen 9 5950X 16-Core Processor (CPU) (32 threads) [CPU]',
      `sheepit_set_compute_device: GPU NVIDIA GeForce RTX 3060 [${OPTIX_ID}]`,
    ]);
    expect(events.map((event) => event.report.source)).toEqual(['server-script', 'flock-check', 'cycles']);
    expect(device?.devices).toEqual([
      { family: 'CPU', id: 'CPU', name: 'AMD Ryzen 9 5950X 16-Core Processor' },
    ]);
  });

  it('ordinary render lines say nothing about the device', () => {
    expect(
      replay([
        'Fra:1 Mem:9.12M (Peak 10.28M) | Time:00:00.18 | Mem:0.00M, Peak:0.00M | Scene, ViewLayer | Updating Objects | Copying Transformations to device',
        '                 not a device line',
        'Path tracing on: nothing in brackets',
      ]).device,
    ).toBeUndefined();
  });
});

describe('the device chosen against the device used', () => {
  const report = (devices: RenderDeviceReport['devices']): RenderDeviceReport => ({
    source: 'cycles',
    devices,
  });
  const optix = { family: 'GPU' as const, type: 'OPTIX', id: OPTIX_ID, name: 'NVIDIA GeForce RTX 3060' };
  const cpu = { family: 'CPU' as const, id: 'CPU', name: 'AMD Ryzen 9 5950X 16-Core Processor' };

  it('the GPU chosen is the GPU used: no mismatch, also with the CPU beside it', () => {
    expect(renderDeviceMismatch({ family: 'GPU', id: OPTIX_ID }, report([optix]))).toBeUndefined();
    expect(renderDeviceMismatch({ family: 'GPU', id: OPTIX_ID }, report([optix, cpu]))).toBeUndefined();
    expect(renderDeviceMismatch({ family: 'CPU' }, report([cpu]))).toBeUndefined();
  });

  it('GPU chosen, CPU used: says so', () => {
    expect(renderDeviceMismatch({ family: 'GPU', id: OPTIX_ID }, report([cpu]))).toBe(
      `GPU ${OPTIX_ID} was chosen but Blender rendered on the CPU`,
    );
    expect(
      renderDeviceMismatch(
        { family: 'GPU', id: 'CUDA_0' },
        { source: 'flock-check', devices: [{ family: 'CPU' }] },
      ),
    ).toBe('GPU CUDA_0 was chosen but Blender rendered on the CPU');
  });

  it('another GPU than the one chosen, and a GPU for a CPU choice', () => {
    expect(renderDeviceMismatch({ family: 'GPU', id: CUDA_ID }, report([optix]))).toBe(
      `GPU ${CUDA_ID} was chosen but Blender rendered on NVIDIA GeForce RTX 3060 (OPTIX)`,
    );
    expect(renderDeviceMismatch({ family: 'CPU' }, report([optix]))).toBe(
      'the CPU was chosen but Blender rendered on NVIDIA GeForce RTX 3060 (OPTIX)',
    );
  });

  it("a report without ids (the script's name only) is judged by family; Metal by backend", () => {
    const named = {
      source: 'server-script' as const,
      devices: [{ family: 'GPU' as const, name: 'NVIDIA GeForce RTX 3060' }],
    };
    expect(renderDeviceMismatch({ family: 'GPU', id: OPTIX_ID }, named)).toBeUndefined();
    const metal = report([{ family: 'GPU', type: 'METAL', id: 'METAL_Apple M1', name: 'Apple M1' }]);
    expect(renderDeviceMismatch({ family: 'GPU', id: 'METAL_0', type: 'METAL' }, metal)).toBeUndefined();
  });
});

describe("Cycles' device listing (Added device …)", () => {
  it('reads each device with its backend from the id, behind the log prefix', () => {
    const devices = readDeviceListing([
      'I1208 03:51:00.000001 41723 device_cuda.cpp:81] Added device "NVIDIA GeForce RTX 3060" with id "CUDA_NVIDIA GeForce RTX 3060_0000:01:00".',
      'I1208 03:51:00.000002 41723 device_optix.cpp:90] Added device "NVIDIA GeForce RTX 3060" with id "CUDA_NVIDIA GeForce RTX 3060_0000:01:00_OptiX".',
      'I1208 03:51:00.000003 41723 device_hip.cpp:77] Added device "AMD Radeon RX 6800" with id "HIP_AMD Radeon RX 6800_0000:0b:00".',
      'I1208 03:51:00.000004 41723 device_hip.cpp:77] Added device "AMD Radeon RX 6800" with id "HIP_AMD Radeon RX 6800_0000:0b:00".',
      'I1208 03:51:00.000005 41723 device.cpp:321] Device with id "CPU" supports OpenImageDenoise.',
    ]);
    expect(devices.map(({ type, id }) => [type, id])).toEqual([
      ['CUDA', 'CUDA_NVIDIA GeForce RTX 3060_0000:01:00'],
      ['OPTIX', 'CUDA_NVIDIA GeForce RTX 3060_0000:01:00_OptiX'],
      ['HIP', 'HIP_AMD Radeon RX 6800_0000:0b:00'],
    ]);
    expect(readAddedDevice('Added device "x" with id "FOO_1".')).toBeUndefined();
  });
});

describe('device readers on hostile input', () => {
  const FRAGMENTS = [
    'Path tracing on: ',
    '                 ',
    ' (CPU)',
    ' (OptiX)',
    ' (HIP RT)',
    ' (display)',
    ' (12 threads)',
    ' [',
    ']',
    'CUDA_',
    'flock render device: ',
    '{"devices": [',
    '{"type": "CUDA", "id": "x"}',
    ']}',
    'sheepit_set_compute_device: ',
    'GPU ',
    'CPU',
    'Added device "',
    '" with id "',
    '".',
    '(',
    ')',
    '\u0000',
    'é',
  ];
  const line = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 20 }).map((parts) => parts.join('')),
  );

  it('never throw; a report always names at least one device, each with bounded texts', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), (lines) => {
        const parser = createBlenderOutputParser({ updateMethod: 'remainingtime' });
        for (const text of lines) parser.feed(text);
        const device = parser.summary().device;
        if (device) {
          expect(device.devices.length).toBeGreaterThan(0);
          expect(device.devices.length).toBeLessThanOrEqual(17);
          for (const d of device.devices) {
            expect(['CPU', 'GPU']).toContain(d.family);
            expect((d.id ?? '').length).toBeLessThanOrEqual(200);
            expect((d.name ?? '').length).toBeLessThanOrEqual(200);
          }
          expect(renderDeviceLabel(device.devices).length).toBeLessThanOrEqual(200);
          expect(() => renderDeviceMismatch({ family: 'GPU', id: 'CUDA_0' }, device)).not.toThrow();
        }
        readDeviceListing(lines);
      }),
      { numRuns: 1000 },
    );
  });

  it('a runaway line costs nothing', () => {
    const huge = `Path tracing on: ${'('.repeat(2_000_000)} (CPU) [CPU]`;
    expect(() => createBlenderOutputParser({ updateMethod: '' }).feed(huge)).not.toThrow();
    expect(() => readAddedDevice(`Added device "${'"'.repeat(2_000_000)}`)).not.toThrow();
  });
});

describe('real Blender 3.4.1 output (fixtures/blender/device-*.txt)', () => {
  const lines = (name: string) =>
    readFileSync(join(import.meta.dirname, 'fixtures', 'blender', `${name}.txt`), 'utf8').split('\n');
  const CHOSEN_GPU = { family: 'GPU' as const, id: 'CUDA_NVIDIA GeForce RTX 3060_0000:01:00', type: 'CUDA' };

  function replayFile(name: string) {
    const parser = createBlenderOutputParser({ updateMethod: 'remainingtime' });
    const sources = lines(name).flatMap((line) =>
      parser.feed(line).flatMap((event) => (event.type === 'device' ? [event.report.source] : [])),
    );
    parser.end();
    return { sources, summary: parser.summary() };
  }

  it('a CPU render: the check line, then Cycles names the CPU; the render itself reads as before', () => {
    const { sources, summary } = replayFile('device-cpu-debug-cycles');
    expect(sources).toEqual(['server-script', 'flock-check', 'cycles']);
    expect(summary.device).toEqual({
      source: 'cycles',
      devices: [{ family: 'CPU', id: 'CPU', name: 'AMD EPYC' }],
    });
    expect(renderDeviceMismatch({ family: 'CPU' }, summary.device as RenderDeviceReport)).toBeUndefined();
    // Cycles' log lines are no errors, and the frame is saved as in a render without them.
    expect(summary.firstError).toBeUndefined();
    expect(summary.savedPaths).toEqual(['/tmp/s20gpu-cap/out_cpu_0001.png']);
    expect(summary.percent).toBe(100);
  });

  it('a GPU chosen on a machine Cycles finds none on: it renders on the CPU, and the mismatch is read', () => {
    const { sources, summary } = replayFile('device-gpu-fallback-debug-cycles');
    expect(sources).toEqual(['flock-check', 'cycles']);
    expect(summary.device?.devices.map((device) => device.family)).toEqual(['CPU']);
    expect(renderDeviceMismatch(CHOSEN_GPU, summary.device as RenderDeviceReport)).toBe(
      'GPU CUDA_NVIDIA GeForce RTX 3060_0000:01:00 was chosen but Blender rendered on the CPU',
    );
    expect(summary.firstError).toBeUndefined();
    expect(summary.savedPaths).toEqual(['/tmp/s20gpu-cap/out_gpu_0001.png']);
  });

  it('without Cycles logging (the fixtures captured before), the check line alone would have told', () => {
    const withoutLog = lines('device-gpu-fallback-debug-cycles').filter(
      (line) => !/^I\d{4} |^Path tracing on:/.test(line),
    );
    const parser = createBlenderOutputParser({ updateMethod: 'remainingtime' });
    for (const line of withoutLog) parser.feed(line);
    expect(parser.summary().device).toEqual({ source: 'flock-check', devices: [{ family: 'CPU' }] });
  });
});
