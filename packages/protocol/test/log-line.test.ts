import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedLogFields, LogLineSchema, logLineText } from '../src/link';

const fieldValue = fc.oneof(
  fc.string({ maxLength: 2000 }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(undefined),
);

describe('log lines with their fields', () => {
  it('read and search as `message key=value …`, quoting values with spaces', () => {
    const line = {
      at: 1,
      level: 'info' as const,
      message: 'job received',
      fields: { job: '100', project: 'Demo: turning cube', frame: '0007' },
    };
    expect(logLineText(line)).toBe('job received job=100 project="Demo: turning cube" frame=0007');
    expect(logLineText({ message: 'logged out' })).toBe('logged out');
  });

  it('any logger fields, bounded, make a line the link accepts', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.oneof(fc.string({ maxLength: 80 }), fc.constant('__proto__')), fieldValue, {
          maxKeys: 40,
        }),
        (fields) => {
          const bounded = boundedLogFields(fields);
          const parsed = LogLineSchema.safeParse({ at: 0, level: 'warn', message: 'm', fields: bounded });
          expect(parsed.success).toBe(true);
          const kept = Object.values(fields).filter((value) => value !== undefined).length;
          expect(Object.keys(bounded ?? {}).length).toBeLessThanOrEqual(Math.min(16, kept));
        },
      ),
    );
  });
});
