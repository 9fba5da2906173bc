import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// @flock/protocol must stay pure: no network, filesystem or child processes, so the farm, the agent
// and the browser bundle of the console can all import it. Biome enforces the same rule at lint time.
const FORBIDDEN =
  /from\s+['"](node:[^'"]+|fs|path|os|child_process|http|https|net|crypto|stream)['"]|require\(/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('protocol package purity', () => {
  const files = sourceFiles(join(import.meta.dirname, '..', 'src'));

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s imports no Node built-in', (file) => {
    expect(readFileSync(file, 'utf8')).not.toMatch(FORBIDDEN);
  });
});
