import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ConfigAnswer,
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

const configAnswer: fc.Arbitrary<ConfigAnswer> = fc.record(
  {
    status: int,
    publicKey: text,
    requests: fc.array(
      fc.record(
        { type: text, path: text, maxPeriod: int },
        { noNullPrototype: true, requiredKeys: ['type', 'path'] },
      ),
      {
        maxLength: 8,
      },
    ),
    speedtestTargets: fc.array(text, { maxLength: 4 }),
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

const job = fc.record(
  {
    id: text,
    useGpu: fc.boolean(),
    archiveMd5: text,
    path: text,
    frame: text,
    synchronousUpload: fc.boolean(),
    validationUrl: text,
    name: text,
    password: text,
    // The renderer always sends extras (the 2020 official client requires it), so it always comes back.
    extras: text,
    renderer: fc.record({ md5: text, commandline: text, updateMethod: text }, { noNullPrototype: true }),
    script: fc.string({ unit: 'binary', maxLength: 300 }).map(toXmlCharacters),
    chunks: fc.array(fc.record({ id: text, md5: text }, { noNullPrototype: true }), { maxLength: 3 }),
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
    files: fc.array(fc.record({ md5: text, action: text }, { noNullPrototype: true }), { maxLength: 3 }),
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
