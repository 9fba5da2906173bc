/**
 * The lines of one render for the error report. Bounded: a long render can print hundreds of thousands
 * of progress lines; the start (version, loading, first errors) and the end (what killed it) matter.
 */
export class RenderLog {
  private readonly head: string[] = [];
  private tail: string[] = [];
  private dropped = 0;

  constructor(private readonly maxLines: number) {}

  add(line: string): void {
    const headSize = Math.floor(this.maxLines / 4);
    if (this.head.length < headSize) {
      this.head.push(line);
      return;
    }
    this.tail.push(line);
    if (this.tail.length > (this.maxLines - headSize) * 2) {
      const keep = this.maxLines - headSize;
      this.dropped += this.tail.length - keep;
      this.tail = this.tail.slice(-keep);
    }
  }

  lines(): string[] {
    const keep = this.maxLines - this.head.length;
    const dropped = this.dropped + Math.max(0, this.tail.length - keep);
    const tail = this.tail.slice(-keep);
    return dropped > 0
      ? [...this.head, `flock: … ${dropped} lines left out …`, ...tail]
      : [...this.head, ...tail];
  }
}
