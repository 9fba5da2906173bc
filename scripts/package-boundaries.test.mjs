// `node --test scripts/package-boundaries.test.mjs` (run by `npm test`): the repository's lint
// configuration (biome.json) refuses an import of another package's src/ or test/, and leaves a
// package's own files and imports by package name alone. The probes are linted in a temp copy of the
// repository's layout with the repository's own biome.json.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const biome = join(root, 'node_modules', '.bin', 'biome');

/** path → the module it imports; each probe imports one name and uses it. */
const PROBES = {
  'apps/web/test/agent-src.test.ts': '../../agent/src/link',
  'apps/web/test/support/agent-test.ts': '../../../agent/test/support/store',
  'apps/web/test/farm-src.test.ts': '../../farm/src/blender',
  'apps/agent/test/protocol-src.test.ts': '../../../packages/protocol/src/index',
  'apps/farm/test/agent-testing.test.ts': '../../agent/testing/index.js',
  'packages/protocol/src/agent-src.ts': '../../../apps/agent/src/index',
  'packages/protocol/src/node-fs.ts': 'node:fs',
  'apps/web/test/by-name.test.ts': 'flock-agent',
  'apps/web/test/testing-by-name.test.ts': 'flock-agent/testing',
  'apps/agent/test/own-src.test.ts': '../src/link/index.js',
  'apps/agent/test/own-testing.test.ts': '../testing/index.js',
  'apps/farm/src/protocol-by-name.ts': '@flock/protocol',
};
const REFUSED = [
  'apps/agent/test/protocol-src.test.ts',
  'apps/farm/test/agent-testing.test.ts',
  'apps/web/test/agent-src.test.ts',
  'apps/web/test/farm-src.test.ts',
  'apps/web/test/support/agent-test.ts',
  'packages/protocol/src/agent-src.ts',
  'packages/protocol/src/node-fs.ts',
];

const dir = mkdtempSync(join(tmpdir(), 'flock-boundaries-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The files biome flags with noRestrictedImports, sorted. */
function refusedFiles() {
  const config = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8'));
  // The temp dir is no git checkout: the VCS settings would only make biome look for one.
  delete config.vcs;
  delete config.$schema;
  writeFileSync(join(dir, 'biome.json'), JSON.stringify(config));
  for (const [file, target] of Object.entries(PROBES)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), `import * as probe from '${target}';\nexport const used = probe;\n`);
  }
  const result = spawnSync(biome, ['lint', '--reporter=json', '.'], { cwd: dir, encoding: 'utf8' });
  assert.equal(result.error, undefined);
  const report = JSON.parse(result.stdout);
  const files = report.diagnostics
    .filter((diagnostic) => diagnostic.category === 'lint/style/noRestrictedImports')
    .map((diagnostic) => diagnostic.location.path);
  return [...new Set(files)].sort();
}

describe('package boundaries (biome.json)', () => {
  it("refuses imports of another package's src/, test/ or testing/ by path, and node: in @flock/protocol", () => {
    assert.deepEqual(refusedFiles(), REFUSED);
  });
});
