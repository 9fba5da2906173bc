import { describe, expect, it } from 'vitest';
import { formatCpuLoad, formatDuration } from '../src/lib/format';

describe('formatDuration', () => {
  it('keeps a tenth of a second below ten seconds, so quick frames do not read "0 s"', () => {
    expect(formatDuration(0.42)).toBe('0.4 s');
    expect(formatDuration(3.26)).toBe('3.3 s');
  });

  it('rounds to whole units above that', () => {
    expect(formatDuration(12.4)).toBe('12 s');
    expect(formatDuration(125)).toBe('2 min 05 s');
    expect(formatDuration(7260)).toBe('2 h 01 min');
  });

  it('says nothing was measured for missing values', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
    expect(formatDuration(0)).toBe('0 s');
  });
});

describe('formatCpuLoad', () => {
  it('turns top units (100 per busy core) into a share of the whole machine', () => {
    expect(formatCpuLoad(150, 4)).toBe('38% CPU');
    expect(formatCpuLoad(800, 8)).toBe('100% CPU');
    expect(formatCpuLoad(50, 0)).toBe('50% CPU');
  });
});
