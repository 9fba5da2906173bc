// yauzl's own file reader streams entry data in 16 KiB reads (node 20's default highWaterMark),
// which made extraction three times slower than unzip; this reader hands it 1 MiB reads instead,
// through yauzl's RandomAccessReader API. Each large entry range is its own read stream on the path
// (node's ReadStream closes a shared fd when destroyed); the many small central-directory reads,
// and small entries (one read each), share one fd, opened on demand and closed whenever yauzl
// drops its last reference. A small archive skips all of that: it is read whole and parsed from memory.
import { close, createReadStream, open, read, readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import yauzl, { type Options, type ZipFile } from 'yauzl';

const READ_CHUNK = 1024 * 1024;
/** Entry data up to this size is read in one piece through the shared fd. */
const SMALL_RANGE = 256 * 1024;

class LargeReadFileReader extends yauzl.RandomAccessReader {
  constructor(private readonly filePath: string) {
    super();
  }

  private fd: number | undefined;

  override _readStreamForRange(start: number, end: number) {
    const fd = this.fd;
    if (fd === undefined || end - start > SMALL_RANGE)
      return createReadStream(this.filePath, { start, end: end - 1, highWaterMark: READ_CHUNK });
    // A small entry (most files of a project) is one read on the shared fd: no open and close of
    // its own. yauzl holds a reference to this reader while the stream runs, so the fd stays open.
    let requested = false;
    const reader = this;
    return new Readable({
      read() {
        if (requested) return;
        requested = true;
        const buffer = Buffer.allocUnsafe(end - start);
        reader.read(buffer, 0, buffer.length, start, (err) => {
          if (err) {
            this.destroy(err);
            return;
          }
          if (buffer.length > 0) this.push(buffer);
          this.push(null);
        });
      },
    });
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null) => void,
  ) {
    const readAll = (fd: number, done: number): void => {
      if (done === length) {
        callback(null);
        return;
      }
      read(fd, buffer, offset + done, length - done, position + done, (err, bytesRead) => {
        if (err) callback(err);
        else if (bytesRead === 0) callback(new Error('unexpected end of file'));
        else readAll(fd, done + bytesRead);
      });
    };
    if (this.fd !== undefined) {
      readAll(this.fd, 0);
      return;
    }
    open(this.filePath, 'r', (err, fd) => {
      if (err) {
        callback(err);
        return;
      }
      if (this.fd === undefined) this.fd = fd;
      else close(fd, () => {}); // a concurrent read opened one first
      readAll(this.fd, 0);
    });
  }

  override close(callback: (err: Error | null) => void): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) setImmediate(() => callback(null));
    else close(fd, callback);
  }
}

/** Archives up to this size are read whole, in one synchronous call, and parsed from memory. */
const SMALL_ARCHIVE_BYTES = 1024 * 1024;

export async function openZipFile(zipPath: string, options: Options): Promise<ZipFile> {
  const { size } = statSync(zipPath);
  if (size <= SMALL_ARCHIVE_BYTES) return yauzl.fromBufferPromise(readFileSync(zipPath), options);
  return yauzl.fromRandomAccessReaderPromise(new LargeReadFileReader(zipPath), size, options);
}
