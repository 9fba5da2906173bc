import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isProtocolError,
  parseCacheBody,
  parseConfigAnswer,
  parseErrorAnswer,
  parseJobRequestAnswer,
  parseJobValidateAnswer,
  parseKeepAliveAnswer,
  parseSpeedtestAnswer,
  readConfigParams,
  readErrorReportParams,
  readJobRequestParams,
  readKeepAliveParams,
  readValidationParams,
} from '../src/index';
import { fixture } from './helpers';

// "No parser ever throws anything but ProtocolError", on any string: arbitrary text, XML-ish text
// built from protocol fragments, and valid answers with random damage.
const parsers: [string, (body: string) => unknown][] = [
  ['parseConfigAnswer', (body) => parseConfigAnswer(body, 'text/xml')],
  ['parseJobRequestAnswer', (body) => parseJobRequestAnswer(body, 'text/xml')],
  ['parseKeepAliveAnswer', (body) => parseKeepAliveAnswer(body)],
  ['parseJobValidateAnswer', (body) => parseJobValidateAnswer(body)],
  ['parseErrorAnswer', (body) => parseErrorAnswer(body)],
  ['parseCacheBody', parseCacheBody],
  ['parseSpeedtestAnswer', parseSpeedtestAnswer],
];

const FRAGMENTS = [
  '<?xml version="1.0" encoding="utf-8"?>',
  '<config',
  '<jobrequest',
  '<job',
  '<renderer',
  '<script>',
  '</script>',
  '<stats',
  '<file',
  '<chunks>',
  '<chunk',
  '<request',
  '<speedtest>',
  '<target',
  '<result',
  '<cache>',
  '<keepmealive',
  '<jobvalidate',
  '<error',
  ' status="0"',
  ' status="x"',
  ' id="1"',
  ' md5="ab"',
  ' validation_url="%E0%A4%A"',
  ' frame="0007"',
  ' use_gpu="1"',
  ' max-period="-1"',
  ' __proto__="x"',
  ' constructor="y"',
  '>',
  '/>',
  '</job>',
  '</config>',
  '</jobrequest>',
  '<![CDATA[',
  ']]>',
  '<!--',
  '-->',
  '<!DOCTYPE x [<!ENTITY a "&b;">]>',
  '<!ENTITY e SYSTEM "file:///etc/passwd">',
  '&amp;',
  '&#0;',
  '&#x110000;',
  '&a;',
  '&',
  '<',
  '"',
  "'",
  '\u0000',
  '\uFEFF',
  '\uD800',
  '\n',
];

const xmlish = fc
  .array(fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 6 })), { maxLength: 40 })
  .map((parts) => parts.join(''));

const samples = [
  'config.valid.xml',
  'config.g3.xml',
  'jobrequest.valid.xml',
  'jobrequest.g3.xml',
  'keepmealive.valid.xml',
  'speedtest.xml',
  'cache.xml',
].map(fixture);

/** A valid document with a random slice replaced by random text. */
const damaged = fc
  .tuple(
    fc.constantFrom(...samples),
    fc.nat(),
    fc.nat({ max: 30 }),
    fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string()),
  )
  .map(([sample, at, length, insert]) => {
    const start = at % sample.length;
    return sample.slice(0, start) + insert + sample.slice(start + length);
  });

function throwsOnlyProtocolError(parse: (body: string) => unknown, body: string): boolean {
  try {
    parse(body);
    return true;
  } catch (error) {
    return isProtocolError(error);
  }
}

describe.each(parsers)('%s throws only ProtocolError', (_name, parse) => {
  it('on any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (body) =>
        throwsOnlyProtocolError(parse, body),
      ),
      { numRuns: 300 },
    );
  });

  it('on XML-ish strings built from protocol fragments', () => {
    fc.assert(
      fc.property(xmlish, (body) => throwsOnlyProtocolError(parse, body)),
      { numRuns: 500 },
    );
  });

  it('on damaged valid answers', () => {
    fc.assert(
      fc.property(damaged, (body) => throwsOnlyProtocolError(parse, body)),
      { numRuns: 500 },
    );
  });

  it('on non-string bodies from careless callers', () => {
    for (const body of [undefined, null, 42, {}, ['<config/>']]) {
      expect(throwsOnlyProtocolError(parse, body as unknown as string)).toBe(true);
    }
  });
});

const readers = [
  readConfigParams,
  readJobRequestParams,
  readKeepAliveParams,
  readValidationParams,
  readErrorReportParams,
];
const PARAMETER_NAMES = [
  'version',
  'login',
  'cpu_cores',
  'ram',
  'headless',
  'computemethod',
  'rendertime_max',
  'gpu_model',
  'job',
  'frame',
  'paused',
  'type',
  'rendertime',
];

describe('server readers throw only ProtocolError', () => {
  const value = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.constantFrom('0', '-1', '1e3', 'true', ''),
  );
  const name = fc.oneof(fc.constantFrom(...PARAMETER_NAMES), fc.string({ maxLength: 8 }));
  const record = fc.dictionary(name, fc.oneof(value, fc.array(value, { maxLength: 2 })));

  it.each(readers.map((reader) => [reader.name, reader] as const))(
    '%s on arbitrary parameters',
    (_name, read) => {
      fc.assert(
        fc.property(record, (params) => throwsOnlyProtocolError(() => read(params), '')),
        { numRuns: 500 },
      );
    },
  );
});
