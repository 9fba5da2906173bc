import type { ContentTypeArgument } from '../xml';
import { parseStatusAnswer, renderStatusAnswer, type StatusAnswer } from './status-answers';

/** `<jobvalidate status="…"/>`, the answer to a frame validation. */
export type JobValidateAnswer = StatusAnswer;

/** `contentType`: the answer's Content-Type header; see ContentTypeArgument. */
export function parseJobValidateAnswer(body: string, ...contentType: ContentTypeArgument): JobValidateAnswer {
  return parseStatusAnswer('jobvalidate', body, ...contentType);
}

export function renderJobValidateAnswer(answer: JobValidateAnswer): string {
  return renderStatusAnswer('jobvalidate', answer);
}
