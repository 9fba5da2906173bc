import { readdirSync, readFileSync } from 'node:fs';

/**
 * Resident memory of a process and all its descendants, in KiB, from Linux /proc (the official client
 * samples the Blender process's RSS every 200 ms; `nice` execs Blender, but Blender may start helpers
 * of its own: docs/decisions.md D18).
 * Returns undefined when /proc is unavailable (other systems) or the process is gone.
 *
 * Descendants are found from every process's parent id in `/proc/<pid>/stat`: the cheaper
 * `/proc/<pid>/task/<tid>/children` needs CONFIG_PROC_CHILDREN, which some kernels (this CI's) lack.
 */
export function processTreeRssKiB(rootPid: number): number | undefined {
  return sumRssKiB(descendantsOf(rootPid));
}

/**
 * Samples a process tree's RSS cheaply: the tree itself (a scan of all of /proc, ~2–10 ms) is re-read
 * only every `rescanEvery` samples; in between only the known members' RSS is read (~10 µs each).
 */
export class ProcessTreeSampler {
  private pids: number[];
  private samples = 0;

  constructor(
    private readonly rootPid: number,
    private readonly rescanEvery = 10,
  ) {
    // Just spawned, the tree is the process itself: the first scan waits for the rescan period
    // (at spawn it cost every short frame ~10 ms of blocked event loop on a busy machine).
    this.pids = [rootPid];
  }

  rssKiB(): number | undefined {
    this.samples += 1;
    if (this.samples % this.rescanEvery === 0) this.pids = descendantsOf(this.rootPid);
    return sumRssKiB(this.pids);
  }
}

function sumRssKiB(pids: number[]): number | undefined {
  let total: number | undefined;
  for (const pid of pids) {
    const rss = rssKiB(pid);
    if (rss !== undefined) total = (total ?? 0) + rss;
  }
  return total;
}

export function descendantsOf(rootPid: number): number[] {
  const children = childrenByParent();
  const tree = [rootPid];
  for (let index = 0; index < tree.length; index += 1) {
    for (const child of children.get(tree[index] as number) ?? []) {
      if (!tree.includes(child)) tree.push(child);
    }
  }
  return tree;
}

function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return children;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = parentOf(entry);
    if (parent === undefined) continue;
    const list = children.get(parent);
    if (list) list.push(Number(entry));
    else children.set(parent, [Number(entry)]);
  }
  return children;
}

/** `pid (comm) state ppid …`: comm may hold spaces and parentheses, so read after the last `)`. */
function parentOf(pid: string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const parent = Number(fields[1]);
    return Number.isInteger(parent) ? parent : undefined;
  } catch {
    return undefined;
  }
}

function rssKiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
