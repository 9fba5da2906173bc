import { readFile } from 'node:fs/promises';
import { THUMBNAIL_MAX_EDGE, type Thumbnail, ThumbnailSchema } from '@flock/protocol';
import { PNG } from 'pngjs';

export { THUMBNAIL_MAX_EDGE };

/**
 * A small PNG preview of a rendered frame for the console's `frame-done` event, or null when the file
 * is not a readable PNG or the preview is not one the console accepts (the frame itself is never
 * affected). Box-filtered, so thin lines survive.
 */
export async function makeThumbnail(
  pngPath: string,
  maxEdge = THUMBNAIL_MAX_EDGE,
): Promise<Thumbnail | null> {
  let source: PNG;
  try {
    source = PNG.sync.read(await readFile(pngPath));
  } catch {
    return null;
  }
  const scale = Math.min(1, maxEdge / Math.max(source.width, source.height));
  const width = Math.max(1, Math.round(source.width * scale));
  const height = Math.max(1, Math.round(source.height * scale));
  const target = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor(y / scale);
    const y1 = Math.max(y0 + 1, Math.min(source.height, Math.floor((y + 1) / scale)));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor(x / scale);
      const x1 = Math.max(x0 + 1, Math.min(source.width, Math.floor((x + 1) / scale)));
      averageInto(source, x0, x1, y0, y1, target.data, (y * width + x) * 4);
    }
  }
  const thumbnail: Thumbnail = { mime: 'image/png', base64: PNG.sync.write(target).toString('base64') };
  return ThumbnailSchema.safeParse(thumbnail).success ? thumbnail : null;
}

function averageInto(
  source: PNG,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
  out: Buffer,
  at: number,
): void {
  const sums = [0, 0, 0, 0];
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * source.width + x) * 4;
      for (let c = 0; c < 4; c++) sums[c] = (sums[c] ?? 0) + (source.data[i + c] ?? 0);
    }
  }
  const count = (x1 - x0) * (y1 - y0);
  for (let c = 0; c < 4; c++) out[at + c] = Math.round((sums[c] ?? 0) / count);
}
