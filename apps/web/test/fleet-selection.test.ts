import { describe, expect, it } from 'vitest';
import { selectionIn, tagsInFleet, visibleMachines } from '../src/lib/fleet-filter';
import type { MachineSummary } from '../src/server/views';

const machine = (id: string, status: MachineSummary['status'], tags: string[] = []) =>
  ({ id, name: id, online: true, status, reason: null, job: null, hardware: null, tags }) as MachineSummary;

describe('a selection under a filter', () => {
  it('acts only on the selected machines the list shows, and counts the hidden ones left out', () => {
    const fleet = [machine('a', 'rendering'), machine('b', 'paused'), machine('c', 'rendering')];
    const selected = new Set(['a', 'b', 'gone']);
    const shown = visibleMachines(fleet, 'working', '');
    expect(selectionIn(selected, shown, new Set(fleet.map((m) => m.id)))).toEqual({ ids: ['a'], hidden: 1 });
    expect(selectionIn(selected, visibleMachines(fleet, 'all', ''), new Set(['a', 'b', 'c']))).toEqual({
      ids: ['a', 'b'],
      hidden: 0,
    });
  });

  it('composes the tag filter with the status filter and search, and leaves out what it hides', () => {
    const fleet = [
      machine('a', 'rendering', ['lab', 'gpu']),
      machine('b', 'paused', ['lab']),
      machine('c', 'rendering', ['gpu']),
    ];
    expect(tagsInFleet(fleet)).toEqual(['gpu', 'lab']);
    expect(visibleMachines(fleet, 'all', '', 'lab').map((m) => m.id)).toEqual(['a', 'b']);
    expect(visibleMachines(fleet, 'working', '', 'lab').map((m) => m.id)).toEqual(['a']);
    expect(visibleMachines(fleet, 'all', 'gpu', 'lab').map((m) => m.id)).toEqual(['a']);
    const shown = visibleMachines(fleet, 'all', '', 'gpu');
    expect(selectionIn(new Set(['a', 'b', 'c']), shown, new Set(['a', 'b', 'c']))).toEqual({
      ids: ['a', 'c'],
      hidden: 1,
    });
  });

  it('lists machines by name, equal names by id, the same whatever order they arrive in', () => {
    const named = (id: string, name: string) => ({ ...machine(id, 'idle'), name });
    const fleet = [named('m2', 'beta'), named('m3', 'Alpha'), named('m1', 'beta')];
    expect(visibleMachines(fleet, 'all', '').map((m) => m.id)).toEqual(['m3', 'm1', 'm2']);
    expect(visibleMachines([...fleet].reverse(), 'all', '').map((m) => m.id)).toEqual(['m3', 'm1', 'm2']);
  });
});
