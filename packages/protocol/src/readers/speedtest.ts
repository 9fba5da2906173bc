import { z } from 'zod';
import type { SpeedtestResult } from '../requests';
import { childElements, intAttribute, parseXmlDocument, readAttributes } from '../xml';

const resultAttributes = z.object({ target: z.string(), speed: intAttribute, ping: intAttribute });

/** The client's `<speedtest><result target speed ping/>…</speedtest>` body (no content-type check). */
export function parseSpeedtestAnswer(xml: string): SpeedtestResult[] {
  const root = parseXmlDocument(xml, 'speedtest');
  return childElements(root, 'result').map((result) => readAttributes(result, resultAttributes));
}
