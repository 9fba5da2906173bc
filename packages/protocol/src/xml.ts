import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import { ProtocolError } from './errors';

/** The Content-Type the farm sends with every XML answer (docs/decisions.md D3). */
export const XML_CONTENT_TYPE = 'text/xml; charset=utf-8';
/** Content-Type of the XML bodies the client sends (`<cache>`, `<speedtest>`), as the official client. */
export const CLIENT_XML_CONTENT_TYPE = 'application/xml; charset=utf-8';
/** No SheepIt answer comes near this; anything bigger is refused before parsing. */
export const MAX_XML_BODY_CHARS = 8 * 1024 * 1024;

const XML_PROLOG = '<?xml version="1.0" encoding="utf-8"?>\n';

/** A parsed XML element: attributes as sent (entities decoded), text = all text and CDATA joined. */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  readonly text: string;
}

/**
 * The optional last argument of every answer parser: the answer's Content-Type header.
 * - left out entirely: the caller chose not to check (e.g. tests, or a transport that already did);
 * - passed as `null` or `undefined` (a header lookup that found nothing): rejected, 'wrong-content-type';
 * - a string: accepted only when its media type is `text/xml` (the official client accepts nothing else).
 * It is a rest tuple so "left out" and "passed but undefined" can be told apart: a missing header
 * fails closed.
 */
export type ContentTypeArgument = [contentType?: string | null];

/** Throws 'wrong-content-type' unless the media type is text/xml; null and undefined mean "no header". */
export function checkXmlContentType(contentType: string | null | undefined): void {
  if (contentType === undefined || contentType === null) {
    throw new ProtocolError('wrong-content-type', 'the answer has no Content-Type');
  }
  const mediaType = contentType.split(';', 1)[0]?.trim().toLowerCase();
  if (mediaType !== 'text/xml') {
    throw new ProtocolError('wrong-content-type', `expected text/xml, got "${contentType.slice(0, 100)}"`);
  }
}

// fast-xml-parser refuses these names outright; renaming them keeps an odd tag or attribute from
// failing a whole answer (they are unknown to the protocol and so ignored anyway).
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const renameReserved = (name: string) => (RESERVED_NAMES.has(name) ? `reserved-${name}` : name);

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  cdataPropName: '#cdata',
  ignoreDeclaration: true,
  ignorePiTags: true,
  // DOCTYPE entities stay bounded: nested references are left unexpanded, external ones refused,
  // count and expanded length capped (an entity bomb becomes 'not-xml', never a memory blow-up).
  processEntities: { enabled: true, maxEntityCount: 20, maxEntitySize: 1000, maxExpandedLength: 100_000 },
  // fast-xml-parser 5.12 takes an object here as the named-entity map and then also decodes numeric
  // references (&#10;); its typings only say boolean. Tested in xml.test.ts, so an upgrade that
  // changes this fails loudly.
  htmlEntities: {} as unknown as boolean,
  transformTagName: renameReserved,
  transformAttributeName: renameReserved,
});

type OrderedNode = Record<string, unknown>;

/**
 * Parses an XML answer after the checks every answer shares (content type, empty, size, well-formed,
 * root name). Throws only ProtocolError.
 */
export function parseXmlDocument(
  body: string,
  root: string,
  ...contentType: ContentTypeArgument
): XmlElement {
  if (contentType.length > 0) checkXmlContentType(contentType[0]);
  if (typeof body !== 'string') throw new ProtocolError('empty-body', `no <${root}> answer`);
  if (body.length > MAX_XML_BODY_CHARS) {
    throw new ProtocolError('too-large', `${body.length} characters, the limit is ${MAX_XML_BODY_CHARS}`);
  }
  if (body.trim() === '') throw new ProtocolError('empty-body', `no <${root}> answer`);
  // A UTF-8 byte-order mark decoded as text is legal before the prolog; the validator would refuse it.
  const element = parseRootElement(body.startsWith('\uFEFF') ? body.slice(1) : body);
  if (element.name !== root) {
    const html = element.name.toLowerCase() === 'html' ? ` (an HTML page${htmlTitle(body)})` : '';
    throw new ProtocolError('wrong-root', `expected <${root}>, got <${element.name}>${html}`);
  }
  return element;
}

function parseRootElement(body: string): XmlElement {
  const validation = XMLValidator.validate(body);
  if (validation !== true) {
    const { msg, line, col } = validation.err;
    throw new ProtocolError('not-xml', `${describeNonXml(body)}line ${line}, column ${col}: ${msg}`);
  }
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(body) as OrderedNode[];
  } catch (error) {
    throw new ProtocolError('not-xml', error instanceof Error ? error.message : String(error));
  }
  const roots = nodes.map(toElement).filter((node): node is XmlElement => node !== undefined);
  if (roots.length !== 1) throw new ProtocolError('not-xml', `${roots.length} root elements, expected one`);
  return roots[0] as XmlElement;
}

function describeNonXml(body: string): string {
  if (/<!doctype\s+html|<html[\s>]/i.test(body)) return `an HTML page${htmlTitle(body)} instead of XML; `;
  return '';
}

function htmlTitle(body: string): string {
  const title = /<title[^>]*>([^<]{1,120})/i.exec(body)?.[1]?.trim();
  return title ? ` titled "${title}"` : '';
}

/** Converts one preserveOrder node; text and CDATA nodes give undefined (they are read by textOf). */
function toElement(node: OrderedNode): XmlElement | undefined {
  const name = Object.keys(node).find((key) => key !== ':@' && key !== '#text' && key !== '#cdata');
  if (name === undefined) return undefined;
  const content = asNodeList(node[name]);
  const rawAttributes = (node[':@'] ?? {}) as Record<string, unknown>;
  const attributes = Object.fromEntries(
    Object.entries(rawAttributes).map(([key, value]) => [key, String(value)]),
  );
  const children = content.map(toElement).filter((child): child is XmlElement => child !== undefined);
  return { name, attributes, children, text: textOf(content) };
}

function textOf(content: OrderedNode[]): string {
  return content
    .map((node) => {
      if ('#text' in node) return String(node['#text']);
      if ('#cdata' in node) return textOf(asNodeList(node['#cdata']));
      return '';
    })
    .join('');
}

function asNodeList(value: unknown): OrderedNode[] {
  return Array.isArray(value) ? (value as OrderedNode[]) : [];
}

export function childElement(parent: XmlElement, name: string): XmlElement | undefined {
  return parent.children.find((child) => child.name === name);
}

export function childElements(parent: XmlElement, name: string): XmlElement[] {
  return parent.children.filter((child) => child.name === name);
}

export function requireChild(parent: XmlElement, name: string): XmlElement {
  const child = childElement(parent, name);
  if (child === undefined) throw new ProtocolError('missing-element', `<${name}> in <${parent.name}>`);
  return child;
}

const WHOLE_NUMBER = /^-?\d{1,15}$/;

/** An attribute holding a whole number (SheepIt ints and longs); anything else is 'bad-number'. */
export const intAttribute = z.string().regex(WHOLE_NUMBER, { error: 'bad-number' }).transform(Number);

/**
 * Reads an element's attributes through a zod object schema. Unknown attributes are dropped; a
 * missing required one is 'missing-attribute', a malformed number 'bad-number', anything else
 * rejected by the schema 'invalid-value' — each naming the attribute and the element.
 */
export function readAttributes<Schema extends z.ZodObject>(
  element: XmlElement,
  schema: Schema,
): z.output<Schema> {
  const result = schema.safeParse(element.attributes);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const attribute = String(issue?.path[0] ?? '?');
  const value = element.attributes[attribute];
  if (value === undefined)
    throw new ProtocolError('missing-attribute', `"${attribute}" on <${element.name}>`);
  const where = `${attribute}="${value.slice(0, 100)}" on <${element.name}>`;
  if (issue?.message === 'bad-number')
    throw new ProtocolError('bad-number', `${where} is not a whole number`);
  throw new ProtocolError('invalid-value', `${where}: ${issue?.message ?? 'rejected'}`);
}

// ---- rendering (server side) ----

// Characters XML 1.0 cannot carry at all; the renderers replace them with U+FFFD.
const NOT_XML_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const ATTRIBUTE_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/** Replaces what XML 1.0 cannot carry (control characters, lone surrogates) with U+FFFD. */
export function toXmlCharacters(value: string): string {
  return value.replace(NOT_XML_CHARACTER, '\uFFFD');
}

export function escapeXmlAttribute(value: string): string {
  return toXmlCharacters(value).replace(/[&<>"'\t\n\r]/g, (char) => ATTRIBUTE_ESCAPES[char] ?? char);
}

/** Text as CDATA; `]]>` and carriage returns (which parsers normalise away) are split out. */
export function cdata(text: string): string {
  const safe = toXmlCharacters(text)
    .replaceAll(']]>', ']]]]><![CDATA[>')
    .replaceAll('\r', ']]>&#13;<![CDATA[');
  return `<![CDATA[${safe}]]>`;
}

export type AttributeValues = Readonly<Record<string, string | number | undefined>>;

/** `<name a="…"/>` or `<name a="…">inner</name>`; undefined attributes are left out. */
export function renderElement(name: string, attributes: AttributeValues, inner?: string): string {
  const rendered = Object.entries(attributes)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXmlAttribute(String(value))}"`)
    .join('');
  return inner === undefined || inner === ''
    ? `<${name}${rendered}/>`
    : `<${name}${rendered}>${inner}</${name}>`;
}

/** A whole answer document: prolog + root element, children one per line. */
export function renderDocument(
  name: string,
  attributes: AttributeValues,
  children: readonly string[] = [],
): string {
  const inner = children.length === 0 ? undefined : `\n${children.map((child) => `  ${child}\n`).join('')}`;
  return `${XML_PROLOG}${renderElement(name, attributes, inner)}\n`;
}
