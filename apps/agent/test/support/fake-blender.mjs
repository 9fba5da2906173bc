#!/usr/bin/env node
// A scripted stand-in for Blender, for unit and loop tests of the agent's render runner. It takes
// Blender's argv (`-b <blend> -P <script> -o <prefix> -f <frame> …`), prints lines in the format of
// the Debian Blender 3.4.1 and behaves as FAKE_BLENDER_MODE says:
//   ok            render: progress lines, a real PNG at `<prefix><frame 4 digits>.png`, exit 0
//   crash         print a little, write `<TEMP>/<blend>.crash.txt`, die by SIGSEGV
//   crash-file    write the crash file silently, exit 1 (the post-mortem check must find it)
//   silent-crash  die by SIGSEGV before printing anything
//   python-error  print a Python traceback, then keep "rendering" like Blender 3.4 does
//   memory-hog    allocate and touch memory until killed
//   slow          print progress forever (with a grandchild `sleep` in its process group)
//   stubborn      like slow, but ignores SIGTERM
//   no-output     render without saving a file, exit 0
// It also prints `FAKE …` lines describing what it was given (argv, environment, niceness, script),
// and in `ok` mode with FAKE_BLENDER_WAIT_FOR_REMOVAL=1 waits (≤ 5 s) after its first `Fra:` line for the
// agent to remove the .blend (docs/decisions.md D13), reporting whether it did. A .blend removed between
// `Read blend:` and the (30 ms later) open fails the run as the real Blender does.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { basename, join } from 'node:path';
import { PNG } from 'pngjs';

const mode = process.env.FAKE_BLENDER_MODE ?? 'ok';
const args = process.argv.slice(2);
const after = (flag) => {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
};
const blend = after('-b');
const script = after('-P');
const prefix = after('-o') ?? '/tmp/fake_';
const frame = Number(after('-f') ?? '1');
const padded = String(frame).padStart(4, '0');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (line) => process.stdout.write(`${line}\n`);
const status = (mem, text) =>
  say(`Fra:${frame} Mem:${mem.toFixed(2)}M (Peak ${(mem + 1.5).toFixed(2)}M) | Time:00:00.10 | ${text}`);

async function main() {
  if (mode === 'silent-crash') process.kill(process.pid, 'SIGSEGV');
  say('Blender 3.4.1');
  say(`FAKE argv ${JSON.stringify(args)}`);
  say(`FAKE niceness ${getPriority()}`);
  const env = ['TEMP', 'TMP', 'CORES', 'PRIORITY', 'OCIO', 'BLENDER_USER_CONFIG', 'BLENDER_SYSTEM_SCRIPTS'];
  say(`FAKE env ${JSON.stringify(Object.fromEntries(env.map((name) => [name, process.env[name] ?? null])))}`);
  if (script) say(`FAKE script ${JSON.stringify(readFileSync(script, 'utf8'))}`);
  if (!blend || !existsSync(blend)) {
    say(`Error: Cannot read file "${blend}": No such file or directory`);
    say('Blender quit');
    return;
  }
  // Like Blender 3.4.1: `Read blend:` is printed before the file is opened.
  say(`Read blend: ${blend}`);
  await sleep(30);
  if (!existsSync(blend)) {
    say(`Warning: Unable to open '${blend}': No such file or directory`);
    say('');
    say('Blender quit');
    process.exit(1);
  }
  status(9, 'Mem:0.00M, Peak:0.00M | Scene, ViewLayer | Synchronizing object | Cube');
  await modes[mode]();
}

async function progress(samples, delayMs) {
  for (let sample = 1; sample <= samples; sample += 1) {
    status(
      10,
      `Remaining:00:0${Math.max(0, samples - sample)}.50 | Mem:0.86M, Peak:0.86M | Scene, ViewLayer | Sample ${sample}/${samples}`,
    );
    await sleep(delayMs);
  }
}

async function waitForBlendRemoval() {
  for (let i = 0; i < 500 && existsSync(blend); i += 1) await sleep(10);
  say(`FAKE blend ${existsSync(blend) ? 'still present' : 'removed after load'}`);
}

function writePng(path) {
  const png = new PNG({ width: 64, height: 48 });
  png.data.fill(200);
  writeFileSync(path, PNG.sync.write(png));
}

async function forever(delayMs) {
  for (let sample = 1; ; sample += 1) {
    status(10, `Mem:0.86M, Peak:0.86M | Scene, ViewLayer | Sample ${sample}/100000`);
    await sleep(delayMs);
  }
}

const modes = {
  async ok() {
    if (process.env.FAKE_BLENDER_WAIT_FOR_REMOVAL === '1') await waitForBlendRemoval();
    await progress(4, 5);
    status(10, 'Mem:0.86M, Peak:0.86M | Scene, ViewLayer | Finished');
    const output = `${prefix}${padded}.png`;
    writePng(output);
    say(`Saved: '${output}'`);
    say(' Time: 00:00.35 (Saving: 00:00.23)');
    say('');
    say('Blender quit');
  },
  async crash() {
    await progress(2, 5);
    const crashFile = join(process.env.TEMP ?? '/tmp', `${basename(blend, '.blend')}.crash.txt`);
    writeFileSync(crashFile, '# Blender 3.4.1, Commit date: 2022-12-19\n');
    say(`Writing: ${crashFile}`);
    process.kill(process.pid, 'SIGSEGV');
  },
  async 'crash-file'() {
    await progress(2, 5);
    writeFileSync(join(process.env.TEMP ?? '/tmp', `${basename(blend, '.blend')}.crash.txt`), '# crash\n');
    process.exit(1);
  },
  async 'python-error'() {
    say('Traceback (most recent call last):');
    say(`  File "${script}", line 3, in <module>`);
    say("NameError: name 'sheepit_set_compute_device' is not defined");
    await forever(50);
  },
  async 'memory-hog'() {
    const hoard = [];
    for (;;) {
      if (hoard.length < 48) hoard.push(Buffer.alloc(16 * 1024 * 1024, 1)); // ≤ 768 MiB if never killed
      status(10 + hoard.length * 16, `Mem:0.86M, Peak:0.86M | Scene, ViewLayer | Sample ${hoard.length}/48`);
      await sleep(20);
    }
  },
  async slow() {
    const child = spawn('sleep', ['600'], { stdio: 'ignore' });
    say(`FAKE grandchild ${child.pid}`);
    await forever(100);
  },
  async stubborn() {
    process.on('SIGTERM', () => say('FAKE ignoring SIGTERM'));
    await forever(100);
  },
  async 'no-output'() {
    await progress(2, 5);
    say('Blender quit');
  },
};

main().catch((error) => {
  say(`FAKE failure ${error?.stack ?? error}`);
  process.exit(70);
});
