// The profile form's limits as their fields hold them: each limit left, set to no limit or to a
// value, read back exactly as it was saved, and a value left blank named by the form's check.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromLimitsDraft, toLimitsDraft } from '../src/lib/profile-limits';
import { checkFields, ProfileInputSchema, type ProfileLimits } from '../src/lib/profiles';

const GIB = 2 ** 30;
const nullable = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: null });
const profileLimits: fc.Arbitrary<ProfileLimits> = fc.record(
  {
    computeMethod: fc.constantFrom('cpu', 'gpu', 'cpu_gpu'),
    cores: nullable(fc.integer({ min: 1, max: 4096 })),
    memoryBytes: nullable(fc.integer({ min: 64 * 2 ** 20, max: 2 ** 45 })),
    maxFrameTimeSeconds: nullable(fc.integer({ min: 60, max: 7 * 24 * 3600 })),
    priority: fc.integer({ min: -20, max: 19 }),
    requestTime: nullable(fc.constantFrom('mon-fri 18:00-08:00', 'sat-sun all day')),
  },
  { requiredKeys: [] },
);

describe('profile limits in the form', () => {
  it('reads back every limit as saved: left (absent), no limit (null) or its value', () => {
    fc.assert(
      fc.property(profileLimits, (limits) => {
        expect(fromLimitsDraft(toLimitsDraft(limits))).toEqual(limits);
      }),
    );
  });

  it('shows no limit as its own choice, and values in the field units', () => {
    const draft = toLimitsDraft({ cores: null, memoryBytes: 1.5 * GIB, maxFrameTimeSeconds: 61 });
    expect(draft.cores).toEqual({ choice: 'none', text: '' });
    expect(draft.memoryBytes).toEqual({ choice: 'value', text: '1.5' });
    expect(draft.maxFrameTimeSeconds.choice).toBe('value');
    expect(Number(draft.maxFrameTimeSeconds.text) * 60).toBeCloseTo(61);
    expect(draft.priority).toEqual({ choice: 'leave', text: '' });
  });

  it('names a limit set to a value left blank, and accepts no limit where the limit has one', () => {
    const draft = toLimitsDraft({});
    draft.cores = { choice: 'value', text: '' };
    draft.requestTime = { choice: 'none', text: '' };
    const candidate = { name: 'office', limits: fromLimitsDraft(draft), rules: [] };
    const { value, issues, invalid } = checkFields(ProfileInputSchema, candidate);
    expect(value).toBeNull();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^limits\.cores: /);
    expect(invalid('limits.cores')).toBe(true);
    expect(invalid('limits.requestTime')).toBe(false);
    draft.cores = { choice: 'none', text: '' };
    expect(checkFields(ProfileInputSchema, { ...candidate, limits: fromLimitsDraft(draft) }).value).toEqual({
      name: 'office',
      limits: { cores: null, requestTime: null },
      rules: [],
    });
  });
});
