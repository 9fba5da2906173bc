import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FleetRow,
  nextSort,
  type SortedRows,
  sortRows,
  sortRowsAfter,
  TABLE_COLUMNS,
} from '../src/lib/fleet-table';
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

  it('keeps its order through live updates and sort changes exactly as a fresh sort would', () => {
    const liveRow = fc
      .record({
        name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
        status: fc.constantFrom('rendering', 'offline', 'paused', 'idle'),
        credits: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
        progress: fc.option(fc.constantFrom(0, 0.5, 1), { nil: undefined }),
      })
      .map(({ name, status, credits, progress }) =>
        row(name, status as MachineSummary['status'], credits, progress),
      );
    const update = fc.record({
      rows: fc.uniqueArray(liveRow, { selector: (r) => r.machine.id, maxLength: 8 }),
      sort: fc.record({ column: fc.constantFrom(...TABLE_COLUMNS), descending: fc.boolean() }),
    });
    fc.assert(
      fc.property(fc.array(update, { minLength: 1, maxLength: 10 }), (updates) => {
        let sorted: SortedRows | null = null;
        for (const { rows: live, sort } of updates) {
          sorted = sortRowsAfter(sorted, live, sort);
          expect(names([...sorted.list.items])).toEqual(names(sortRows(live, sort)));
        }
      }),
    );
  });

  it('orders equal names by id, whatever order the rows come in', () => {
    const twin = (id: string) => ({
      ...row('same', 'idle'),
      machine: { ...row('same', 'idle').machine, id },
    });
    const ids = (rows: FleetRow[]) => rows.map((r) => r.machine.id);
    const byName = { column: 'name', descending: false } as const;
    expect(ids(sortRows([twin('y'), twin('x'), twin('z')], byName))).toEqual(['x', 'y', 'z']);
  });
});
