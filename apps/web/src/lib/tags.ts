import { z } from 'zod';

/** A tag is at most this many characters: enough for "render-room-2" or "gpu:rtx4090". */
export const MAX_TAG_LENGTH = 32;
/** A machine carries at most this many tags; a call that would go past it changes nothing. */
export const MAX_TAGS_PER_MACHINE = 16;

// Letters, digits, spaces and a few separators; no control, format or invisible characters (no
// zero-width joiners, no bidi overrides), so a tag reads the same on every screen.
const TAG_PATTERN = /^[\p{L}\p{N}](?:[\p{L}\p{N} ._:/#+-]*[\p{L}\p{N}])?$/u;

/** Tag text as typed: trimmed, inner runs of spaces made one, NFC; then checked. */
export const TagSchema = z
  .string()
  .max(200, `A tag has at most ${MAX_TAG_LENGTH} characters.`)
  .transform((text) => text.normalize('NFC').trim().replace(/\s+/g, ' '))
  .pipe(
    z
      .string()
      .min(1, 'A tag cannot be empty.')
      .max(MAX_TAG_LENGTH, `A tag has at most ${MAX_TAG_LENGTH} characters.`)
      .regex(
        TAG_PATTERN,
        'A tag holds letters, digits, spaces and . _ : / # + - (starting and ending with a letter or digit).',
      ),
  );

/** The tags of one call: at least one, each valid, duplicates dropped. */
export const TagListSchema = z
  .array(TagSchema)
  .min(1, 'Give at least one tag.')
  .max(MAX_TAGS_PER_MACHINE, `At most ${MAX_TAGS_PER_MACHINE} tags at once.`)
  .transform((tags) => [...new Set(tags)]);

/** Why `text` is not a tag, or null when it is one. */
export function tagProblem(text: string): string | null {
  const parsed = TagSchema.safeParse(text);
  return parsed.success ? null : (parsed.error.issues[0]?.message ?? 'Not a tag.');
}
