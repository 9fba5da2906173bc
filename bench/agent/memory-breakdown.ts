// The benchmark's side of memory-probe.mjs: the node flags that load it into an agent process, the
// signal that makes it answer, and its answers as a markdown table (MiB).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Node flags that load the probe (`--expose-gc` lets it collect once, when asked). */
export const PROBE_NODE_FLAGS = [
  '--expose-gc',
  '--import',
  pathToFileURL(path.join(import.meta.dirname, 'memory-probe.mjs')).href,
];
/** The environment variable naming the file the probe appends its answers to. */
export const PROBE_FILE_ENV = 'FLOCK_MEMORY_PROBE';

/** MiB, as memory-probe.mjs reports them. */
export interface MemoryFigures {
  rss: number;
  rssAnon: number;
  rssFile: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  mappings: Record<'nodeCode' | 'nodeData' | 'otherFiles' | 'mallocHeap' | 'anonymousMaps' | 'other', number>;
  spaces: Record<string, number>;
}

export interface ProbeAnswer {
  pid: number;
  before: MemoryFigures;
  afterGc: MemoryFigures;
}

function answers(file: string): ProbeAnswer[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ProbeAnswer);
}

/** Asks each process for its memory (SIGUSR2) and waits up to 10 s for the answers, by pid. */
export async function probeMemory(file: string, pids: readonly number[]): Promise<Map<number, ProbeAnswer>> {
  const known = answers(file).length;
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const fresh = answers(file).slice(known);
    if (pids.every((pid) => fresh.some((answer) => answer.pid === pid)) || Date.now() > deadline)
      return new Map(fresh.map((answer) => [answer.pid, answer]));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const BREAKDOWN_HEADER = [
  '| agent | when | RSS | node machine code (file) | node read-only data (file) | other files | malloc main heap | anonymous maps | V8 heap (reserved) | heap in use | V8 code space | external (C++ held by JS) |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];

/** Two rows per agent: as it stood, then after a full GC. */
export function breakdownRows(name: string, answer: ProbeAnswer | undefined): string[] {
  if (!answer) return [`| ${name} | no answer from the probe |${' |'.repeat(10)}`];
  const row = (when: string, m: MemoryFigures) =>
    `| ${name} | ${when} | ${[
      m.rss,
      m.mappings.nodeCode,
      m.mappings.nodeData,
      m.mappings.otherFiles,
      m.mappings.mallocHeap,
      m.mappings.anonymousMaps,
      m.heapTotal,
      m.heapUsed,
      m.spaces.code_space ?? 0,
      m.external,
    ]
      .map((value) => value.toFixed(1))
      .join(' | ')} |`;
  return [row('as it stood', answer.before), row('after a full GC', answer.afterGc)];
}
