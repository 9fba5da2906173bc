// Extraction speed of the agent's reader (yauzl + its own ZipCrypto / WinZip AES layers) against
// @zip.js/zip.js (the well-kept library that could have done the decryption) and the native
// tools, on the same ~200 MB project archives. This is why the agent reads with yauzl.
//
//   apps/agent/node_modules/.bin/tsx bench/agent/extract-compare.ts [--size-mib 200] [--rounds 3]
import { createWriteStream, mkdirSync, openAsBlob, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { extractArchive } from '../../apps/agent/src/archive/index.js';
import { agentDir, flag, machineLine, median, mib, projectArchive, run, timed, writeResult } from './lib.js';

const sizeMib = Number(flag('size-mib', '200'));
const rounds = Number(flag('rounds', '3'));
const password = 'bench-password';
const fixtures = path.join(tmpdir(), 'flock-bench-fixtures');
const out = path.join(tmpdir(), 'flock-bench-extract');
mkdirSync(fixtures, { recursive: true });

const zipJsPath = createRequire(path.join(agentDir, 'package.json')).resolve('@zip.js/zip.js');
const zipJs = (await import(zipJsPath)) as typeof import('@zip.js/zip.js');
zipJs.configure({ useWebWorkers: false });

const uncompressed = Math.round((sizeMib * 1024 * 1024) / 0.85);
console.log(`building ~${sizeMib} MiB archives (cached in ${fixtures})…`);
const archives = {
  plain: projectArchive(fixtures, `cmp-plain-${sizeMib}`, uncompressed, (z) => [['zip', '-q', '-r', z, '.']]),
  zipcrypto: projectArchive(fixtures, `cmp-zipcrypto-${sizeMib}`, uncompressed, (z) => [
    ['zip', '-q', '-r', '-P', password, z, '.'],
  ]),
  aes256: projectArchive(fixtures, `cmp-aes256-${sizeMib}`, uncompressed, (z) => [
    ['7zz', 'a', '-tzip', '-mem=AES256', `-p${password}`, z, '.'],
  ]),
};

async function withZipJs(zipPath: string, target: string, encrypted: boolean): Promise<void> {
  const reader = new zipJs.ZipReader(new zipJs.BlobReader(await openAsBlob(zipPath)));
  for (const entry of await reader.getEntries()) {
    const destination = path.join(target, entry.filename);
    if (entry.directory) {
      mkdirSync(destination, { recursive: true });
      continue;
    }
    mkdirSync(path.dirname(destination), { recursive: true });
    const sink = Writable.toWeb(createWriteStream(destination));
    await entry.getData?.(sink, encrypted ? { password } : {});
  }
  await reader.close();
}

type Tool = { name: string; extract: (zipPath: string, target: string) => Promise<unknown> };
const tools = (encrypted: boolean, native: Tool): Tool[] => [
  {
    name: 'Flock: yauzl + own cipher layers',
    extract: (z, t) => extractArchive(z, t, encrypted ? { password } : {}),
  },
  { name: '@zip.js/zip.js 2.x (no workers)', extract: (z, t) => withZipJs(z, t, encrypted) },
  native,
];
const unzip: Tool = {
  name: 'Debian unzip',
  extract: (z, t) => run('unzip', ['-q', '-P', password, z, '-d', t]),
};
const sevenZip: Tool = {
  name: '7zz x',
  extract: (z, t) => run('7zz', ['x', `-p${password}`, `-o${t}`, z, '-y', '-bso0']),
};

const rows: string[] = [];
for (const [kind, zipPath] of Object.entries(archives)) {
  const candidates = tools(kind !== 'plain', kind === 'aes256' ? sevenZip : unzip);
  const times = new Map<string, number[]>(candidates.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const tool of candidates) {
      rmSync(out, { recursive: true, force: true });
      const { ms } = await timed(() => tool.extract(zipPath, out));
      times.get(tool.name)?.push(ms);
    }
  }
  const flock = median(times.get(candidates[0]?.name ?? '') ?? []);
  for (const tool of candidates) {
    const ms = median(times.get(tool.name) ?? []);
    rows.push(
      `| ${kind} (${mib(statSync(zipPath).size)}) | ${tool.name} | ${ms.toFixed(0)} ms | ${(ms / flock).toFixed(2)}× |`,
    );
  }
  console.log(rows.slice(-3).join('\n'));
}
rmSync(out, { recursive: true, force: true });

const markdown = `# Agent: extraction speed — yauzl + own decryption vs @zip.js/zip.js vs native tools

Command: \`apps/agent/node_modules/.bin/tsx bench/agent/extract-compare.ts --size-mib ${sizeMib} --rounds ${rounds}\`
Date: ${new Date().toISOString()} · Machine: ${machineLine()}

Same project-like trees (70 % incompressible, 30 % low-entropy) zipped by Debian \`zip\` (plain and
\`-P\` ZipCrypto) and \`7zz -tzip -mem=AES256\`; each tool extracts to a fresh directory on the same
disk; median of ${rounds} rounds, tools interleaved. Relative = time / Flock's time.

| archive | extractor | median | relative |
|---|---|---:|---:|
${rows.join('\n')}
`;
console.log(`\n${markdown}`);
writeResult('extract-compare.md', markdown);
