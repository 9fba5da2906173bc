import { describe, expect, it } from 'vitest';
import { selectionIn, visibleMachines } from '../src/lib/fleet-filter';
import type { MachineSummary } from '../src/server/views';

const machine = (id: string, status: MachineSummary['status']) =>
  ({ id, name: id, online: true, status, reason: null, job: null, hardware: null }) as MachineSummary;

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
});
