import { z } from 'zod';
import type { FarmClock } from './clock';
import type { FarmLogger } from './log';

/**
 * Fault injection for agent tests: make the farm misbehave on purpose, by CLI flag (`--fault JSON`),
 * admin endpoint (`POST /admin/faults`) or the test helper API (`farm.faults.add(...)`). A fault applies
 * to one endpoint, optionally only `times` times and/or only for `forMs` milliseconds of farm clock.
 */
export const FAULT_ENDPOINTS = [
  'config',
  'speedtest-payload',
  'speedtest-answer',
  'request-job',
  'download-binary',
  'download-job',
  'keepmealive',
  'validation',
  'error',
  'logout',
] as const;
export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];

const endpoint = z.enum(FAULT_ENDPOINTS);
const limits = { times: z.int().positive().optional(), forMs: z.int().positive().optional() };
const downloadEndpoint = z.enum(['download-binary', 'download-job']);

export const faultSpecSchema = z.discriminatedUnion('kind', [
  /** Answer with this protocol status instead of doing the work (request-job 200–208, validation 300–308, …). */
  z.object({
    kind: z.literal('status'),
    endpoint: z.enum(['config', 'request-job', 'keepmealive', 'validation', 'error']),
    status: z.int().min(0).max(999),
    /** Only requests naming this job (keepmealive 400 for one job). */
    jobId: z.string().optional(),
    ...limits,
  }),
  /** An HTTP error status (e.g. 500, 503) with a plain-text body. */
  z.object({ kind: z.literal('http-status'), endpoint, status: z.int().min(400).max(599), ...limits }),
  /** An HTML page with status 200 instead of the XML answer. */
  z.object({ kind: z.literal('not-xml'), endpoint, ...limits }),
  /** The right body under the wrong Content-Type (default `text/html`). */
  z.object({
    kind: z.literal('wrong-content-type'),
    endpoint,
    contentType: z.string().optional(),
    ...limits,
  }),
  /** Announce the full length, send only the first `keepBytes` (default half), then close. */
  z.object({ kind: z.literal('truncate'), endpoint, keepBytes: z.int().min(0).optional(), ...limits }),
  /** Serve archive bytes whose MD5 differs from the advertised one (one byte changed). */
  z.object({ kind: z.literal('wrong-md5'), endpoint: downloadEndpoint, ...limits }),
  /** Send the body at this many bytes per second. */
  z.object({ kind: z.literal('slow'), endpoint, bytesPerSecond: z.int().positive(), ...limits }),
  /** Wait this long before answering. */
  z.object({ kind: z.literal('delay'), endpoint, ms: z.int().min(0).max(3_600_000), ...limits }),
  /**
   * Replace every match of `pattern` (a regular expression) in a text answer by `replacement` (`$1`
   * etc. work as in String.replace): how tests make the farm send hostile values (a path-traversal
   * archive_md5, a foreign validation_url, an oversized answer). Archives are left alone.
   */
  z.object({
    kind: z.literal('rewrite-answer'),
    endpoint,
    pattern: z
      .string()
      .min(1)
      .max(10_000)
      .refine(compiles, { error: 'pattern must be a valid regular expression' }),
    replacement: z.string().max(16 * 1024 * 1024),
    ...limits,
  }),
  /** Take error reports of type 20 ("project blocked by the user") without blocking the project. */
  z.object({ kind: z.literal('ignore-block'), endpoint: z.literal('error'), ...limits }),
  /** Reset the connection after `afterBytes` of the body (default half). */
  z.object({
    kind: z.literal('drop-connection'),
    endpoint,
    afterBytes: z.int().min(0).optional(),
    ...limits,
  }),
]);

export type FaultSpec = z.infer<typeof faultSpecSchema>;

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

export interface ActiveFault {
  id: number;
  spec: FaultSpec;
  /** Uses left; undefined = unlimited. */
  remaining?: number;
  /** Farm-clock time the fault ends; undefined = until removed. */
  until?: number;
  /** How often it fired. */
  hits: number;
}

export interface FaultContext {
  jobId?: string | undefined;
}

/** Parses a fault from JSON text or a value (admin endpoint, --fault flag); throws a readable Error. */
export function parseFaultSpec(input: unknown): FaultSpec {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new Error(`fault is not JSON: ${input.slice(0, 200)}`);
    }
  }
  const result = faultSpecSchema.safeParse(value);
  if (!result.success)
    throw new Error(`invalid fault: ${z.prettifyError(result.error).replaceAll('\n', '; ')}`);
  return result.data;
}

export class FaultController {
  private faults: ActiveFault[] = [];
  private nextId = 1;

  constructor(
    private readonly clock: FarmClock,
    private readonly log: FarmLogger,
  ) {}

  /** Arms a fault; returns its id (for `remove`). */
  add(spec: FaultSpec): number {
    const parsed = parseFaultSpec(spec);
    const fault: ActiveFault = {
      id: this.nextId++,
      spec: parsed,
      remaining: parsed.times,
      until: parsed.forMs === undefined ? undefined : this.clock.now() + parsed.forMs,
      hits: 0,
    };
    this.faults.push(fault);
    this.log.info('fault armed', { fault: fault.id, spec: JSON.stringify(parsed) });
    return fault.id;
  }

  remove(id: number): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((fault) => fault.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  list(): ActiveFault[] {
    this.prune();
    return this.faults.map((fault) => ({ ...fault }));
  }

  /** The faults that fire for this request, each use counted. */
  take(endpoint: FaultEndpoint, context: FaultContext = {}): FaultSpec[] {
    this.prune();
    const firing = this.faults.filter(
      (fault) =>
        fault.spec.endpoint === endpoint &&
        !(
          fault.spec.kind === 'status' &&
          fault.spec.jobId !== undefined &&
          fault.spec.jobId !== context.jobId
        ),
    );
    for (const fault of firing) {
      fault.hits += 1;
      if (fault.remaining !== undefined) fault.remaining -= 1;
      this.log.info('fault fired', { fault: fault.id, kind: fault.spec.kind, endpoint });
    }
    this.prune();
    return firing.map((fault) => fault.spec);
  }

  private prune(): void {
    const now = this.clock.now();
    this.faults = this.faults.filter(
      (fault) =>
        (fault.remaining === undefined || fault.remaining > 0) &&
        (fault.until === undefined || now < fault.until),
    );
  }
}
