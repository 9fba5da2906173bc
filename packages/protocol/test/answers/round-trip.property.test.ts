import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ConfigAnswer,
  hasControlCharacter,
  type JobRequestAnswer,
  parseConfigAnswer,
  parseErrorAnswer,
  parseJobRequestAnswer,
  parseJobValidateAnswer,
  parseKeepAliveAnswer,
  renderConfigAnswer,
  renderErrorAnswer,
  renderJobRequestAnswer,
  renderJobValidateAnswer,
  renderKeepAliveAnswer,
  XML_CONTENT_TYPE,
} from '../../src/index';
import { toXmlCharacters } from '../../src/xml';

// render (farm) → parse (agent) gives back the same object, for arbitrary valid answers. Text may hold
// any character XML can carry: markup, quotes, entities, tabs, newlines, carriage returns, "]]>".
const tricky = fc.constantFrom(
  '&',
  '<',
  '>',
  '"',
  "'",
  '\t',
  '\n',
  '\r',
  '\r\n',
  ']]>',
  '&amp;',
  '&#10;',
  '%',
  '+',
  ' ',
);
const text = fc
  .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), tricky), { maxLength: 6 })
  .map((parts) => toXmlCharacters(parts.join('')));
const int = fc.integer();

// Endpoint paths are printable ASCII after one "/"; speed-test targets are http(s) URLs.
const endpointPath = fc.stringMatching(/^\/[\x21-\x5b\x5d-\x7e]{0,20}$/).filter((p) => !p.startsWith('//'));
const targetUrl = fc.stringMatching(/^[a-z0-9-]{1,10}$/).map((host) => `https://${host}.example/payload.bin`);

const configAnswer: fc.Arbitrary<ConfigAnswer> = fc.record(
  {
    status: int,
    publicKey: text,
    requests: fc.array(
      fc.record(
        { type: text, path: endpointPath, maxPeriod: int },
        { noNullPrototype: true, requiredKeys: ['type', 'path'] },
      ),
      {
        maxLength: 8,
      },
    ),
    speedtestTargets: fc.array(targetUrl, { maxLength: 4 }),
  },
  { noNullPrototype: true, requiredKeys: ['status', 'requests', 'speedtestTargets'] },
);

const stats = fc.record(
  {
    creditsSession: int,
    creditsTotal: int,
    frameRemaining: int,
    waitingProject: int,
    connectedMachine: int,
    renderableProject: int,
  },
  {
    noNullPrototype: true,
    requiredKeys: ['creditsSession', 'creditsTotal', 'frameRemaining', 'waitingProject', 'connectedMachine'],
  },
);

// Values that reach paths, URLs and arguments have a shape (farm-values.ts); the rest is free text.
const md5 = fc.stringMatching(/^[0-9a-f]{32}$/);
const segment = fc
  .stringMatching(/^[^/\\:]{1,12}$/)
  .filter((s) => s !== '.' && s !== '..' && !hasControlCharacter(s));
const blendPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('/'));
const noControl = text.map((value) => [...value].filter((c) => !hasControlCharacter(c)).join(''));
const validationUrl = noControl.map((query) => `https://farm.example/server/send_frame.php?job=${query}`);
const argument = fc.stringMatching(/^[A-Za-z0-9_=,:+-][A-Za-z0-9._=,:+-]{0,8}$/);
const commandline = fc
  .array(fc.oneof(argument, fc.constantFrom('.c', '.o', '.f')), { maxLength: 8 })
  .map((tokens) => ['.e', ...tokens].join(' '));

const job = fc.record(
  {
    id: fc.stringMatching(/^[0-9]{1,19}$/),
    useGpu: fc.boolean(),
    archiveMd5: md5,
    path: blendPath,
    frame: fc.stringMatching(/^[0-9]{1,7}$/),
    synchronousUpload: fc.boolean(),
    validationUrl,
    name: text,
    password: text,
    // The renderer always sends extras (the 2020 official client requires it), so it always comes back.
    extras: text,
    renderer: fc.record({ md5, commandline, updateMethod: text }, { noNullPrototype: true }),
    script: fc.string({ unit: 'binary', maxLength: 300 }).map(toXmlCharacters),
    chunks: fc.array(
      fc.record({ id: fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/), md5 }, { noNullPrototype: true }),
      { maxLength: 3 },
    ),
  },
  {
    noNullPrototype: true,
    requiredKeys: [
      'id',
      'useGpu',
      'archiveMd5',
      'path',
      'frame',
      'synchronousUpload',
      'validationUrl',
      'name',
      'password',
      'extras',
      'renderer',
      'script',
    ],
  },
);

const jobRequestAnswer: fc.Arbitrary<JobRequestAnswer> = fc.record(
  {
    status: int,
    stats,
    files: fc.array(fc.record({ md5, action: text }, { noNullPrototype: true }), { maxLength: 3 }),
    job,
  },
  { noNullPrototype: true, requiredKeys: ['status', 'files'] },
);

describe('answer round trip: render → parse', () => {
  it('config', () => {
    fc.assert(
      fc.property(configAnswer, (answer) => {
        expect(parseConfigAnswer(renderConfigAnswer(answer), XML_CONTENT_TYPE)).toStrictEqual(answer);
      }),
      { numRuns: 300 },
    );
  });

  it('jobrequest', () => {
    fc.assert(
      fc.property(jobRequestAnswer, (answer) => {
        expect(parseJobRequestAnswer(renderJobRequestAnswer(answer), XML_CONTENT_TYPE)).toStrictEqual(answer);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['keepmealive', renderKeepAliveAnswer, parseKeepAliveAnswer],
    ['jobvalidate', renderJobValidateAnswer, parseJobValidateAnswer],
    ['error', renderErrorAnswer, parseErrorAnswer],
  ] as const)('%s', (_root, render, parse) => {
    fc.assert(
      fc.property(int, (status) => {
        expect(parse(render({ status }), XML_CONTENT_TYPE)).toStrictEqual({ status });
      }),
    );
  });
});
