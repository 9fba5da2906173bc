#!/usr/bin/env node
// The reference check run by `npm test`: every citation in the code must resolve to a heading in
// docs/. A citation is written `docs/<file>.md §2.3` (sections; several as `§2.6, §7`) or
// `docs/decisions.md D5` (decisions; several as `D4, D6`). It fails, naming file:line, when such a
// reference names a file or heading docs/ does not have, and when a `§` section, a "decision N" or
// the name of a document outside the repository appears in any other form. Public standards keep
// their own numbering (`RFC 6265 §5.1.4`, `APPNOTE.TXT §6.1`). Inside docs/, a bare `§2.3` refers to
// the same file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCANNED = ['apps', 'packages', 'scripts', 'bench', 'docs'];
const TEXT_FILE = /\.(?:ts|tsx|mts|cts|js|mjs|cjs|md|json)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.next', '.turbo', 'coverage', 'test-results']);
/** This check and its test quote bad citations on purpose. */
const SELF = new Set(['scripts/check-doc-refs.mjs', 'scripts/check-doc-refs.test.mjs']);

/** `## 2.3 Title`, `## 2. Title`, `## D5 — Title`: the heading's id is its first word. */
const HEADING = /^#{1,6}[ \t]+(D\d+|\d+(?:\.\d+)*)\.?(?=\s|$)/;
const SECTION = String.raw`§ ?\d+(?:\.\d+)*`;
/** One reference in the docs/ form, with any further sections or decisions listed after it. */
const DOC_REFERENCE = new RegExp(
  String.raw`docs/([\w.-]+\.md)((?:(?:\s*,\s*|\s+and\s+|\s+)(?:${SECTION}|D\d+\b))*)`,
  'g',
);
const TARGET = /§ ?(\d+(?:\.\d+)*)|(D\d+)/g;
const BARE_SECTION = /§ ?(\d+(?:\.\d+)*)?/g;
const PUBLIC_STANDARD = /\b(?:RFC ?\d+|APPNOTE\.TXT)\s*$/;
/** Citations in any other form. */
const LOOSE_CITATIONS = [
  { pattern: /\bdecisions? \d+/gi, what: 'a numbered decision' },
  { pattern: /\bstack-notes\b/gi, what: 'the outside document stack-notes' },
  { pattern: /\bfarm-protocol\b/gi, what: 'the outside document farm-protocol' },
];

/** The ids of a markdown file's headings (`2.3`, `2`, `D5`). */
export function headingIds(markdown) {
  const ids = new Set();
  for (const line of markdown.split('\n')) {
    const id = HEADING.exec(line)?.[1];
    if (id) ids.add(id);
  }
  return ids;
}

/** `Map<file name, heading ids>` for every markdown file in `docsDir`. */
export function loadDocs(docsDir) {
  const docs = new Map();
  if (!existsSync(docsDir)) return docs;
  for (const name of readdirSync(docsDir)) {
    if (name.endsWith('.md')) docs.set(name, headingIds(readFileSync(join(docsDir, name), 'utf8')));
  }
  return docs;
}

/**
 * The problems in one file's text: `{ line, message }`, lines counted from 1. `selfDoc` names the
 * docs/ file being checked, whose bare `§` sections refer to itself.
 */
export function checkText(text, docs, selfDoc) {
  const problems = [];
  text.split('\n').forEach((line, index) => {
    const report = (message) => problems.push({ line: index + 1, message });
    const covered = [];
    for (const match of line.matchAll(DOC_REFERENCE)) {
      covered.push([match.index, match.index + match[0].length]);
      checkReference(match[1], match[2], docs, report);
    }
    const isCovered = (at) => covered.some(([start, end]) => at >= start && at < end);
    for (const match of line.matchAll(BARE_SECTION)) {
      if (isCovered(match.index) || PUBLIC_STANDARD.test(line.slice(0, match.index))) continue;
      if (selfDoc && match[1]) checkReference(selfDoc, match[0], docs, report);
      else report(`"${match[0]}" is not a reference in the docs/ form (docs/<file>.md §N)`);
    }
    for (const { pattern, what } of LOOSE_CITATIONS) {
      for (const match of line.matchAll(pattern)) {
        if (!isCovered(match.index)) report(`"${match[0]}": ${what}, not a reference into docs/`);
      }
    }
  });
  return problems;
}

function checkReference(file, targets, docs, report) {
  const headings = docs.get(file);
  if (!headings) {
    report(`docs/${file} does not exist`);
    return;
  }
  for (const [, section, decision] of targets.matchAll(TARGET)) {
    const id = section ?? decision;
    if (!headings.has(id)) report(`${section ? `§${id}` : id} is not a heading of docs/${file}`);
  }
}

function* textFiles(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) yield* textFiles(path);
    else if (entry.isFile() && TEXT_FILE.test(entry.name)) yield path;
  }
}

/** Checks every text file under `root`'s scanned directories: `{ problems, files }`. */
export function checkRepository(root, scanned = SCANNED) {
  const docs = loadDocs(join(root, 'docs'));
  const problems = [];
  let files = 0;
  for (const dir of scanned) {
    for (const path of textFiles(join(root, dir))) {
      const file = relative(root, path).split(sep).join('/');
      if (SELF.has(file)) continue;
      files++;
      const selfDoc = file.startsWith('docs/') && !file.slice(5).includes('/') ? file.slice(5) : undefined;
      for (const problem of checkText(readFileSync(path, 'utf8'), docs, selfDoc)) {
        problems.push({ file, ...problem });
      }
    }
  }
  return { problems, files };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const { problems, files } = checkRepository(root);
  for (const { file, line, message } of problems) console.error(`${file}:${line}: ${message}`);
  if (problems.length > 0) {
    console.error(`doc references: ${problems.length} problem(s); cite docs/ as "docs/protocol.md §2.3"`);
    process.exit(1);
  }
  console.log(`doc references: ${files} files checked, every citation resolves to a heading in docs/`);
}
