// The agent bundle is one self-contained file: an installed agent runs it from its own directory,
// with no package.json or node_modules anywhere above it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(tmpdir(), 'flock-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('runs from a directory of its own (the version is inlined, not read from package.json)', async () => {
  const { agentBundle } = (await import(path.join(import.meta.dirname, '..', 'build.mjs'))) as {
    agentBundle(entry: string, outfile: string): Promise<string>;
  };
  const bundle = await agentBundle(
    path.join(import.meta.dirname, '..', 'src', 'cli.ts'),
    path.join(dir, 'versions', '0.1.0-000000000000', 'flock-agent.mjs'),
  );
  const help = spawnSync(process.execPath, [bundle, '--help'], { cwd: dir, encoding: 'utf8' });
  expect(help.stderr).toBe('');
  expect(help.status).toBe(0);
  expect(help.stdout).toMatch(/^Usage: flock-agent <command> \[flags\]/);
}, 60_000);
