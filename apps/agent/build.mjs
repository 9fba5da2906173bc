// `pnpm --filter flock-agent build`: bundles the agent into dist/cli.js with esbuild, so it runs on
// plain `node` — no TypeScript loader in the process (about 30 MB less RSS than `node --import tsx`)
// and one file to load instead of hundreds of modules. The benchmarks bundle their agent drivers
// with the same options (agentBundle).
import { rm } from 'node:fs/promises';
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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await rm(here('./dist'), { recursive: true, force: true });
  await agentBundle(here('./src/cli.ts'), here('./dist/cli.js'));
}
