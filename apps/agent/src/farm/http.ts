// Sends the protocol's HttpRequestSpec with undici: one dispatcher (connection pool, optional proxy)
// and one cookie jar for the whole session, a size cap on answers, and typed errors. Whether an
// answer's content type is acceptable is decided by the protocol parsers (docs/decisions.md D3), not here.
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { HttpRequestSpec } from '@flock/protocol';
import { MAX_XML_BODY_CHARS } from '@flock/protocol';
import { type Dispatcher, FormData, request } from 'undici';
import type { Clock } from '../clock.js';
import { createDispatcher, RateFloor, type RateFloorOptions } from '../download/index.js';
import { CookieJar } from './cookies.js';

export type FarmHttpErrorKind = 'network' | 'timeout' | 'http-status' | 'too-large' | 'aborted' | 'file';

export class FarmHttpError extends Error {
  override readonly name = 'FarmHttpError';

  constructor(
    readonly kind: FarmHttpErrorKind,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface FarmAnswer {
  status: number;
  contentType: string | null;
  body: string;
}

export interface SendOptions {
  /** For multipart specs: the file streamed into the `file` part. */
  file?: string;
  signal?: AbortSignal;
  /** A Cookie header to send instead of the jar's (a frame rendered under an earlier session). */
  cookie?: string;
}

export interface FarmHttpOptions {
  clock: Clock;
  userAgent: string;
  proxy?: string;
  /** Tests pass their own; default: a fresh Agent (or ProxyAgent) with the timeouts below. */
  dispatcher?: Dispatcher;
  /** Every call below this rate for a whole window is cut (a timeout). Default 1 KiB/s over 60 s. */
  rateFloor?: RateFloorOptions;
}

/** The official client's timeouts (docs/protocol.md §1.1): read 60 s (10 min via a proxy), connect 30 s. */
const READ_TIMEOUT_MS = 60_000;
const PROXY_READ_TIMEOUT_MS = 600_000;

export class FarmHttp {
  readonly dispatcher: Dispatcher;
  readonly cookies: CookieJar;
  private lastTraffic: number;
  private sentBytes = 0;
  private sendSeconds = 0;

  constructor(private readonly options: FarmHttpOptions) {
    this.dispatcher =
      options.dispatcher ??
      createDispatcher({
        ...(options.proxy ? { proxy: options.proxy } : {}),
        idleTimeoutMs: options.proxy ? PROXY_READ_TIMEOUT_MS : READ_TIMEOUT_MS,
      });
    this.cookies = new CookieJar(options.clock);
    this.lastTraffic = options.clock.now();
  }

  /** When the farm last answered anything (the heartbeat counts silence from here). */
  get lastTrafficAt(): number {
    return this.lastTraffic;
  }

  /** Bytes of multipart files sent so far (uploads and error logs). */
  get uploadedBytes(): number {
    return this.sentBytes;
  }

  /** Average speed of the files sent (bytes/s), the job request's `network_up`. */
  get uploadSpeed(): number {
    return this.sendSeconds > 0 ? Math.round(this.sentBytes / this.sendSeconds) : 0;
  }

  /** Downloads go through their own module; they count as traffic too. */
  noteTraffic(): void {
    this.lastTraffic = this.options.clock.now();
  }

  /**
   * What every farm call carries, archive downloads included (as the official client does with its
   * one HTTP client): the User-Agent and the session's cookies for `url`. Not the speed-test
   * payloads, which the official client fetches without either.
   */
  headersFor(url: string, cookie = this.cookies.header(url)): Record<string, string> {
    return { 'user-agent': this.options.userAgent, ...(cookie ? { cookie } : {}) };
  }

  /** Any HTTP status is returned; only transport failures throw. */
  async send(spec: HttpRequestSpec, options: SendOptions = {}): Promise<FarmAnswer> {
    const { body, contentType, fileBytes } = await this.encodeBody(spec, options.file);
    const headers = this.headersFor(spec.url, options.cookie ?? this.cookies.header(spec.url));
    if (contentType) headers['content-type'] = contentType;
    const started = performance.now(); // a measurement of the network, not a schedule
    // A farm that answers a few bytes at a time would hold this call for ever: below the floor for
    // a whole window, it is cut. An uploaded file gets the time it needs at the floor rate first.
    const cut = new AbortController();
    const floor = new RateFloor(this.options.clock, this.options.rateFloor, (why) => cut.abort(why));
    floor.start(fileBytes);
    try {
      const answer = await request(spec.url, {
        method: spec.method,
        headers,
        body,
        dispatcher: this.dispatcher,
        signal: options.signal ? AbortSignal.any([options.signal, cut.signal]) : cut.signal,
      });
      this.cookies.store(spec.url, answer.headers['set-cookie']);
      const text = await readCapped(answer.body, floor);
      this.noteTraffic();
      if (fileBytes > 0) {
        this.sentBytes += fileBytes;
        this.sendSeconds += Math.max(0.001, (performance.now() - started) / 1000);
      }
      const type = answer.headers['content-type'];
      return { status: answer.statusCode, contentType: typeof type === 'string' ? type : null, body: text };
    } catch (error) {
      if (floor.tripped && !options.signal?.aborted) {
        throw new FarmHttpError('timeout', `${pathOf(spec.url)}: ${floor.tripped.message}`, undefined, {
          cause: error,
        });
      }
      throw toHttpError(error, spec.url);
    } finally {
      floor.stop();
    }
  }

  /** An XML answer: HTTP 200 required, then `parse` (which checks the content type) decides. */
  async sendXml<T>(
    spec: HttpRequestSpec,
    parse: (body: string, contentType: string | null) => T,
    options: SendOptions = {},
  ): Promise<T> {
    const answer = await this.send(spec, options);
    if (answer.status !== 200) {
      throw new FarmHttpError('http-status', `HTTP ${answer.status} from ${pathOf(spec.url)}`, answer.status);
    }
    return parse(answer.body, answer.contentType);
  }

  async close(): Promise<void> {
    if (!this.options.dispatcher) await this.dispatcher.close();
  }

  private async encodeBody(
    spec: HttpRequestSpec,
    file: string | undefined,
  ): Promise<{ body?: string | FormData; contentType?: string; fileBytes: number }> {
    if (spec.form) {
      return {
        body: new URLSearchParams(spec.form).toString(),
        contentType: 'application/x-www-form-urlencoded',
        fileBytes: 0,
      };
    }
    if (spec.body) return { body: spec.body.text, contentType: spec.body.contentType, fileBytes: 0 };
    if (spec.multipart) {
      if (!file) throw new FarmHttpError('file', 'a multipart request needs a file');
      const form = new FormData();
      for (const [key, value] of Object.entries(spec.multipart.fields)) form.append(key, value);
      try {
        const blob = await openAsBlob(file, { type: spec.multipart.file.contentType });
        form.append(spec.multipart.file.field, blob, spec.multipart.file.filename);
        return { body: form, fileBytes: (await stat(file)).size };
      } catch (error) {
        throw new FarmHttpError('file', `cannot read ${file}: ${(error as Error).message}`, undefined, {
          cause: error,
        });
      }
    }
    return { fileBytes: 0 };
  }
}

async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown },
  floor: RateFloor,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    floor.add(chunk.length);
    size += chunk.length;
    if (size > MAX_XML_BODY_CHARS) {
      body.destroy();
      throw new FarmHttpError('too-large', `answer larger than ${MAX_XML_BODY_CHARS} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function toHttpError(error: unknown, url: string): FarmHttpError {
  if (error instanceof FarmHttpError) return error;
  const code = (error as { code?: string } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if ((error as Error | undefined)?.name === 'AbortError' || code === 'UND_ERR_ABORTED') {
    return new FarmHttpError('aborted', `request to ${pathOf(url)} aborted`, undefined, { cause: error });
  }
  if (code && TIMEOUT_CODES.has(code)) {
    return new FarmHttpError('timeout', `${pathOf(url)}: ${message}`, undefined, { cause: error });
  }
  return new FarmHttpError('network', `${pathOf(url)}: ${message}`, undefined, { cause: error });
}

/** The URL without its query (which may hold a job's validation token) for messages. */
export function pathOf(url: string): string {
  try {
    const { origin, pathname } = new URL(url);
    return `${origin}${pathname}`;
  } catch {
    return '(bad URL)';
  }
}
