// What went wrong when the farm did not answer properly, as a sentence for people ("The farm did not
// answer in time.") with the raw text of the HTTP client kept apart as the detail.
import { isProtocolError } from '@flock/protocol';
import { FarmHttpError } from './http.js';
import type { FarmTroubleKind } from './request-pacing.js';

export interface FarmTrouble {
  kind: FarmTroubleKind;
  sentence: string;
  /** The raw error text, e.g. "Headers Timeout Error". */
  detail: string;
}

const NETWORK_SENTENCES: Record<string, string> = {
  ECONNREFUSED: 'The farm refused the connection (is it running?).',
  ECONNRESET: 'The connection to the farm was cut.',
  ENOTFOUND: "The farm's address cannot be resolved (DNS).",
  EAI_AGAIN: "The farm's address cannot be resolved right now (DNS).",
  EHOSTUNREACH: 'The farm cannot be reached from this machine (no route).',
  ENETUNREACH: 'This machine has no network to reach the farm.',
  UND_ERR_SOCKET: 'The connection to the farm was cut.',
};

export function describeFarmTrouble(error: unknown): FarmTrouble {
  const detail = (error instanceof Error ? error.message : String(error)).slice(0, 500);
  if (isProtocolError(error))
    return { kind: 'bad-answer', sentence: 'The farm sent an answer that is not a SheepIt answer.', detail };
  if (!(error instanceof FarmHttpError))
    return { kind: 'unreachable', sentence: 'The farm cannot be reached.', detail };
  switch (error.kind) {
    case 'timeout':
      return { kind: 'unreachable', sentence: 'The farm did not answer in time.', detail };
    case 'http-status':
      return { kind: 'unreachable', sentence: httpSentence(error.status), detail };
    case 'too-large':
      return {
        kind: 'bad-answer',
        sentence: 'The farm sent an answer far too large to be a SheepIt answer.',
        detail,
      };
    default: {
      const code = errorCode(error.cause);
      return {
        kind: 'unreachable',
        sentence: NETWORK_SENTENCES[code] ?? 'The farm cannot be reached.',
        detail,
      };
    }
  }
}

function httpSentence(status: number | undefined): string {
  if (status === 503) return 'The farm is unavailable (HTTP 503).';
  if (status !== undefined && status >= 500) return `The farm has an internal error (HTTP ${status}).`;
  return `The farm refused the request (HTTP ${status ?? '?'}).`;
}

function errorCode(cause: unknown): string {
  const direct = (cause as { code?: unknown } | undefined)?.code;
  if (typeof direct === 'string') return direct;
  const nested = (cause as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof nested === 'string' ? nested : '';
}
