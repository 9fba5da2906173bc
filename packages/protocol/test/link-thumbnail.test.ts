import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base64Bytes,
  imageSize,
  THUMBNAIL_MAX_BASE64_CHARS,
  THUMBNAIL_MAX_BYTES,
  THUMBNAIL_MAX_EDGE,
  ThumbnailSchema,
} from '../src/link';
import { jpegHeader, pngHeader } from './thumbnail-bytes';

const png = (width: number, height: number, padding = 0) => ({
  mime: 'image/png' as const,
  base64: Buffer.concat([pngHeader(width, height), Buffer.alloc(padding, 7)]).toString('base64'),
});
const jpeg = (width: number, height: number) => ({
  mime: 'image/jpeg' as const,
  base64: jpegHeader(width, height).toString('base64'),
});

const reasonOf = (value: unknown) => {
  const parsed = ThumbnailSchema.safeParse(value);
  return parsed.success ? null : parsed.error.issues.map((issue) => issue.message).join('; ');
};

describe('thumbnail bounds', () => {
  it('reads the size from PNG and JPEG headers', () => {
    expect(imageSize(pngHeader(160, 90), 'image/png')).toEqual({ width: 160, height: 90 });
    expect(imageSize(jpegHeader(120, 160), 'image/jpeg')).toEqual({ width: 120, height: 160 });
    expect(imageSize(pngHeader(160, 90), 'image/jpeg')).toBeNull();
    expect(imageSize(jpegHeader(160, 90), 'image/png')).toBeNull();
    expect(imageSize(pngHeader(160, 90).subarray(0, 20), 'image/png')).toBeNull();
  });

  it('accepts thumbnails the agent makes: up to 160 px each way, up to the byte cap', () => {
    expect(reasonOf(png(THUMBNAIL_MAX_EDGE, THUMBNAIL_MAX_EDGE))).toBeNull();
    expect(reasonOf(png(160, 1, THUMBNAIL_MAX_BYTES - 33))).toBeNull();
    expect(reasonOf(jpeg(160, 120))).toBeNull();
  });

  it.each([
    ['wider than 160 px', png(161, 90), /161×90 px is over 160 px/],
    ['taller than 160 px', jpeg(100, 4000), /100×4000 px is over 160 px/],
    ['an empty image', png(0, 0), /empty/],
    ['over the byte cap', png(160, 160, THUMBNAIL_MAX_BYTES), /too_big|Too big|at most/i],
    ['a JPEG labelled PNG', { mime: 'image/png', base64: jpeg(10, 10).base64 }, /not a image\/png image/],
    ['not an image', { mime: 'image/png', base64: Buffer.from('hello').toString('base64') }, /not a/],
    ['not base64', { mime: 'image/png', base64: '<script>' }, /not base64/],
    ['another type', { mime: 'image/svg+xml', base64: png(1, 1).base64 }, /./],
  ])('refuses %s', (_label, value, reason) => {
    expect(reasonOf(value)).toMatch(reason);
  });

  it('caps the base64 text at the byte cap', () => {
    expect(THUMBNAIL_MAX_BASE64_CHARS).toBe(Buffer.alloc(THUMBNAIL_MAX_BYTES).toString('base64').length);
  });

  it('never throws on arbitrary bytes or text (fuzz)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom('image/png', 'image/jpeg'),
        (bytes, mime) => {
          const size = imageSize(bytes, mime as 'image/png' | 'image/jpeg');
          if (size) expect(size.width).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 3000 },
    );
    // JPEG segments with arbitrary markers and lengths after a valid start.
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 20 }))),
        (parts) => {
          const bytes = Buffer.concat([
            Buffer.from([0xff, 0xd8]),
            ...parts.map(([marker, body]) => Buffer.concat([Buffer.from([0xff, marker]), body])),
          ]);
          imageSize(bytes, 'image/jpeg');
        },
      ),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 20 }), (base64, mime) => {
        expect(() => ThumbnailSchema.safeParse({ mime, base64 })).not.toThrow();
        base64Bytes(base64);
      }),
      { numRuns: 2000 },
    );
  });
});
