import { z } from 'zod';
import { endpointPathProblem, urlAttribute } from '../farm-values';
import {
  type ContentTypeArgument,
  childElement,
  childElements,
  intAttribute,
  parseXmlDocument,
  readAttributes,
  renderDocument,
  renderElement,
} from '../xml';

/** One `<request type path max-period/>` of the config answer; `path` is used verbatim after the base URL. */
export interface ConfigRequestEndpoint {
  type: string;
  path: string;
  maxPeriod?: number;
}

/** The `<config>` answer to a login. On an error status only `status` is meaningful. */
export interface ConfigAnswer {
  status: number;
  /** The render key that replaces the password for later logins; may be the empty string. */
  publicKey?: string;
  requests: ConfigRequestEndpoint[];
  speedtestTargets: string[];
}

const configAttributes = z.object({ status: intAttribute, publickey: z.string().optional() });
// Endpoint paths are appended to the server URL and speed-test targets are downloaded from: both
// are checked here, where they are parsed (farm-values.ts).
const requestAttributes = z.object({
  type: z.string(),
  path: z.string().superRefine((value, context) => {
    const problem = endpointPathProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  }),
  'max-period': intAttribute.optional(),
});
const targetAttributes = z.object({ url: urlAttribute });

/**
 * Parses a `<config>` answer; `contentType`: the answer's Content-Type header (see ContentTypeArgument).
 * Unknown request types (newer farms' `download-binary`, `download-chunk`, …) are kept; unknown
 * elements and attributes are ignored.
 */
export function parseConfigAnswer(body: string, ...contentType: ContentTypeArgument): ConfigAnswer {
  const root = parseXmlDocument(body, 'config', ...contentType);
  const { status, publickey } = readAttributes(root, configAttributes);
  const requests = childElements(root, 'request').map((element) => {
    const { type, path, 'max-period': maxPeriod } = readAttributes(element, requestAttributes);
    return maxPeriod === undefined ? { type, path } : { type, path, maxPeriod };
  });
  const speedtest = childElement(root, 'speedtest');
  const speedtestTargets = speedtest
    ? childElements(speedtest, 'target').map((target) => readAttributes(target, targetAttributes).url)
    : [];
  return { status, ...(publickey === undefined ? {} : { publicKey: publickey }), requests, speedtestTargets };
}

/** Renders a `<config>` answer (farm side). The `<speedtest>` element is left out when there are no targets. */
export function renderConfigAnswer(answer: ConfigAnswer): string {
  const requests = answer.requests.map(({ type, path, maxPeriod }) =>
    renderElement('request', { type, path, 'max-period': maxPeriod }),
  );
  const targets = answer.speedtestTargets.map((url) => renderElement('target', { url }));
  const speedtest = targets.length === 0 ? [] : [renderElement('speedtest', {}, targets.join(''))];
  return renderDocument('config', { status: answer.status, publickey: answer.publicKey }, [
    ...requests,
    ...speedtest,
  ]);
}
