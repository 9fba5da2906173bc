import { describe, expect, it } from 'vitest';
import { type FleetRow, nextSort, sortRows, TABLE_COLUMNS } from '../src/lib/fleet-table';
import type { MachineSummary } from '../src/server/views';

const row = (
  name: string,
  status: MachineSummary['status'],
  creditsToday?: number,
  progress?: number,
): FleetRow => ({
  machine: {
    id: name,
    name,
    online: status !== 'offline',
    status,
    reason: null,
    job: progress === undefined ? null : { project: `p-${name}`, progress },
    tags: [name.slice(0, 1)],
    agentVersion: '1.0',
    blender: null,
    framesToday: creditsToday === undefined ? 0 : 1,
    creditsToday: creditsToday ?? 0,
  } as MachineSummary,
  activity:
    creditsToday === undefined
      ? undefined
      : {
          machineId: name,
          frames7d: 1,
          credits7d: creditsToday,
          lastFrameAt: creditsToday,
          errorsToday: 0,
        },
});

const names = (rows: FleetRow[]) => rows.map((r) => r.machine.name);

describe('the fleet table', () => {
  const rows = [
    row('c', 'rendering', 30, 0.5),
    row('a', 'offline'),
    row('b', 'paused', 30),
    row('d', 'rendering', 5, 0.9),
  ];

  it('sorts by a number column either way, ties by name, machines without figures as zero', () => {
    expect(names(sortRows(rows, { column: 'creditsToday', descending: true }))).toEqual(['b', 'c', 'd', 'a']);
    expect(names(sortRows(rows, { column: 'creditsToday', descending: false }))).toEqual([
      'a',
      'd',
      'b',
      'c',
    ]);
    expect(names(sortRows(rows, { column: 'progress', descending: true }))).toEqual(['d', 'c', 'a', 'b']);
  });

  it('sorts by status group in the overview order (working first, offline last)', () => {
    expect(names(sortRows(rows, { column: 'status', descending: false }))).toEqual(['c', 'd', 'b', 'a']);
  });

  it('sorts by every column without throwing, and a second click turns the order round', () => {
    for (const column of TABLE_COLUMNS) expect(sortRows(rows, { column, descending: false })).toHaveLength(4);
    const byName = { column: 'name', descending: false } as const;
    expect(nextSort(byName, 'name')).toEqual({ column: 'name', descending: true });
    expect(nextSort(byName, 'errors')).toEqual({ column: 'errors', descending: false });
  });
});
