import type { ContentTypeArgument } from '../xml';
import { parseStatusAnswer, renderStatusAnswer, type StatusAnswer } from './status-answers';

/** `<keepmealive status="…"/>`, the answer to a heartbeat. */
export type KeepAliveAnswer = StatusAnswer;

/** `contentType`: the answer's Content-Type header; see ContentTypeArgument. */
export function parseKeepAliveAnswer(body: string, ...contentType: ContentTypeArgument): KeepAliveAnswer {
  return parseStatusAnswer('keepmealive', body, ...contentType);
}

export function renderKeepAliveAnswer(answer: KeepAliveAnswer): string {
  return renderStatusAnswer('keepmealive', answer);
}
