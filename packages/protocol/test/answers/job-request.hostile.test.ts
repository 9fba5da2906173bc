import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isProtocolError,
  type Job,
  MAX_FILE_ACTIONS,
  parseJobRequestAnswer,
  XML_CONTENT_TYPE,
} from '../../src/index';
import { escapeXmlAttribute } from '../../src/xml';
import { expectProtocolError, fixture, withAttribute } from '../helpers';

// A farm is outside the agent's trust: every value of a job answer that becomes a file name, a
// directory, a URL or a process argument is checked where it is parsed.
const valid = fixture('jobrequest.valid.xml');
const parse = (xml: string) => parseJobRequestAnswer(xml, XML_CONTENT_TYPE);
const hostile = (element: string, attribute: string, value: string) =>
  withAttribute(valid, element, attribute, escapeXmlAttribute(value));

const TRAVERSAL = '../../../../../../../../../../tmp/some dir/important';
const notMd5 = [
  TRAVERSAL,
  '',
  'db26b54689516484633b7d4855fb156',
  'db26b54689516484633b7d4855fb15670',
  'db26b54689516484633b7d4855fb156g',
  '/etc/passwd',
  'db26b54689516484633b7d4855fb1567\0',
  ' db26b54689516484633b7d4855fb1567',
];

describe('a job answer with a hostile value is refused with a typed ProtocolError', () => {
  it.each(notMd5)('archive_md5=%j', (value) => {
    expectProtocolError(() => parse(hostile('job', 'archive_md5', value)), 'invalid-value', /archive_md5=/);
  });

  it.each(notMd5)('renderer md5=%j', (value) => {
    expectProtocolError(() => parse(hostile('renderer', 'md5', value)), 'invalid-value', /on <renderer>/);
  });

  it.each(notMd5)('<file md5=%j action="delete">', (value) => {
    expectProtocolError(() => parse(hostile('file', 'md5', value)), 'invalid-value', /md5=.* on <file>/);
  });

  it.each([TRAVERSAL, '', '4711/../..', '47 11', '-1', '1e5', '12345678901234567890', 'abc'])(
    'job id=%j',
    (value) => {
      expectProtocolError(() => parse(hostile('job', 'id', value)), 'invalid-value', /id=.* on <job>/);
    },
  );

  it.each([TRAVERSAL, '', '-f', '7 8', '12345678', '0x10', '+7'])('frame=%j', (value) => {
    expectProtocolError(() => parse(hostile('job', 'frame', value)), 'invalid-value', /frame=.* on <job>/);
  });

  it.each([
    ['parent segment', '../shot.blend'],
    ['nested parent segment', 'scenes/../../shot.blend'],
    ['absolute path', '/etc/passwd'],
    ['drive letter', 'C:/shot.blend'],
    ['backslash', 'scenes\\..\\..\\shot.blend'],
    ['dot segment', 'scenes/./shot.blend'],
    ['empty segment', 'scenes//shot.blend'],
    ['empty', ''],
    ['control character', 'shot\t.blend'],
    ['too long', `${'a/'.repeat(600)}shot.blend`],
  ])('blend path: %s', (_label, value) => {
    expectProtocolError(() => parse(hostile('job', 'path', value)), 'invalid-value', /path=.* on <job>/);
  });

  it.each([
    ['a file URL', 'file:///etc/passwd'],
    ['a relative URL', '/server/send_frame.php?job=1'],
    ['another scheme', 'ftp://farm.example/send?x'],
    ['credentials', 'https://user:secret@farm.example/send?x'],
    ['a control character', 'https://farm.example/send?job=1\nHost: evil'],
    ['not a URL', 'http://'],
  ])('validation_url: %s', (_label, url) => {
    expectProtocolError(
      () => parse(hostile('job', 'validation_url', encodeURIComponent(url))),
      'invalid-value',
      /validation_url=/,
    );
  });

  it.each([
    ['another program', '/bin/sh -c .e'],
    ['an output path outside the job', '.e -b .c -o /home/user/x -f .f'],
    ['Python code', `.e -b .c --python-expr "__import__('os')"`],
  ])('commandline: %s', (_label, value) => {
    expectProtocolError(
      () => parse(hostile('renderer', 'commandline', value)),
      'invalid-value',
      /commandline=/,
    );
  });

  it(`more than ${MAX_FILE_ACTIONS} <file> entries`, () => {
    const file = '<file md5="0123456789abcdef0123456789abcdef" action="delete"/>';
    const flood = valid.replace(
      '<jobrequest status="0">',
      `<jobrequest status="0">${file.repeat(MAX_FILE_ACTIONS)}`,
    );
    expectProtocolError(() => parse(flood), 'too-large', /<file> entries/);
  });
});

describe('accepted values', () => {
  it('returns MD5s lower-case, whatever case the farm used', () => {
    const upper = hostile('job', 'archive_md5', 'DB26B54689516484633B7D4855FB1567');
    const answer = parse(hostile2(upper, 'renderer', 'md5', '05234503229A4660E428E8D227746D8D'));
    expect(answer.job?.archiveMd5).toBe('db26b54689516484633b7d4855fb1567');
    expect(answer.job?.renderer.md5).toBe('05234503229a4660e428e8d227746d8d');
  });

  it('skips G3 chunks whose id or md5 could not name a file', () => {
    const chunks =
      '<chunks><chunk id="../x" md5="11111111111111111111111111111111"/><chunk id="ok" md5="../y"/><chunk id="ok" md5="22222222222222222222222222222222"/></chunks>';
    const answer = parse(valid.replace('<renderer', `${chunks}<renderer`));
    expect(answer.job?.chunks).toEqual([{ id: 'ok', md5: '22222222222222222222222222222222' }]);
  });
});

function hostile2(xml: string, element: string, attribute: string, value: string): string {
  return withAttribute(xml, element, attribute, escapeXmlAttribute(value));
}

// ---- fuzz: whatever the parser accepts has safe path values; everything else is a ProtocolError ----

const FRAGMENTS = [
  '..',
  '.',
  '/',
  '\\',
  '%2e',
  '%2f',
  'C:',
  '\0',
  '\n',
  ' ',
  'a',
  '0',
  'f',
  '9',
  'file:',
  'http://x/?',
];
const hostileValue = fc.oneof(
  fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 12 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.stringMatching(/^[0-9a-fA-F]{30,34}$/),
  fc.stringMatching(/^[0-9]{1,21}$/),
);
const FIELDS: [string, string][] = [
  ['job', 'archive_md5'],
  ['job', 'id'],
  ['job', 'frame'],
  ['job', 'path'],
  ['job', 'validation_url'],
  ['renderer', 'md5'],
  ['renderer', 'commandline'],
  ['file', 'md5'],
];

/** An independent check of what "safe" means for a job, written without the parser's helpers. */
function expectSafe(job: Job | undefined, files: { md5: string }[]): void {
  const md5 = /^[0-9a-f]{32}$/;
  for (const file of files) expect(file.md5).toMatch(md5);
  if (!job) return;
  expect(job.archiveMd5).toMatch(md5);
  expect(job.renderer.md5).toMatch(md5);
  expect(job.id).toMatch(/^\d+$/);
  expect(job.frame).toMatch(/^\d+$/);
  const segments = job.path.split('/');
  expect(segments.every((s) => s !== '' && s !== '.' && s !== '..' && !/[\\\0]/.test(s))).toBe(true);
  expect(/^[A-Za-z]:/.test(job.path)).toBe(false);
  expect(new URL(job.validationUrl).protocol).toMatch(/^https?:$/);
  const args = job.renderer.commandline.split(/\s+/).filter(Boolean);
  expect(args[0]).toBe('.e');
  expect(args.every((a) => ['.e', '.c', '.o', '.f'].includes(a) || !/[/\\]|^\./.test(a))).toBe(true);
}

describe('parseJobRequestAnswer fuzzed with hostile values', () => {
  it('accepts only safe values, refuses the rest with a ProtocolError', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...FIELDS), hostileValue), { minLength: 1, maxLength: 3 }),
        (changes) => {
          const xml = changes.reduce(
            (document, [[element, attribute], value]) => hostile2(document, element, attribute, value),
            valid,
          );
          try {
            const answer = parse(xml);
            expectSafe(answer.job, answer.files);
          } catch (error) {
            if (!isProtocolError(error)) throw error;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
