// Preloaded into a benchmarked agent (`node --expose-gc --import bench/agent/memory-probe.mjs …`):
// on SIGUSR2 it appends to the file named by FLOCK_MEMORY_PROBE one JSON line with where the
// process's memory is as it stands (RSS split into anonymous and file-backed pages from
// /proc/self/status, and by mapping from /proc/self/smaps: node's machine code, node's read-only
// data, malloc's main heap, anonymous maps; process.memoryUsage(), V8's heap spaces), then the same
// after a full GC. The agent itself runs unchanged: the probe does nothing until the signal (plain
// JS: no loader needed).
import { appendFileSync, readFileSync, realpathSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const out = process.env.FLOCK_MEMORY_PROBE;
const MiB = 1024 ** 2;

function statusMiB(field) {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
}

const nodeBinary = realpathSync(process.execPath);

/** Resident MiB per kind of mapping in /proc/self/smaps. */
function mappings() {
  const kinds = { nodeCode: 0, nodeData: 0, otherFiles: 0, mallocHeap: 0, anonymousMaps: 0, other: 0 };
  let kind = 'other';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) {
      const [, perms = '', name = ''] = mapping;
      if (name === nodeBinary) kind = perms.includes('x') ? 'nodeCode' : 'nodeData';
      else if (name.startsWith('/')) kind = 'otherFiles';
      else if (name === '[heap]') kind = 'mallocHeap';
      else if (name === '') kind = 'anonymousMaps';
      else kind = 'other';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) kinds[kind] += Number(rss[1]) / 1024;
  }
  return kinds;
}

function memory() {
  const usage = process.memoryUsage();
  const spaces = {};
  for (const space of getHeapSpaceStatistics())
    spaces[space.space_name] = Number((space.physical_space_size / MiB).toFixed(2));
  return {
    rss: statusMiB('VmRSS'),
    rssAnon: statusMiB('RssAnon'),
    rssFile: statusMiB('RssFile'),
    heapTotal: usage.heapTotal / MiB,
    heapUsed: usage.heapUsed / MiB,
    external: usage.external / MiB,
    arrayBuffers: usage.arrayBuffers / MiB,
    mappings: mappings(),
    spaces,
  };
}

if (out) {
  process.on('SIGUSR2', () => {
    const before = memory();
    globalThis.gc?.();
    appendFileSync(out, `${JSON.stringify({ pid: process.pid, before, afterGc: memory() })}\n`);
  });
}
