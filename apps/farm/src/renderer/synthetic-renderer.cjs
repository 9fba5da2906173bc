#!/usr/bin/env node
// SYNTHETIC RENDERER — not Blender. The sandbox farm ships this as `rend.exe` when a project is a
// synthetic scene (or no Blender is installed). It takes the command line the farm sends
// (`-b scene.blend -P script -o prefix -f frame [-t N]`), prints Blender-format lines (version,
// `Read blend:`, `Fra:… | Remaining:… | Sample n/N`, `Saved: '…'`, `Blender quit`) and writes a real
// PNG of the scene's resolution. The "scene" is a small JSON file written by the farm; its
// `behaviour` can make the render fail in Blender's ways so agents can be tested against them.
// Self-contained on purpose: it runs from the renderer archive with nothing but Node. CommonJS,
// because Node loads any file name (`rend.exe`) as CommonJS but refuses unknown extensions as ESM.
'use strict';
const { readFileSync, writeFileSync: writeFile } = require('node:fs');
const { tmpdir } = require('node:os');
const { basename, join } = require('node:path');
const { deflateSync } = require('node:zlib');

const VERSION_LINE = 'Blender 3.4.1 (synthetic renderer of the Flock sandbox farm)';
const OUTCOMES = ['ok', 'crash', 'python-error', 'out-of-memory', 'no-output', 'missing-denoiser'];

const say = (line) => process.stdout.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The options Blender takes that matter here; everything else is accepted and ignored. */
function parseArguments(argv) {
  const options = { frame: 1 };
  const next = (index) => argv[index + 1];
  for (let index = 0; index < argv.length; index += 1) {
    const token = argv[index];
    if (token === '-b' || token === '--background') {
      if (next(index) !== undefined && !next(index).startsWith('-')) options.blend = argv[++index];
    } else if (token === '-P' || token === '--python') options.script = argv[++index];
    else if (token === '-o' || token === '--render-output') options.output = argv[++index];
    else if (token === '-f' || token === '--render-frame') options.frame = Number.parseInt(argv[++index], 10);
    else if (token === '-t' || token === '--threads') options.threads = Number.parseInt(argv[++index], 10);
    else if (token === '-E' || token === '--engine' || token === '-x' || token === '-F') index += 1;
  }
  return options;
}

function readScene(path) {
  const scene = JSON.parse(readFileSync(path, 'utf8'));
  if (scene?.flockSynthetic !== 1) throw new Error('not a synthetic scene');
  const [width, height] = scene.resolution ?? [64, 48];
  const behaviour = scene.behaviour ?? {};
  return { width, height, samples: scene.samples ?? 16, behaviour };
}

function outcomeFor(behaviour, frame) {
  const outcome = behaviour.outcome ?? 'ok';
  if (!OUTCOMES.includes(outcome)) return 'ok';
  const only = behaviour.onlyFrames;
  return Array.isArray(only) && !only.includes(frame) ? 'ok' : outcome;
}

function megabytes(bytes) {
  return `${(bytes / 1_000_000).toFixed(2)}M`;
}

function clock(ms) {
  const minutes = Math.floor(ms / 60_000);
  const seconds = (ms % 60_000) / 1000;
  return `${String(minutes).padStart(2, '0')}:${seconds.toFixed(2).padStart(5, '0')}`;
}

function statusLine(frame, startedAt, remainingMs, what) {
  const rss = process.memoryUsage().rss;
  const remaining = remainingMs === undefined ? '' : ` | Remaining:${clock(remainingMs)}`;
  const elapsed = clock(Date.now() - startedAt);
  return `Fra:${frame} Mem:${megabytes(rss)} (Peak ${megabytes(rss)}) | Time:${elapsed}${remaining} | Mem:${megabytes(rss / 4)}, Peak:${megabytes(rss / 4)} | Scene, ViewLayer | ${what}`;
}

function outputPath(prefix, frame) {
  const hashes = /#+/.exec(prefix);
  const padded = (width) => String(frame).padStart(width, '0');
  const stem = hashes ? prefix.replace(hashes[0], padded(hashes[0].length)) : `${prefix}${padded(4)}`;
  return `${stem}.png`;
}

// --- a minimal PNG encoder (8-bit RGB, no filtering) ---
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A frame-dependent pattern: a diagonal gradient with a band that moves with the frame. */
function encodePng(width, height, frame) {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y += 1) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x += 1) {
      const pixel = row + 1 + x * 3;
      const band = Math.abs(((x + frame * 4) % width) - width / 2) < width / 10;
      rows[pixel] = band ? 240 : Math.round((255 * x) / Math.max(1, width - 1));
      rows[pixel + 1] = band ? 200 : Math.round((255 * y) / Math.max(1, height - 1));
      rows[pixel + 2] = band ? 60 : 160;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// --- the misbehaviours ---
function crash(blend) {
  const crashFile = join(process.env.TEMP || tmpdir(), `${basename(blend, '.blend')}.crash.txt`);
  writeFile(crashFile, '# Blender 3.4.1 (synthetic), Unresolved crash report\nsegmentation violation\n');
  say(`Writing: ${crashFile}`);
  process.kill(process.pid, 'SIGSEGV');
}

function pythonError(script) {
  say('Error: Python: Traceback (most recent call last):');
  say(`  File "${script ?? '<string>'}", line 1, in <module>`);
  say('RuntimeError: synthetic python error requested by the project');
  say('');
  say('Blender quit');
  process.exit(1);
}

// --- the device, said the ways Blender says it ---
/** The job script's text ('' when unreadable). */
function scriptText(script) {
  try {
    return script ? readFileSync(script, 'utf8') : '';
  } catch {
    return '';
  }
}

/** The GPU the script's `sheepit_set_compute_device(type, "GPU", id)` call selects, if any. */
function selectedGpu(text) {
  const call = /^sheepit_set_compute_device\(("(?:[^"\\]|\\.)*"), "GPU", ("(?:[^"\\]|\\.)*")\)$/m.exec(text);
  if (!call) return undefined;
  try {
    const id = JSON.parse(call[2]);
    return {
      type: JSON.parse(call[1]),
      id,
      name: id.replace(/^[A-Z]+_/, '').replace(/_[0-9a-f:]+(_OptiX)?$/i, ''),
    };
  } catch {
    return undefined;
  }
}

const BACKEND_NAMES = { CUDA: 'CUDA', OPTIX: 'OptiX', HIP: 'HIP', METAL: 'Metal', ONEAPI: 'oneAPI' };

/**
 * Before the render: what the farm script's `sheepit_set_compute_device` and the client's device
 * check print. After it: Cycles' own report (printed by Blender when Cycles logging is on).
 */
function deviceLines(options, behaviour) {
  const text = scriptText(options.script);
  const gpu = selectedGpu(text);
  const used = behaviour.renderDevice === 'cpu' ? undefined : gpu;
  const before = [
    gpu ? `sheepit_set_compute_device: GPU ${gpu.name} [${gpu.id}]` : 'sheepit_set_compute_device: CPU',
  ];
  // The check runs only where the client's script has it (Flock's agent appends it).
  if (text.includes('_flock_render_device_check()'))
    before.push(`flock render device: ${JSON.stringify({ devices: used ? [used] : [] })}`);
  const threads = options.threads > 0 ? options.threads : 1;
  const after = used
    ? `Path tracing on: ${used.name} (${BACKEND_NAMES[used.type] ?? used.type}) [${used.id}]`
    : `Path tracing on: Synthetic CPU (CPU) (${threads} threads) [CPU]`;
  return { before, after };
}

function failWith(lines, exitCode) {
  for (const line of lines) say(line);
  say('Blender quit');
  process.exit(exitCode);
}

async function render(options, scene, outcome) {
  const { frame } = options;
  const { behaviour } = scene;
  const renderMs = Math.max(0, behaviour.renderMs ?? 300);
  const held = behaviour.allocateMiB > 0 ? Buffer.alloc(behaviour.allocateMiB * 1024 * 1024, 1) : undefined;
  const startedAt = Date.now();
  const device = deviceLines(options, behaviour);
  for (const line of device.before) say(line);
  say(statusLine(frame, startedAt, undefined, 'Synchronizing object | Cube'));
  say(
    statusLine(frame, startedAt, undefined, 'Loading render kernels (may take a few minutes the first time)'),
  );
  if (outcome === 'python-error') pythonError(options.script);
  if (outcome === 'missing-denoiser') failWith(['Error: Build without OpenImageDenoiser'], 1);
  for (let sample = 1; sample <= scene.samples; sample += 1) {
    await sleep(renderMs / scene.samples);
    const remainingMs = ((scene.samples - sample) * renderMs) / scene.samples;
    say(statusLine(frame, startedAt, remainingMs, `Sample ${sample}/${scene.samples}`));
    if (outcome === 'crash' && sample > scene.samples / 2) crash(options.blend);
    if (outcome === 'out-of-memory' && sample > scene.samples / 2) {
      failWith(['Error: Malloc returns null: len=4294967296 in synthetic render buffer'], 1);
    }
  }
  say(device.after);
  say(statusLine(frame, startedAt, undefined, 'Finished'));
  if (held) say(`Held ${held.length >> 20} MiB while rendering`);
  if (outcome === 'no-output') return;
  const target = outputPath(options.output ?? '/tmp/', frame);
  writeFile(target, encodePng(scene.width, scene.height, frame));
  say(`Saved: '${target}'`);
  say(` Time: ${clock(Date.now() - startedAt)} (Saving: 00:00.00)`);
  say('');
}

async function main() {
  const options = parseArguments(process.argv.slice(2));
  say(VERSION_LINE);
  if (options.blend === undefined)
    failWith(['Error: no .blend file given (synthetic renderer needs -b FILE)'], 1);
  let scene;
  try {
    scene = readScene(options.blend);
  } catch (error) {
    failWith([`Error: Cannot read file "${options.blend}": ${error.code ?? error.message}`], 1);
  }
  say(`Read blend: "${options.blend}"`);
  await render(options, scene, outcomeFor(scene.behaviour, options.frame));
  say('Blender quit');
}

main().catch((error) => {
  say(`Error: synthetic renderer failed: ${error.message}`);
  process.exit(1);
});
