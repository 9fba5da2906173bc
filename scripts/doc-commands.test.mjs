// `node --test scripts/doc-commands.test.mjs` (run by `npm test`): every command the READMEs show
// works on a machine with only Node and npm. No README shows a `pnpm …` command (pnpm is not
// installed there); every `npm run NAME` they show is a root script, and each one that takes flags
// answers `-- --help` from a clean environment without pnpm on the PATH, in help that shows no pnpm
// command either. The console also accepts the `--` that `pnpm … start -- --port 3000` passes on.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** A fresh machine: Node and npm from the system, no pnpm, no workspace bin dir. */
const CLEAN_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8' };

function readmes() {
  const found = ['README.md'];
  for (const parent of ['apps', 'packages', 'bench'])
    for (const entry of readdirSync(join(root, parent), { withFileTypes: true }))
      if (entry.isDirectory())
        for (const name of readdirSync(join(root, parent, entry.name)))
          if (name === 'README.md') found.push(join(parent, entry.name, name));
  return found;
}

/** Commands as a reader copies them: `inline code` and the lines of fenced blocks. */
function commandsIn(text) {
  const commands = [...text.matchAll(/`([^`\n]+)`/g)].map((match) => match[1]);
  for (const block of text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) commands.push(...block[1].split('\n'));
  return commands.map((command) => command.trim());
}

const pnpmCommand = (text) => /(^|&&\s*|;\s*)pnpm\s/.test(text);
const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;

function npmRun(args) {
  return spawnSync('npm', ['run', '--silent', ...args], {
    cwd: root,
    env: CLEAN_ENV,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('commands in the READMEs', () => {
  const docs = readmes().map((file) => ({
    file,
    commands: commandsIn(readFileSync(join(root, file), 'utf8')),
  }));

  it('show no pnpm command (a fresh machine has Node and npm only)', () => {
    const found = docs.flatMap(({ file, commands }) =>
      commands.filter(pnpmCommand).map((c) => `${file}: ${c}`),
    );
    assert.deepEqual(found, []);
  });

  it('run only root scripts with npm run', () => {
    const unknown = docs.flatMap(({ file, commands }) =>
      commands.flatMap((command) =>
        [...command.matchAll(/npm run (\S+)/g)]
          .map((m) => m[1])
          .filter((name) => !(name in scripts))
          .map((name) => `${file}: npm run ${name}`),
      ),
    );
    assert.deepEqual(unknown, []);
  });
});

describe('npm run NAME -- --help from a clean environment', () => {
  for (const name of ['agent', 'farm', 'console']) {
    it(`npm run ${name} -- --help`, () => {
      assert.ok(name in scripts, `no root script "${name}"`);
      const result = npmRun([name, '--', '--help']);
      assert.equal(result.status, 0, `${result.stderr}${result.stdout}`);
      assert.match(result.stdout, /usage|Usage/);
      assert.ok(
        !pnpmCommand(result.stdout) && !/^\s*pnpm\s/m.test(result.stdout),
        `help shows a pnpm command:\n${result.stdout}`,
      );
    });
  }

  it('the console takes a leading -- (as pnpm passes it) like no -- at all', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'server.ts', '--', '--help'], {
      cwd: join(root, 'apps', 'web'),
      env: CLEAN_ENV,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Usage: npm run console --/);
  });
});

// The list of READMEs the checks read (so a new package's README is not missed silently).
it('reads every README of the repository', () => {
  assert.ok(
    readmes()
      .map((file) => relative(root, join(root, file)))
      .includes(join('apps', 'web', 'README.md')),
  );
});
