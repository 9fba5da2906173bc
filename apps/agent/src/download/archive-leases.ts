// Which archives jobs are using right now: a count per MD5, so an archive (and its extraction dir)
// is never removed under a job, and a removal asked for meanwhile runs once the last job lets go.

/** A job's hold on its archives; `release` is idempotent. */
export interface ArchiveLease {
  readonly md5s: readonly string[];
  release(): void;
}

export class ArchiveLeases {
  private readonly holders = new Map<string, number>();
  private readonly onFree = new Map<string, (() => void)[]>();

  /** Holds each MD5 once per time it is given (lower-case MD5s). */
  acquire(md5s: readonly string[]): ArchiveLease {
    for (const md5 of md5s) this.holders.set(md5, (this.holders.get(md5) ?? 0) + 1);
    let released = false;
    return {
      md5s,
      release: () => {
        if (released) return;
        released = true;
        for (const md5 of md5s) this.releaseOne(md5);
      },
    };
  }

  isLeased(md5: string): boolean {
    return this.holders.has(md5);
  }

  /** Runs `action` once no lease holds `md5` (at once when none does). */
  whenFree(md5: string, action: () => void): void {
    if (this.isLeased(md5)) this.onFree.set(md5, [...(this.onFree.get(md5) ?? []), action]);
    else action();
  }

  private releaseOne(md5: string): void {
    const count = (this.holders.get(md5) ?? 0) - 1;
    if (count > 0) {
      this.holders.set(md5, count);
      return;
    }
    this.holders.delete(md5);
    const actions = this.onFree.get(md5) ?? [];
    this.onFree.delete(md5);
    for (const action of actions) action();
  }
}
