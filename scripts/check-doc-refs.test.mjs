// `node --test scripts/check-doc-refs.test.mjs` (run by `npm test`): the reference check on sample
// texts and on a small repository in a temp dir.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkRepository, checkText, headingIds } from './check-doc-refs.mjs';

const PROTOCOL = '# Protocol\n## 2. Requests\n### 2.3 Job request\n### 2.6 Validation\n## 7. Uploads\n';
const DECISIONS = '# Decisions\n## D4 — Heartbeat\n## D5 — Frames\n';
const docs = new Map([
  ['protocol.md', headingIds(PROTOCOL)],
  ['decisions.md', headingIds(DECISIONS)],
]);
const messages = (text, selfDoc) => checkText(text, docs, selfDoc).map((p) => `${p.line}: ${p.message}`);

describe('headingIds', () => {
  it('takes the first word of numbered and decision headings, with or without a trailing dot', () => {
    assert.deepEqual([...headingIds(PROTOCOL)], ['2', '2.3', '2.6', '7']);
    assert.deepEqual([...headingIds(DECISIONS)], ['D4', 'D5']);
    assert.deepEqual([...headingIds('# Title\nD6 in text\n## Notes 2.1\n')], []);
  });
});

describe('checkText', () => {
  it('accepts references that resolve, alone or listed', () => {
    const text = [
      '// The job request (docs/protocol.md §2.3).',
      ' * See docs/protocol.md §2.6, §7 and docs/decisions.md D4 and D5.',
      '/** Padded (`docs/decisions.md D5`); cookies per RFC 6265 §5.1.4, ZipCrypto per APPNOTE.TXT §6.1. */',
    ].join('\n');
    assert.deepEqual(messages(text), []);
  });

  it('names each reference that does not resolve, with its line', () => {
    const text = 'ok (docs/protocol.md §2.3)\n// see docs/protocol.md §2.3, §9.9 and docs/decisions.md D99';
    assert.deepEqual(messages(text), [
      '2: §9.9 is not a heading of docs/protocol.md',
      '2: D99 is not a heading of docs/decisions.md',
    ]);
    assert.deepEqual(messages('(docs/glossary.md §1)'), ['1: docs/glossary.md does not exist']);
  });

  it('refuses citations that are not in the docs/ form', () => {
    const text = [
      '// the found file (decision 5), §4.3 environment',
      '/** farm-protocol.md §4.2 */',
      '// (stack-notes §6.4)',
    ].join('\n');
    assert.deepEqual(messages(text), [
      '1: "§4.3" is not a reference in the docs/ form (docs/<file>.md §N)',
      '1: "decision 5": a numbered decision, not a reference into docs/',
      '2: "§4.2" is not a reference in the docs/ form (docs/<file>.md §N)',
      '2: "farm-protocol": the outside document farm-protocol, not a reference into docs/',
      '3: "§6.4" is not a reference in the docs/ form (docs/<file>.md §N)',
      '3: "stack-notes": the outside document stack-notes, not a reference into docs/',
    ]);
  });

  it('reads bare sections inside a docs file as references to that file', () => {
    assert.deepEqual(messages('as in §2.3 and §7', 'protocol.md'), []);
    assert.deepEqual(messages('as in §2.4', 'protocol.md'), ['1: §2.4 is not a heading of docs/protocol.md']);
  });
});

describe('checkRepository', () => {
  const root = mkdtempSync(join(tmpdir(), 'doc-refs-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const write = (file, text) => {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  };

  it('walks the scanned directories, skips node_modules, and reports file:line', () => {
    write('docs/protocol.md', PROTOCOL);
    write('docs/decisions.md', `${DECISIONS}Cites §2.3 of itself? No: §2.3 is not here.\n`);
    write('apps/agent/src/a.ts', '// fine (docs/protocol.md §2.3)\n// broken (docs/protocol.md §8)\n');
    write('packages/p/README.md', 'Follows decision 4.\n');
    write('apps/agent/node_modules/x/index.js', '// §1 (ignored)\n');
    write('bench/notes.txt', '§1 (not a text file the check reads)\n');
    const { problems, files } = checkRepository(root);
    assert.equal(files, 4);
    assert.deepEqual(
      problems.map((p) => `${p.file}:${p.line}: ${p.message}`),
      [
        'apps/agent/src/a.ts:2: §8 is not a heading of docs/protocol.md',
        'packages/p/README.md:1: "decision 4": a numbered decision, not a reference into docs/',
        'docs/decisions.md:4: §2.3 is not a heading of docs/decisions.md',
        'docs/decisions.md:4: §2.3 is not a heading of docs/decisions.md',
      ],
    );
  });
});
