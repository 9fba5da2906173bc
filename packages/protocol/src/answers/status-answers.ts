import { z } from 'zod';
import {
  type ContentTypeArgument,
  intAttribute,
  parseXmlDocument,
  readAttributes,
  renderDocument,
} from '../xml';

/** The answers that carry nothing but a status: `<keepmealive>`, `<jobvalidate>`, `<error>`. */
export interface StatusAnswer {
  status: number;
}

const statusAttributes = z.object({ status: intAttribute });

export function parseStatusAnswer(
  root: string,
  body: string,
  ...contentType: ContentTypeArgument
): StatusAnswer {
  const { status } = readAttributes(parseXmlDocument(body, root, ...contentType), statusAttributes);
  return { status };
}

export function renderStatusAnswer(root: string, answer: StatusAnswer): string {
  return renderDocument(root, { status: answer.status });
}
