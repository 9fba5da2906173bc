import { describe, expect, it } from 'vitest';
import {
  MAX_XML_BODY_CHARS,
  parseConfigAnswer,
  parseErrorAnswer,
  parseJobRequestAnswer,
  parseJobValidateAnswer,
  parseKeepAliveAnswer,
} from '../../src/index';
import { expectProtocolError, fixture } from '../helpers';

// Every answer parser meets the same bad bodies the same way (docs/decisions.md D3: non-text/xml and
// unparsable answers are bad server responses, never a success).
const parsers = [
  { root: 'config', parse: parseConfigAnswer, valid: fixture('config.valid.xml') },
  { root: 'jobrequest', parse: parseJobRequestAnswer, valid: fixture('jobrequest.valid.xml') },
  { root: 'keepmealive', parse: parseKeepAliveAnswer, valid: fixture('keepmealive.valid.xml') },
  { root: 'jobvalidate', parse: parseJobValidateAnswer, valid: fixture('jobvalidate.valid.xml') },
  { root: 'error', parse: parseErrorAnswer, valid: fixture('error.valid.xml') },
];

describe.each(parsers)('<$root> parser on bad bodies', ({ root, parse, valid }) => {
  it('accepts its valid sample with the farm content type, and without a check', () => {
    expect(parse(valid, 'text/xml; charset=utf-8').status).toBe(0);
    expect(parse(valid).status).toBe(0);
  });

  it.each(['application/xml', 'text/html; charset=UTF-8', 'application/octet-stream'])(
    'refuses the content type %s',
    (contentType) => {
      expectProtocolError(() => parse(valid, contentType), 'wrong-content-type', contentType);
    },
  );

  it('refuses an answer without a content type when one is expected (null or undefined passed)', () => {
    expectProtocolError(() => parse(valid, null), 'wrong-content-type');
    expectProtocolError(() => parse(valid, undefined), 'wrong-content-type');
  });

  it('checks the content type before the body', () => {
    expectProtocolError(() => parse('', 'text/html'), 'wrong-content-type');
  });

  it.each(['', '\n  \n'])('refuses the empty body %j', (body) => {
    expectProtocolError(() => parse(body, 'text/xml'), 'empty-body', `<${root}>`);
  });

  it('refuses a huge body', () => {
    const padding = `<!--${'x'.repeat(MAX_XML_BODY_CHARS)}-->`;
    expectProtocolError(() => parse(valid + padding, 'text/xml'), 'too-large');
  });

  it('refuses a truncated document', () => {
    expectProtocolError(() => parse(fixture('malformed.xml'), 'text/xml'), 'not-xml', /line/);
    expectProtocolError(() => parse(valid.slice(0, valid.length - 8), 'text/xml'), 'not-xml');
  });

  it('says it got an HTML error page', () => {
    expectProtocolError(
      () => parse(fixture('html-502.html'), 'text/xml'),
      'not-xml',
      /HTML page titled "502 Bad Gateway"/,
    );
    expectProtocolError(() => parse(fixture('xhtml-login.html'), 'text/xml'), 'wrong-root', /got <html>/);
  });

  it('refuses plain text and JSON', () => {
    expectProtocolError(() => parse('status=0', 'text/xml'), 'not-xml');
    expectProtocolError(() => parse('{"status":0}', 'text/xml'), 'not-xml');
  });

  it('survives an entity bomb in a DOCTYPE', () => {
    const bomb = fixture('entity-bomb.xml').replaceAll('config', root);
    const outcome = (() => {
      try {
        return parse(bomb);
      } catch (error) {
        return error;
      }
    })();
    expect(JSON.stringify(outcome ?? null).length).toBeLessThan(10_000);
  });
});
