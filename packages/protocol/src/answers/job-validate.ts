import { parseStatusAnswer, renderStatusAnswer, type StatusAnswer } from './status-answers';

/** `<jobvalidate status="…"/>`, the answer to a frame validation. */
export type JobValidateAnswer = StatusAnswer;

/** `contentType`: the answer's Content-Type (null when missing, rejected); leave it out to skip the check. */
export function parseJobValidateAnswer(body: string, contentType?: string | null): JobValidateAnswer {
  return parseStatusAnswer('jobvalidate', body, contentType);
}

export function renderJobValidateAnswer(answer: JobValidateAnswer): string {
  return renderStatusAnswer('jobvalidate', answer);
}
