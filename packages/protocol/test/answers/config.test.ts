import { describe, expect, it } from 'vitest';
import { parseConfigAnswer, renderConfigAnswer, XML_CONTENT_TYPE } from '../../src/index';
import { expectProtocolError, fixture, withAttribute, withoutAttribute } from '../helpers';

const valid = fixture('config.valid.xml');

describe('parseConfigAnswer', () => {
  it('reads the sample answer of docs/protocol.md §2.1', () => {
    expect(parseConfigAnswer(valid, XML_CONTENT_TYPE)).toEqual({
      status: 0,
      publicKey: 'k3yGeneratedByServer',
      requests: [
        { type: 'request-job', path: '/server/request_job.php' },
        { type: 'download-archive', path: '/server/archive.php' },
        { type: 'error', path: '/server/error.php' },
        { type: 'keepmealive', path: '/server/keepmealive.php', maxPeriod: 1440 },
        { type: 'logout', path: '/account.php?mode=logout&worker=1' },
        { type: 'speedtest-answer', path: '/server/speedtest.php' },
      ],
      speedtestTargets: [
        'https://mirror-a.example/scene/speedtest.zip',
        'https://mirror-b.example/scene/speedtest.zip',
      ],
    });
  });

  it("carries newer farms' request types through and ignores unknown elements and attributes", () => {
    const answer = parseConfigAnswer(fixture('config.g3.xml'), 'text/xml');
    expect(answer.publicKey).toBe('');
    expect(answer.requests.map((request) => request.type)).toContain('download-chunk');
    expect(answer.requests.find((request) => request.type === 'download-chunk')).toEqual({
      type: 'download-chunk',
      path: '/server/chunk.php',
    });
    expect(answer.speedtestTargets).toEqual([]);
  });

  it('reads an error status without anything else', () => {
    expect(parseConfigAnswer(fixture('config.error.xml'), 'text/xml')).toEqual({
      status: 102,
      requests: [],
      speedtestTargets: [],
    });
  });

  it('leaves publicKey out when the farm omits it (the agent must treat that as a failed login)', () => {
    expect(parseConfigAnswer(withoutAttribute(valid, 'config', 'publickey'))).not.toHaveProperty('publicKey');
  });

  it.each([
    ['config', 'status'],
    ['request', 'type'],
    ['request', 'path'],
    ['target', 'url'],
  ])('refuses <%s> without %s, naming both', (element, attribute) => {
    expectProtocolError(
      () => parseConfigAnswer(withoutAttribute(valid, element, attribute), XML_CONTENT_TYPE),
      'missing-attribute',
      `"${attribute}" on <${element}>`,
    );
  });

  it('refuses a status or max-period that is not a whole number', () => {
    expectProtocolError(
      () => parseConfigAnswer(withAttribute(valid, 'config', 'status', 'ok')),
      'bad-number',
      /status="ok"/,
    );
    const badPeriod = valid.replace('max-period="1440"', 'max-period="15m"');
    expectProtocolError(() => parseConfigAnswer(badPeriod), 'bad-number', /max-period="15m" on <request>/);
  });

  it('renders what it parses (the farm side)', () => {
    const answer = parseConfigAnswer(valid);
    const rendered = renderConfigAnswer(answer);
    expect(rendered).toContain('path="/account.php?mode=logout&amp;worker=1"');
    expect(rendered.startsWith('<?xml version="1.0" encoding="utf-8"?>')).toBe(true);
    expect(parseConfigAnswer(rendered, XML_CONTENT_TYPE)).toEqual(answer);
  });
});
