// Which archives leave the cache to bring it within its size budget (`--cache-max-size`): the least
// recently used first, never one in use. An archive in use that alone exceeds the budget stays.

export interface BudgetedArchive {
  md5: string;
  size: number;
  /** Last use (ms on the agent's clock); ties go by MD5 so the choice is the same on every run. */
  usedAt: number;
}

/** The MD5s to remove, oldest use first, until the rest fits in `maxBytes` or only archives in use are left. */
export function archivesToEvict(
  archives: readonly BudgetedArchive[],
  maxBytes: number,
  inUse: (md5: string) => boolean,
): string[] {
  let total = archives.reduce((sum, archive) => sum + archive.size, 0);
  const evicted: string[] = [];
  const leastRecentFirst = [...archives].sort(
    (a, b) => a.usedAt - b.usedAt || (a.md5 < b.md5 ? -1 : a.md5 > b.md5 ? 1 : 0),
  );
  for (const archive of leastRecentFirst) {
    if (total <= maxBytes) break;
    if (inUse(archive.md5)) continue;
    evicted.push(archive.md5);
    total -= archive.size;
  }
  return evicted;
}
