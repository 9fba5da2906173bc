import { describe, expect, it } from 'vitest';
import { padFrame, parseJobRequestAnswer, renderJobRequestAnswer, XML_CONTENT_TYPE } from '../../src/index';
import { expectProtocolError, fixture, withAttribute, withoutAttribute } from '../helpers';

const valid = fixture('jobrequest.valid.xml');
const parse = (xml: string) => parseJobRequestAnswer(xml, XML_CONTENT_TYPE);

describe('parseJobRequestAnswer', () => {
  it('reads the complete sample job of docs/protocol.md §2.3', () => {
    const answer = parse(valid);
    expect(answer.status).toBe(0);
    expect(answer.stats).toEqual({
      creditsSession: 0,
      creditsTotal: 6318899,
      frameRemaining: 36830,
      waitingProject: 42,
      connectedMachine: 773,
      renderableProject: 12,
    });
    expect(answer.files).toEqual([{ md5: '0123456789abcdef0123456789abcdef', action: 'delete' }]);
    const { script, ...job } = answer.job ?? { script: undefined };
    expect(job).toEqual({
      id: '116372253',
      useGpu: false,
      archiveMd5: 'db26b54689516484633b7d4855fb1567',
      path: 'scenes/shot.blend',
      frame: '0007',
      synchronousUpload: false,
      validationUrl: 'https://farm.example/server/send_frame.php?job=116372253&frame=0007',
      name: 'My project',
      password: 's3cret',
      extras: '',
      renderer: {
        md5: '05234503229a4660e428e8d227746d8d',
        commandline:
          '.e --factory-startup --disable-autoexec -noaudio -b .c --engine CYCLES -o .o -f .f -x 1',
        updateMethod: 'remainingtime',
      },
    });
    expect(script).toMatch(
      /^import bpy\ndef sheepit_set_compute_device\(device_type, device_family, device_id\):\n/,
    );
    expect(script).toMatch(/# \.\.\. farm settings \.\.\.\n$/);
  });

  it('accepts a status-only answer', () => {
    expect(parse(fixture('jobrequest.no-job.xml'))).toEqual({ status: 200, files: [] });
  });

  it('returns status 0 without <job> as is: the agent decides', () => {
    expect(parse('<jobrequest status="0"/>')).toEqual({ status: 0, files: [] });
  });

  it("carries newer farms' chunks through, skips broken ones, and decodes + as space like Java", () => {
    const job = parse(fixture('jobrequest.g3.xml')).job;
    expect(job?.chunks).toEqual([
      { id: 'a1b2c3', md5: '11111111111111111111111111111111' },
      { id: 'd4e5f6', md5: '22222222222222222222222222222222' },
    ]);
    expect(job).toMatchObject({ useGpu: true, synchronousUpload: true, script: 'import bpy' });
    expect(job?.validationUrl).toBe('https://farm.example/server/send_frame.php?job=5001 x&frame=0001');
    expect(job?.renderer.updateMethod).toBe('by_tile');
    expect(job).not.toHaveProperty('extras');
  });

  it('refuses a validation_url that is not percent-encoded', () => {
    expectProtocolError(
      () => parse(withAttribute(valid, 'job', 'validation_url', 'https://x/?a=%zz')),
      'invalid-value',
      /validation_url/,
    );
  });

  const required: [string, string[]][] = [
    ['jobrequest', ['status']],
    [
      'stats',
      ['credits_session', 'credits_total', 'frame_remaining', 'waiting_project', 'connected_machine'],
    ],
    ['file', ['md5', 'action']],
    [
      'job',
      [
        'id',
        'use_gpu',
        'archive_md5',
        'path',
        'frame',
        'synchronous_upload',
        'validation_url',
        'name',
        'password',
      ],
    ],
    ['renderer', ['md5', 'commandline', 'update_method']],
  ];
  const cases = required.flatMap(([element, attributes]) =>
    attributes.map((attribute) => [element, attribute]),
  );

  it.each(cases)('refuses <%s> without %s, naming both', (element, attribute) => {
    expectProtocolError(
      () => parse(withoutAttribute(valid, element, attribute)),
      'missing-attribute',
      `"${attribute}" on <${element}>`,
    );
  });

  it.each(['renderable_project', 'extras'])('accepts a missing optional %s', (attribute) => {
    const element = attribute === 'extras' ? 'job' : 'stats';
    expect(() => parse(withoutAttribute(valid, element, attribute))).not.toThrow();
  });

  it.each([
    ['jobrequest', 'status'],
    ['stats', 'credits_total'],
    ['stats', 'renderable_project'],
    ['job', 'use_gpu'],
  ])('refuses a non-number <%s %s>', (element, attribute) => {
    expectProtocolError(
      () => parse(withAttribute(valid, element, attribute, '12.5')),
      'bad-number',
      new RegExp(`${attribute}="12.5" on <${element}>`),
    );
  });

  it.each(['renderer', 'script'])('refuses a job without <%s>', (element) => {
    const xml = valid.replace(new RegExp(`<${element}[\\s>][\\s\\S]*?(/>|</${element}>)`), '');
    expectProtocolError(() => parse(xml), 'missing-element', `<${element}> in <job>`);
  });
});

describe('renderJobRequestAnswer', () => {
  it('renders what it parses, with the URL percent-encoded and the script in CDATA', () => {
    const answer = parse(valid);
    const rendered = renderJobRequestAnswer(answer);
    expect(rendered).toContain(
      'validation_url="https%3A%2F%2Ffarm.example%2Fserver%2Fsend_frame.php%3Fjob%3D116372253%26frame%3D0007"',
    );
    expect(rendered).toContain('<script><![CDATA[import bpy');
    expect(parse(rendered)).toEqual(answer);
  });

  it('always sends extras (the 2020 official client requires it), empty by default', () => {
    const answer = parse(fixture('jobrequest.g3.xml'));
    expect(renderJobRequestAnswer(answer)).toContain('extras=""');
  });

  it('renders a status-only answer as one element', () => {
    expect(renderJobRequestAnswer({ status: 206, files: [] })).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\n<jobrequest status="206"/>\n',
    );
  });
});

describe('padFrame', () => {
  it('pads to four digits and keeps longer numbers', () => {
    expect([0, 7, 42, 1234, 12345].map(padFrame)).toEqual(['0000', '0007', '0042', '1234', '12345']);
  });

  it.each([-1, 1.5, Number.NaN])('refuses %s', (frame) => {
    expectProtocolError(() => padFrame(frame), 'invalid-value');
  });
});
