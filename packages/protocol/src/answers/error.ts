import type { ContentTypeArgument } from '../xml';
import { parseStatusAnswer, renderStatusAnswer, type StatusAnswer } from './status-answers';

/** `<error status="…"/>`, the answer to a error report. */
export type ErrorAnswer = StatusAnswer;

/** `contentType`: the answer's Content-Type header; see ContentTypeArgument. */
export function parseErrorAnswer(body: string, ...contentType: ContentTypeArgument): ErrorAnswer {
  return parseStatusAnswer('error', body, ...contentType);
}

export function renderErrorAnswer(answer: ErrorAnswer): string {
  return renderStatusAnswer('error', answer);
}
