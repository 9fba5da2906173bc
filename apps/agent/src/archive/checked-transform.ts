import { Transform, type TransformCallback } from 'node:stream';

/** A Transform written as two plain methods that throw to fail the stream. */
export abstract class CheckedTransform extends Transform {
  /** Returns what to push for this chunk (nothing while buffering a header). */
  protected abstract step(chunk: Buffer): Buffer | undefined;
  /** Runs at the end of the input: the last chance to refuse the data. */
  protected abstract finish(): void;

  /** The whole input in one piece, without the stream machinery (small entries). */
  transformAll(input: Buffer): Buffer {
    const output = this.step(input);
    this.finish();
    return output ?? Buffer.alloc(0);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let output: Buffer | undefined;
    try {
      output = this.step(chunk);
    } catch (error) {
      done(error as Error);
      return;
    }
    done(null, output);
  }

  override _flush(done: TransformCallback): void {
    try {
      this.finish();
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  }
}
