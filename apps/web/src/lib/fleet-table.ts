import type { MachineActivity } from '../server/db/activity-repo';
import { type MachineSummary, STATUS_GROUPS, statusGroupOf } from '../server/views';
import { compareKeys, compareValues, type SortedList, updateSorted } from './sorted-list';

/** A table row: the live machine and, once loaded, its stored frames, credits and errors. */
export interface FleetRow {
  machine: MachineSummary;
  activity: MachineActivity | undefined;
}

export const TABLE_COLUMNS = [
  'name',
  'status',
  'project',
  'progress',
  'framesToday',
  'creditsToday',
  'frames7d',
  'credits7d',
  'lastFrame',
  'errors',
  'versions',
  'tags',
] as const;
export type TableColumn = (typeof TABLE_COLUMNS)[number];
export interface TableSort {
  column: TableColumn;
  descending: boolean;
}

export const COLUMN_LABEL: Record<TableColumn, string> = {
  name: 'Name',
  status: 'Status',
  project: 'Project',
  progress: 'Progress',
  framesToday: 'Frames today',
  creditsToday: 'Credits today',
  frames7d: 'Frames 7 d',
  credits7d: 'Credits 7 d',
  lastFrame: 'Last frame',
  errors: 'Errors today',
  versions: 'Versions',
  tags: 'Tags',
};

/** Columns left out on a narrow screen (a phone): the rest scroll sideways. */
export const WIDE_ONLY_COLUMNS: ReadonlySet<TableColumn> = new Set([
  'framesToday',
  'frames7d',
  'credits7d',
  'errors',
  'versions',
]);

const SORT_VALUE: Record<TableColumn, (row: FleetRow) => string | number> = {
  name: ({ machine }) => machine.name,
  // By status group in the overview's order, then by what the machine says.
  status: ({ machine }) =>
    `${STATUS_GROUPS.indexOf(statusGroupOf(machine))} ${machine.status} ${machine.reason?.message ?? ''}`,
  project: ({ machine }) => machine.job?.project ?? '',
  progress: ({ machine }) => machine.job?.progress ?? -1,
  framesToday: ({ machine }) => machine.framesToday,
  creditsToday: ({ machine }) => machine.creditsToday,
  frames7d: ({ activity }) => activity?.frames7d ?? 0,
  credits7d: ({ activity }) => activity?.credits7d ?? 0,
  lastFrame: ({ activity }) => activity?.lastFrameAt ?? 0,
  errors: ({ activity }) => activity?.errorsToday ?? 0,
  versions: ({ machine }) => `${machine.agentVersion ?? ''} ${machine.blender ?? ''}`,
  tags: ({ machine }) => machine.tags.join(' '),
};

/** The table's rows in order and what the next live update needs to keep that order (see `updateSorted`). */
export interface SortedRows {
  sort: TableSort;
  list: SortedList<FleetRow>;
}

/**
 * The rows in the table's order: by the chosen column, then by name, then by id (ties never reshuffle
 * on an update). With the previous update's result, only the rows whose sort value changed are sorted.
 */
export function sortRowsAfter(
  previous: SortedRows | null,
  rows: Iterable<FleetRow>,
  sort: TableSort,
): SortedRows {
  const sortValueOf = SORT_VALUE[sort.column];
  const direction = sort.descending ? -1 : 1;
  const list = updateSorted(
    previous?.sort.column === sort.column && previous.sort.descending === sort.descending
      ? previous.list
      : null,
    rows,
    (row) => row.machine.id,
    (row) => [sortValueOf(row), row.machine.name, row.machine.id],
    (a, b) => direction * compareValues(a[0], b[0]) || compareKeys(a, b, 1),
  );
  return { sort, list };
}

/** The rows in the table's order: by the chosen column, then by name, then by id. */
export function sortRows(rows: FleetRow[], sort: TableSort): FleetRow[] {
  return [...sortRowsAfter(null, rows, sort).list.items];
}

/** A click on a column's header: that column ascending, or the other way when it is already the one. */
export function nextSort(current: TableSort, column: TableColumn): TableSort {
  return current.column === column
    ? { column, descending: !current.descending }
    : { column, descending: false };
}
