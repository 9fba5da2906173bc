// Parsers of the process-name listings (macOS `ps`, Windows `tasklist`). The text is untrusted: lines
// that are not a name are skipped, and a listing is cut at MAX_PROCESS_NAMES.

/** More processes than any real machine runs; a longer listing is cut there. */
export const MAX_PROCESS_NAMES = 100_000;
/** Longer than any executable name a rule can watch (rule names are at most 100 characters). */
const MAX_NAME_CHARS = 256;

/**
 * `ps -axco comm=` (macOS, the BSDs): one executable name per line, without its path. A `COMM` or
 * `COMMAND` header (printed when the `=` is dropped) is skipped.
 */
export function parsePsNames(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const name = line.trim();
    if (name === '' || name.length > MAX_NAME_CHARS || (names.length === 0 && /^COMM(AND)?$/.test(name)))
      continue;
    names.push(name);
    if (names.length >= MAX_PROCESS_NAMES) break;
  }
  return names;
}

/**
 * `tasklist /fo csv /nh`: `"Image Name","PID","Session Name","Session#","Mem Usage"` rows without a
 * header; the image name is the first quoted field (quotes inside it doubled). Lines that do not start
 * with a quoted field (the localised "INFO: No tasks are running…") are skipped.
 */
export function parseTasklistNames(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*"((?:[^"]|""){1,256})","\d{1,10}",/.exec(line);
    if (!match) continue;
    names.push((match[1] as string).replaceAll('""', '"'));
    if (names.length >= MAX_PROCESS_NAMES) break;
  }
  return names;
}
