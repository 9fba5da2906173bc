// A snapshot of every process (pid, parent pid, resident memory) as printed by a system command, and
// the memory of one process tree read from it. Used where there is no /proc: `ps` on macOS and the
// BSDs, PowerShell's Get-CimInstance on Windows (render/memory-sampler.ts runs the commands).

export interface ProcessRow {
  pid: number;
  parentPid: number;
  rssKiB: number;
}

/** The most rows a snapshot may hold: a machine with more processes is not measured (not trusted). */
const MAX_ROWS = 1_000_000;

/**
 * Rows of `<pid> <parent pid> <memory>` lines, whitespace-separated, memory in `unitBytes` units;
 * anything else (banners such as `Active code page: 936`, blank lines, CRLF) is skipped.
 */
export function parseProcessRows(text: string, unitBytes: number): ProcessRow[] {
  const rows: ProcessRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(\d{1,10})\s+(\d{1,10})\s+(\d{1,20})\s*$/.exec(line);
    if (!match) continue;
    const [pid, parentPid, memory] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
    if (!Number.isSafeInteger(memory)) continue;
    rows.push({ pid, parentPid, rssKiB: Math.floor((memory * unitBytes) / 1024) });
    if (rows.length >= MAX_ROWS) break;
  }
  return rows;
}

/**
 * Summed memory of `rootPid` and all its descendants, in KiB; undefined when the root is not in the
 * snapshot (it has exited). A pid is counted once even if the parent links form a cycle (Windows
 * reuses pids, so a parent id can name an unrelated newer process).
 */
export function treeRssKiB(rows: readonly ProcessRow[], rootPid: number): number | undefined {
  const byPid = new Map(rows.map((row) => [row.pid, row]));
  if (!byPid.has(rootPid)) return undefined;
  const children = new Map<number, number[]>();
  for (const row of rows) {
    if (row.pid === row.parentPid) continue;
    const list = children.get(row.parentPid);
    if (list) list.push(row.pid);
    else children.set(row.parentPid, [row.pid]);
  }
  const tree = new Set([rootPid]);
  let total = 0;
  for (const pid of tree) {
    total += byPid.get(pid)?.rssKiB ?? 0;
    for (const child of children.get(pid) ?? []) tree.add(child);
  }
  return total;
}
