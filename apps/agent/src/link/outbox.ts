import type { AgentEvent } from '@flock/protocol';

export interface OutboxEntry {
  seq: number;
  at: number;
  event: AgentEvent;
}

/**
 * Events not yet acknowledged by the console, oldest first. Bounded: when full the oldest are dropped
 * (and counted), since the agent must keep rendering however long the console is away.
 */
export class Outbox {
  private entries: OutboxEntry[] = [];
  private nextSeq = 0;
  dropped = 0;

  constructor(private readonly capacity: number) {}

  add(event: AgentEvent, at: number): OutboxEntry {
    const entry = { seq: this.nextSeq++, at, event };
    this.entries.push(entry);
    if (this.entries.length > this.capacity) {
      this.entries.shift();
      this.dropped++;
    }
    return entry;
  }

  /** Forgets everything up to and including `seq`. */
  acknowledge(seq: number): void {
    this.entries = this.entries.filter((entry) => entry.seq > seq);
  }

  pending(): readonly OutboxEntry[] {
    return this.entries;
  }
}
