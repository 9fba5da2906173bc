import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_XML_BODY_CHARS, parseConfigAnswer } from '../src/index';
import {
  cdata,
  checkXmlContentType,
  escapeXmlAttribute,
  intAttribute,
  parseXmlDocument,
  readAttributes,
  renderDocument,
  renderElement,
} from '../src/xml';
import { expectProtocolError, fixture } from './helpers';

describe('checkXmlContentType', () => {
  it.each([
    'text/xml',
    'text/xml; charset=utf-8',
    'TEXT/XML;charset=UTF-8',
    ' text/xml ; charset=iso-8859-1',
  ])('accepts %j', (contentType) => {
    expect(() => checkXmlContentType(contentType)).not.toThrow();
  });

  it.each(['application/xml', 'text/html; charset=utf-8', 'text/plain', '', 'text/xmlx', 'application/json'])(
    'rejects %j',
    (contentType) => {
      expectProtocolError(() => checkXmlContentType(contentType), 'wrong-content-type', /expected text\/xml/);
    },
  );

  it('rejects a missing header, null or undefined', () => {
    expectProtocolError(() => checkXmlContentType(null), 'wrong-content-type', /no Content-Type/);
    expectProtocolError(() => checkXmlContentType(undefined), 'wrong-content-type', /no Content-Type/);
  });

  it('is skipped by parseXmlDocument only when the argument is left out', () => {
    expect(parseXmlDocument('<a/>', 'a').name).toBe('a');
    expectProtocolError(() => parseXmlDocument('<a/>', 'a', undefined), 'wrong-content-type');
    expect(parseXmlDocument('<a/>', 'a', 'text/xml').name).toBe('a');
  });
});

describe('parseXmlDocument', () => {
  it('returns the root with attributes, children and text', () => {
    const root = parseXmlDocument('<a x="1"><b y="&lt;&#65;"/>t<![CDATA[<c>]]>u</a>', 'a');
    expect(root).toEqual({
      name: 'a',
      attributes: { x: '1' },
      children: [{ name: 'b', attributes: { y: '<A' }, children: [], text: '' }],
      text: 't<c>u',
    });
  });

  it('accepts a leading byte-order mark', () => {
    expect(parseXmlDocument('\uFEFF<?xml version="1.0"?><config status="0"/>', 'config').attributes).toEqual({
      status: '0',
    });
  });

  it.each(['', '   \n\t'])('refuses an empty body %j', (body) => {
    expectProtocolError(() => parseXmlDocument(body, 'config'), 'empty-body');
  });

  it('refuses a body over the size cap before parsing it', () => {
    const huge = `<config status="0" publickey="${'k'.repeat(MAX_XML_BODY_CHARS)}"/>`;
    expectProtocolError(() => parseXmlDocument(huge, 'config'), 'too-large', /limit/);
  });

  it('says which line is broken in malformed XML', () => {
    expectProtocolError(
      () => parseXmlDocument(fixture('malformed.xml'), 'jobrequest'),
      'not-xml',
      /line \d+/,
    );
    expectProtocolError(() => parseXmlDocument('status=0', 'config'), 'not-xml');
  });

  it('names an HTML error page and its title', () => {
    expectProtocolError(
      () => parseXmlDocument(fixture('html-502.html'), 'config'),
      'not-xml',
      /HTML page titled "502 Bad Gateway"/,
    );
    expectProtocolError(
      () => parseXmlDocument(fixture('html-maintenance.html'), 'config'),
      'not-xml',
      /HTML page titled "SheepIt - Maintenance"/,
    );
  });

  it('reports a well-formed page with another root as wrong-root', () => {
    expectProtocolError(
      () => parseXmlDocument(fixture('xhtml-login.html'), 'config'),
      'wrong-root',
      /got <html> \(an HTML page titled "Log in"\)/,
    );
    expectProtocolError(
      () => parseXmlDocument('<jobrequest status="0"/>', 'config'),
      'wrong-root',
      'expected <config>, got <jobrequest>',
    );
  });

  it('refuses two root elements and a document without one', () => {
    expectProtocolError(() => parseXmlDocument('<config/><config/>', 'config'), 'not-xml', /2 root elements/);
    expectProtocolError(() => parseXmlDocument('<?xml version="1.0"?><!-- nothing -->', 'config'), 'not-xml');
  });

  it('does not expand nested DOCTYPE entities (billion laughs) and refuses external ones', () => {
    const root = parseXmlDocument(fixture('entity-bomb.xml'), 'config');
    expect(root.attributes.publickey?.length).toBeLessThan(1000);
    expect(() => parseXmlDocument(fixture('external-entity.xml'), 'config')).toThrow(/entities/);
    expectProtocolError(() => parseXmlDocument(fixture('external-entity.xml'), 'config'), 'not-xml');
  });

  it('bounds the expansion of a flat entity repeated many times, and the number of entities', () => {
    const repeated = `<!DOCTYPE config [<!ENTITY a "${'x'.repeat(999)}">]><config publickey="${'&a;'.repeat(20_000)}"/>`;
    expectProtocolError(() => parseXmlDocument(repeated, 'config'), 'not-xml', /limit exceeded/);
    const many = Array.from({ length: 30 }, (_, index) => `<!ENTITY e${index} "v">`).join('');
    expectProtocolError(
      () => parseXmlDocument(`<!DOCTYPE config [${many}]><config/>`, 'config'),
      'not-xml',
      /Entity count/,
    );
  });

  it('leaves HTML named entities alone and survives prototype-polluting names', () => {
    expect(parseXmlDocument('<a x="&nbsp;"/>', 'a').attributes.x).toBe('&nbsp;');
    const root = parseXmlDocument('<a __proto__="p" constructor="c" toString="t"><prototype/></a>', 'a');
    // Kept under harmless names (so ignored like any unknown attribute), nothing polluted.
    expect(Object.values(root.attributes)).toEqual(['p', 'c', 't']);
    expect(Object.keys(root.attributes)).not.toContain('__proto__');
    expect(Object.getPrototypeOf(root.attributes)).toBe(Object.prototype);
    expect(root.children).toHaveLength(1);
  });
});

describe('readAttributes', () => {
  const schema = z.object({ status: intAttribute, name: z.string(), mode: z.enum(['a', 'b']).optional() });
  const element = (attributes: Record<string, string>) => ({
    name: 'thing',
    attributes,
    children: [],
    text: '',
  });

  it('reads, converts and drops unknown attributes', () => {
    expect(readAttributes(element({ status: '-12', name: 'n', other: 'x' }), schema)).toEqual({
      status: -12,
      name: 'n',
    });
  });

  it('names the missing attribute and its element', () => {
    expectProtocolError(
      () => readAttributes(element({ name: 'n' }), schema),
      'missing-attribute',
      '"status" on <thing>',
    );
  });

  it.each(['', 'abc', '1.5', '+1', ' 1', '1e3', '0x10', '12345678901234567'])(
    'refuses the number %j',
    (value) => {
      expectProtocolError(
        () => readAttributes(element({ status: value, name: 'n' }), schema),
        'bad-number',
        /status=.* on <thing>/,
      );
    },
  );

  it('reports other refusals as invalid-value', () => {
    expectProtocolError(
      () => readAttributes(element({ status: '1', name: 'n', mode: 'c' }), schema),
      'invalid-value',
      /mode="c"/,
    );
  });
});

describe('rendering', () => {
  it('escapes attribute values so they read back unchanged', () => {
    const value = `a&b<c>"d"'e'\tf\ng\rh`;
    expect(escapeXmlAttribute(value)).toBe('a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos;&#9;f&#10;g&#13;h');
    expect(parseXmlDocument(renderElement('x', { v: value }), 'x').attributes.v).toBe(value);
  });

  it('replaces characters XML cannot carry', () => {
    expect(escapeXmlAttribute('a\u0000b\uD800c')).toBe('a\uFFFDb\uFFFDc');
  });

  it('keeps "]]>" and carriage returns inside CDATA text', () => {
    const script = 'x = "]]>"\r\ny = 1\r';
    expect(parseXmlDocument(`<s>${cdata(script)}</s>`, 's').text).toBe(script);
  });

  it('leaves out undefined attributes and closes empty elements', () => {
    expect(renderElement('r', { a: 1, b: undefined, c: '' })).toBe('<r a="1" c=""/>');
    expect(renderDocument('k', { status: 0 })).toBe(
      '<?xml version="1.0" encoding="utf-8"?>\n<k status="0"/>\n',
    );
  });

  it('renders documents the answer parsers accept', () => {
    expect(parseConfigAnswer(renderDocument('config', { status: 102 }), 'text/xml')).toEqual({
      status: 102,
      requests: [],
      speedtestTargets: [],
    });
  });
});
