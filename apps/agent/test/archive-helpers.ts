import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A small project tree: incompressible and compressible files, an empty one, nesting, rend.exe. */
export function writeSampleTree(root: string): void {
  mkdirSync(path.join(root, 'scene', 'textures'), { recursive: true });
  // Entries over 1 MiB (and archives over 1 MiB) are streamed, smaller ones handled whole: the
  // sample has both, so every archive tool's output is checked on both paths.
  writeFileSync(path.join(root, 'scene', 'textures', 'noise.bin'), randomBytes(200_000));
  writeFileSync(path.join(root, 'scene', 'textures', 'photo.bin'), randomBytes(1_200_000));
  writeFileSync(path.join(root, 'scene', 'main.blend'), Buffer.from('BLENDER-v304 '.repeat(100_000)));
  writeFileSync(path.join(root, 'empty.txt'), '');
  writeFileSync(path.join(root, 'rend.exe'), '#!/bin/sh\necho render\n');
  writeFileSync(path.join(root, 'ünïcode name.txt'), 'names are UTF-8');
}

/** Relative path → contents of every file under `root` (directories implied). */
export function readTree(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const item of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, item.name);
      if (item.isDirectory()) walk(full);
      else files.set(path.relative(root, full), readFileSync(full));
    }
  };
  walk(root);
  return files;
}

export function expectSameTree(actual: Map<string, Buffer>, expected: Map<string, Buffer>): string[] {
  const problems: string[] = [];
  for (const [name, data] of expected) {
    const got = actual.get(name);
    if (!got) problems.push(`missing ${name}`);
    else if (!got.equals(data)) problems.push(`differs ${name}`);
  }
  for (const name of actual.keys()) if (!expected.has(name)) problems.push(`extra ${name}`);
  return problems;
}

/**
 * Turns a WinZip AE-2 archive (CRC fields zero) into AE-1 by setting the vendor version to 1 and
 * writing each entry's real CRC into its local and central headers; the HMAC does not cover headers.
 */
export function convertAe2ToAe1(zip: Buffer, crcOf: (name: string) => number): Buffer {
  const out = Buffer.from(zip);
  const eocd = out.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let central = out.readUInt32LE(eocd + 16);
  for (let i = 0; i < out.readUInt16LE(eocd + 10); i++) {
    const nameLength = out.readUInt16LE(central + 28);
    const extraLength = out.readUInt16LE(central + 30);
    const name = out.toString('utf8', central + 46, central + 46 + nameLength);
    const local = out.readUInt32LE(central + 42);
    if (out.readUInt16LE(central + 10) === 99) {
      const crc = crcOf(name);
      out.writeUInt32LE(crc, central + 16);
      out.writeUInt32LE(crc, local + 14);
      setAesVersion(out, central + 46 + nameLength, extraLength);
      const localName = out.readUInt16LE(local + 26);
      setAesVersion(out, local + 30 + localName, out.readUInt16LE(local + 28));
    }
    central += 46 + nameLength + extraLength + out.readUInt16LE(central + 32);
  }
  return out;
}

function setAesVersion(zip: Buffer, extraStart: number, extraLength: number): void {
  for (let at = extraStart; at + 4 <= extraStart + extraLength; at += 4 + zip.readUInt16LE(at + 2)) {
    if (zip.readUInt16LE(at) === 0x9901) zip.writeUInt16LE(1, at + 4);
  }
}
