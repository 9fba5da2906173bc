#!/usr/bin/env -S node --liftoff-only --max-semi-space-size=1
// The agent's launcher in a clone of the repository (`npm run agent`, the fleet of `npm start`, the
// package's bin): runs the esbuild bundle dist/flock-agent.mjs on plain node — built by
// `npm run build`, and by `npm start` through turbo — unless it is missing or older than the TypeScript sources, then the sources
// through tsx (with a note). The shebang's V8 flags keep the agent small (measured in
// bench/agent/results/agent-rss-1024mib.md; they apply when this file is executed, not when it is
// passed to `node`): undici's HTTP parser is WebAssembly, and optimising it in the background cost
// ~9 MB (--liftoff-only); a 1 MiB young generation (instead of up to 16) collects a fast
// download's garbage soon enough to stay under 100 MB.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (relative) => fileURLToPath(new URL(relative, import.meta.url));
const bundle = here('./dist/flock-agent.mjs');
const sources = [here('./src'), here('../../packages/protocol/src')];

/** Newest modification time of the .ts files under `dir` (0 when it does not exist). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of existsSync(dir) ? readdirSync(dir, { withFileTypes: true, recursive: true }) : []) {
    if (entry.isFile() && entry.name.endsWith('.ts'))
      newest = Math.max(newest, statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  if (!existsSync(bundle)) return false;
  const built = statSync(bundle).mtimeMs;
  return sources.every((dir) => newestSource(dir) <= built);
}

const argv = process.argv.slice(2);
if (bundleIsFresh()) {
  const { runCli } = await import(bundle);
  runCli(argv);
} else {
  if (existsSync(bundle))
    process.stderr.write(
      'flock-agent: dist/ is older than the sources; running them with tsx (rebuild: npm run build -- --filter=flock-agent)\n',
    );
  const { register } = await import('tsx/esm/api');
  register();
  const { runCli } = await import(here('./src/cli.ts'));
  runCli(argv);
}
