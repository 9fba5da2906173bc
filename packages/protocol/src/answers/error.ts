import { parseStatusAnswer, renderStatusAnswer, type StatusAnswer } from './status-answers';

/** `<error status="…"/>`, the answer to a error report. */
export type ErrorAnswer = StatusAnswer;

/** `contentType`: the answer's Content-Type (null when missing, rejected); leave it out to skip the check. */
export function parseErrorAnswer(body: string, contentType?: string | null): ErrorAnswer {
  return parseStatusAnswer('error', body, contentType);
}

export function renderErrorAnswer(answer: ErrorAnswer): string {
  return renderStatusAnswer('error', answer);
}
