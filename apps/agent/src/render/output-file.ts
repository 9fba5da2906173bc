import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Blender's output for `-o <work>/<jobId>_ -f <frame>`: `<jobId>_<frame, at least 4 digits>.<ext>`.
 * Matched with the dot (docs/decisions.md D5) so frame 0001 never picks `1_00010.png`; when several match
 * (EXR plus a preview), the non-EXR one is the frame to upload.
 */
export function findOutputFile(workDir: string, jobId: string, frame: string): string | undefined {
  const prefix = `${jobId}_${/^\d+$/.test(frame) ? frame.padStart(4, '0') : frame}.`;
  let names: string[];
  try {
    names = readdirSync(workDir); // a handful of names, read without a thread-pool hop
  } catch {
    return undefined;
  }
  const matches = names.filter((name) => name.startsWith(prefix) && name.length > prefix.length).sort();
  const preferred = matches.find((name) => !name.toLowerCase().endsWith('.exr')) ?? matches[0];
  return preferred === undefined ? undefined : join(workDir, preferred);
}
