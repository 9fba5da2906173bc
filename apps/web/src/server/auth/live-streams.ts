import type { ServerResponse } from 'node:http';

interface OpenStream {
  tokenHash: string;
  res: ServerResponse;
}

/**
 * The live feeds (SSE responses) each user has open. A feed authenticates once, when it opens, so
 * revoking a session must also end the feeds it opened, or a removed user would keep watching.
 */
export class LiveStreams {
  private readonly byUser = new Map<number, Set<OpenStream>>();

  track(userId: number, tokenHash: string, res: ServerResponse): void {
    const open = this.byUser.get(userId) ?? new Set<OpenStream>();
    const stream = { tokenHash, res };
    open.add(stream);
    this.byUser.set(userId, open);
    res.once('close', () => {
      open.delete(stream);
      if (open.size === 0 && this.byUser.get(userId) === open) this.byUser.delete(userId);
    });
  }

  /** Ends a user's feeds, except those opened with the session `keepTokenHash`. */
  end(userId: number, keepTokenHash?: string): void {
    for (const stream of this.byUser.get(userId) ?? []) {
      if (stream.tokenHash !== keepTokenHash) stream.res.destroy();
    }
  }

  count(userId: number): number {
    return this.byUser.get(userId)?.size ?? 0;
  }
}
