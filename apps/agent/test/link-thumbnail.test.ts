import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { THUMBNAIL_MAX_EDGE, ThumbnailSchema } from '@flock/protocol';
import { PNG } from 'pngjs';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeThumbnail } from '../src/link';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flock-thumb-'));
});

async function writePng(
  width: number,
  height: number,
  pixel: (x: number, y: number) => number[],
): Promise<string> {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) png.data.set(pixel(x, y), (y * width + x) * 4);
  const file = join(dir, `${width}x${height}.png`);
  await writeFile(file, PNG.sync.write(png));
  return file;
}

describe('makeThumbnail', () => {
  it('shrinks a frame to at most 160 px, keeping its aspect and its colours', async () => {
    const file = await writePng(1920, 1080, (x) => (x < 960 ? [255, 0, 0, 255] : [0, 0, 255, 255]));
    const thumbnail = await makeThumbnail(file);
    expect(ThumbnailSchema.parse(thumbnail)).toBeTruthy();
    const image = PNG.sync.read(Buffer.from(thumbnail?.base64 ?? '', 'base64'));
    expect([image.width, image.height]).toEqual([160, 90]);
    expect([...image.data.subarray(0, 4)]).toEqual([255, 0, 0, 255]);
    const last = (image.width * image.height - 1) * 4;
    expect([...image.data.subarray(last, last + 4)]).toEqual([0, 0, 255, 255]);
  });

  it('keeps a small frame at its size', async () => {
    const thumbnail = await makeThumbnail(await writePng(64, 48, () => [10, 20, 30, 255]));
    const image = PNG.sync.read(Buffer.from(thumbnail?.base64 ?? '', 'base64'));
    expect([image.width, image.height]).toEqual([64, 48]);
  });

  it('makes thumbnails the console accepts even from pure noise, the hardest case for PNG', async () => {
    const image = new PNG({ width: 200, height: 200 });
    randomBytes(200 * 200 * 4).copy(image.data);
    const noise = join(dir, 'noise.png');
    await writeFile(noise, PNG.sync.write(image));
    const thumbnail = await makeThumbnail(noise);
    expect(ThumbnailSchema.safeParse(thumbnail).success).toBe(true);
    const wider = await makeThumbnail(noise, THUMBNAIL_MAX_EDGE + 40);
    // A thumbnail the console would refuse is not sent at all: the frame's event goes without one.
    expect(wider).toBeNull();
  });

  it('returns null for a file that is not a PNG, or missing', async () => {
    const bogus = join(dir, 'frame.png');
    await writeFile(bogus, 'not a png');
    expect(await makeThumbnail(bogus)).toBeNull();
    expect(await makeThumbnail(join(dir, 'missing.png'))).toBeNull();
  });
});
