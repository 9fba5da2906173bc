import { describe, expect, it } from 'vitest';
import { endpointsFromConfig, parseConfigAnswer, XML_CONTENT_TYPE } from '../../src/index';
import { escapeXmlAttribute } from '../../src/xml';
import { expectProtocolError, fixture } from '../helpers';

// Endpoint paths are appended to the server URL and speed-test targets are downloaded: both are
// checked where the config answer is parsed.
const valid = fixture('config.valid.xml');
const parse = (xml: string) => parseConfigAnswer(xml, XML_CONTENT_TYPE);
const withPath = (path: string) =>
  valid.replace('path="/server/archive.php"', `path="${escapeXmlAttribute(path)}"`);
const withTarget = (url: string) =>
  valid.replace('url="https://mirror-a.example/scene/speedtest.zip"', `url="${escapeXmlAttribute(url)}"`);

describe('a config answer with a hostile value is refused with a typed ProtocolError', () => {
  it.each([
    ['no leading slash', 'server/archive.php'],
    ['a traversal', '../../../../tmp/important'],
    ['a protocol-relative URL', '//evil.example/archive.php'],
    ['an absolute URL', 'https://evil.example/archive.php'],
    ['a user-info trick', '@evil.example/archive.php'],
    ['a backslash', '/\\evil.example/archive.php'],
    ['a space', '/server/archive .php'],
    ['a control character', '/server/archive.php\t'],
    ['nothing', ''],
  ])('endpoint path: %s', (_label, path) => {
    expectProtocolError(() => parse(withPath(path)), 'invalid-value', /path=.* on <request>/);
  });

  it.each([
    ['a file URL', 'file:///etc/passwd'],
    ['a relative URL', '/speedtest/mirror-a.bin'],
    ['credentials', 'https://user:pw@mirror.example/x.bin'],
    ['not a URL', 'mirror-a'],
  ])('speed-test target: %s', (_label, url) => {
    expectProtocolError(() => parse(withTarget(url)), 'invalid-value', /url=.* on <target>/);
  });

  it('endpointsFromConfig checks paths it did not get from the parser too', () => {
    const config = parseConfigAnswer(valid);
    const requests = config.requests.map((request) =>
      request.type === 'error' ? { ...request, path: '//evil.example/x' } : request,
    );
    expectProtocolError(
      () => endpointsFromConfig('https://farm.example', { ...config, requests }),
      'invalid-value',
      /"error" path/,
    );
  });

  it('still accepts the logout path with its own query', () => {
    expect(parse(valid).requests.find((request) => request.type === 'logout')?.path).toBe(
      '/account.php?mode=logout&worker=1',
    );
  });
});
