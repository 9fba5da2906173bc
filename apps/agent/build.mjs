// `npm run build` (or this package's `build` script): bundles the agent into dist/flock-agent.mjs with
// esbuild, so it runs on plain `node` — no TypeScript loader in the process (about 30 MB less RSS
// than `node --import tsx`) and one file to load instead of hundreds of modules. Beside it:
// dist/launcher.mjs, the small launcher an installed agent starts through (node built-ins only), and
// dist/build.json with the agent's version and the Node.js versions it runs on, which the console
// reads when it serves the two files. The benchmarks bundle their agent drivers with the same
// options (agentBundle).
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (relative) => fileURLToPath(new URL(relative, import.meta.url));

/** `import … from 'undici'` gets undici-slim.cjs (see there); `undici/lib/…` stays undici's own. */
const slimUndici = {
  name: 'slim-undici',
  setup(plugin) {
    plugin.onResolve({ filter: /^undici$/ }, () => ({ path: here('./undici-slim.cjs') }));
  },
};

/** Bundles `entry` (TypeScript, ESM) and everything it imports into `outfile` for plain node. */
export async function agentBundle(entry, outfile) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    // Whitespace and comments out, identifiers kept (readable stack traces). Not for size on disk:
    // V8 keeps the whole source in memory, and one non-ASCII character in a kept comment makes it
    // a two-byte string — 6.4 MB of heap instead of 2.2.
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
    legalComments: 'none',
    logLevel: 'warning',
    // ws loads these native speed-ups only when installed (it catches the failed require).
    external: ['bufferutil', 'utf-8-validate'],
    plugins: [slimUndici],
    // CommonJS dependencies (yauzl, systeminformation, ws) call require() for node built-ins.
    banner: {
      js: "import { createRequire as __flockRequire } from 'node:module'; const require = __flockRequire(import.meta.url);",
    },
  });
  return outfile;
}

/** The artifacts an install needs, by file name in dist/ (the console serves these). */
export const AGENT_BUNDLE = 'flock-agent.mjs';
export const LAUNCHER = 'launcher.mjs';
export const BUILD_INFO = 'build.json';

/** Builds the agent bundle, the launcher and build.json into `outDir` (emptied first). */
export async function buildAgent(outDir) {
  await rm(outDir, { recursive: true, force: true });
  await agentBundle(here('./src/cli.ts'), join(outDir, AGENT_BUNDLE));
  await agentBundle(here('./src/install/launcher-main.ts'), join(outDir, LAUNCHER));
  const { version, engines } = JSON.parse(await readFile(here('./package.json'), 'utf8'));
  await writeFile(join(outDir, BUILD_INFO), `${JSON.stringify({ version, node: engines.node })}\n`);
  return outDir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildAgent(here('./dist'));
