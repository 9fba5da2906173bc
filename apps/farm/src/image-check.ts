import { PNG } from 'pngjs';

/**
 * Is an uploaded frame really an image of the project's size? The farm's script makes Blender write
 * PNG, so a frame must decode as PNG completely (a truncated file does not) at exactly that size.
 */
export type ImageCheck =
  | { kind: 'ok' }
  | { kind: 'not-image'; detail: string }
  | { kind: 'wrong-dimension'; width: number; height: number };

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function checkFrameImage(bytes: Buffer, expected: { width: number; height: number }): ImageCheck {
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) {
    return { kind: 'not-image', detail: 'no PNG signature' };
  }
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  if (width !== expected.width || height !== expected.height)
    return { kind: 'wrong-dimension', width, height };
  try {
    PNG.sync.read(bytes);
  } catch (error) {
    return { kind: 'not-image', detail: `PNG does not decode: ${(error as Error).message}` };
  }
  return { kind: 'ok' };
}
