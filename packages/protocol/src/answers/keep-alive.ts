import { parseStatusAnswer, renderStatusAnswer, type StatusAnswer } from './status-answers';

/** `<keepmealive status="…"/>`, the answer to a heartbeat. */
export type KeepAliveAnswer = StatusAnswer;

/** `contentType`: the answer's Content-Type (null when missing, rejected); leave it out to skip the check. */
export function parseKeepAliveAnswer(body: string, contentType?: string | null): KeepAliveAnswer {
  return parseStatusAnswer('keepmealive', body, contentType);
}

export function renderKeepAliveAnswer(answer: KeepAliveAnswer): string {
  return renderStatusAnswer('keepmealive', answer);
}
