// Paths built from names that came from outside (the farm's MD5s, job ids, the .blend path) are
// confined to their directory by construction: these helpers join a name under a directory and
// refuse anything that would resolve elsewhere. The protocol package already refuses such values
// where the farm's answer is parsed; this is the second wall.
import path from 'node:path';

/** A name from outside would have named a path outside its directory. */
export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
}

/** True when `candidate` resolves strictly inside `dir` (not `dir` itself). */
export function isInside(dir: string, candidate: string): boolean {
  const root = path.resolve(dir);
  const resolved = path.resolve(candidate);
  return resolved.startsWith(root + path.sep) && resolved.length > root.length + 1;
}

/** `dir/name` for a single plain file or directory name: no separators, NUL, `.` or `..`. */
export function fileIn(dir: string, name: string): string {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new UnsafePathError(`refusing the name ${JSON.stringify(name.slice(0, 200))} in ${dir}`);
  }
  return path.join(dir, name);
}

/** `dir/relative` for a `/`-separated relative path, only when it resolves inside `dir`. */
export function pathInside(dir: string, relative: string): string {
  const resolved = path.resolve(dir, ...relative.split('/'));
  if (relative === '' || path.isAbsolute(relative) || !isInside(dir, resolved)) {
    throw new UnsafePathError(
      `refusing the path ${JSON.stringify(relative.slice(0, 200))}: it leaves ${dir}`,
    );
  }
  return resolved;
}
