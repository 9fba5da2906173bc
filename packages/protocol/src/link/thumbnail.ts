import { z } from 'zod';

/** Largest thumbnail edge in pixels: enough to recognise a frame, small enough for every event. */
export const THUMBNAIL_MAX_EDGE = 160;

/**
 * Largest thumbnail file. A 160×160 RGBA PNG of pure noise (deflate cannot shrink it) is about 100 KiB;
 * real frames compress far below that.
 */
export const THUMBNAIL_MAX_BYTES = 128 * 1024;

/** Base64 length of THUMBNAIL_MAX_BYTES: 4 characters per 3 bytes, padded. */
export const THUMBNAIL_MAX_BASE64_CHARS = Math.ceil(THUMBNAIL_MAX_BYTES / 3) * 4;

export type ThumbnailMime = 'image/png' | 'image/jpeg';

export interface ImageSize {
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** `IHDR`: a PNG's first chunk, holding width and height. */
const PNG_IHDR = [0x49, 0x48, 0x44, 0x52];

/** JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic): they carry the size. */
const JPEG_SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
/** Markers without a length field: TEM and the restart markers RST0-7. */
const JPEG_STANDALONE = new Set([0x01, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7]);
const JPEG_SOS = 0xda;
const JPEG_EOI = 0xd9;

const startsWith = (bytes: Uint8Array, prefix: number[], at = 0) =>
  prefix.every((byte, i) => bytes[at + i] === byte);
const uint16 = (bytes: Uint8Array, at: number) => ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
const uint32 = (bytes: Uint8Array, at: number) => uint16(bytes, at) * 65_536 + uint16(bytes, at + 2);

function pngSize(bytes: Uint8Array): ImageSize | null {
  if (bytes.length < 24 || !startsWith(bytes, PNG_SIGNATURE) || !startsWith(bytes, PNG_IHDR, 12)) return null;
  return { width: uint32(bytes, 16), height: uint32(bytes, 20) };
}

function jpegSize(bytes: Uint8Array): ImageSize | null {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let at = 2;
  while (at + 3 < bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (JPEG_STANDALONE.has(marker)) {
      at += 2;
      continue;
    }
    if (marker === JPEG_SOS || marker === JPEG_EOI) return null;
    const length = uint16(bytes, at + 2);
    if (length < 2) return null;
    if (JPEG_SOF.has(marker)) {
      if (at + 8 >= bytes.length) return null;
      return { width: uint16(bytes, at + 7), height: uint16(bytes, at + 5) };
    }
    at += 2 + length;
  }
  return null;
}

/** Width and height from a PNG's or JPEG's header, or null when the bytes are not that image type. */
export function imageSize(bytes: Uint8Array, mime: ThumbnailMime): ImageSize | null {
  return mime === 'image/png' ? pngSize(bytes) : jpegSize(bytes);
}

/** Bytes of a base64 string (browser and Node alike), or null when it is not valid base64. */
export function base64Bytes(base64: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * A frame's thumbnail as the link carries it: a PNG or JPEG of at most THUMBNAIL_MAX_BYTES whose header
 * says it is at most THUMBNAIL_MAX_EDGE pixels each way, and is of the type it claims.
 */
export const ThumbnailSchema = z
  .object({
    mime: z.enum(['image/png', 'image/jpeg']),
    base64: z
      .string()
      .max(THUMBNAIL_MAX_BASE64_CHARS)
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64'),
  })
  .superRefine(({ mime, base64 }, ctx) => {
    const bytes = base64Bytes(base64);
    const size = bytes && imageSize(bytes, mime);
    if (!size) {
      ctx.addIssue({ code: 'custom', path: ['base64'], message: `not a ${mime} image` });
    } else if (size.width < 1 || size.height < 1) {
      ctx.addIssue({ code: 'custom', path: ['base64'], message: 'an empty image' });
    } else if (size.width > THUMBNAIL_MAX_EDGE || size.height > THUMBNAIL_MAX_EDGE) {
      ctx.addIssue({
        code: 'custom',
        path: ['base64'],
        message: `${size.width}×${size.height} px is over ${THUMBNAIL_MAX_EDGE} px`,
      });
    }
  });
export type Thumbnail = z.infer<typeof ThumbnailSchema>;
