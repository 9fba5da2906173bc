import { describe, expect, it } from 'vitest';
import {
  parseErrorAnswer,
  parseJobValidateAnswer,
  parseKeepAliveAnswer,
  renderErrorAnswer,
  renderJobValidateAnswer,
  renderKeepAliveAnswer,
  XML_CONTENT_TYPE,
} from '../../src/index';
import { expectProtocolError, fixture } from '../helpers';

const statusAnswers = [
  {
    root: 'keepmealive',
    parse: parseKeepAliveAnswer,
    render: renderKeepAliveAnswer,
    fixture: 'keepmealive.valid.xml',
  },
  {
    root: 'jobvalidate',
    parse: parseJobValidateAnswer,
    render: renderJobValidateAnswer,
    fixture: 'jobvalidate.valid.xml',
  },
  { root: 'error', parse: parseErrorAnswer, render: renderErrorAnswer, fixture: 'error.valid.xml' },
];

describe.each(statusAnswers)('<$root> answer', ({ root, parse, render, fixture: name }) => {
  it('reads the status of the sample', () => {
    expect(parse(fixture(name), XML_CONTENT_TYPE)).toEqual({ status: 0 });
  });

  it('ignores unknown attributes and children', () => {
    expect(parse(`<${root} status="304" reason="x"><detail/></${root}>`, 'text/xml')).toEqual({
      status: 304,
    });
  });

  it('refuses a missing or malformed status', () => {
    expectProtocolError(() => parse(`<${root}/>`), 'missing-attribute', `"status" on <${root}>`);
    expectProtocolError(() => parse(`<${root} status=""/>`), 'bad-number');
  });

  it('refuses the root of another answer', () => {
    const other = root === 'jobvalidate' ? 'keepmealive' : 'jobvalidate';
    expectProtocolError(
      () => parse(`<${other} status="0"/>`),
      'wrong-root',
      `expected <${root}>, got <${other}>`,
    );
  });

  it('renders a document it parses back', () => {
    const rendered = render({ status: 400 });
    expect(rendered).toBe(`<?xml version="1.0" encoding="utf-8"?>\n<${root} status="400"/>\n`);
    expect(parse(rendered, XML_CONTENT_TYPE)).toEqual({ status: 400 });
  });
});

it('reads the keepmealive stop order', () => {
  expect(parseKeepAliveAnswer(fixture('keepmealive.stop.xml'), 'text/xml; charset=utf-8')).toEqual({
    status: 400,
  });
});
