'use client';
import { useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import Link from 'next/link';
import { type KeyboardEvent, memo, useEffect, useMemo, useRef, useState } from 'react';
import {
  COLUMN_LABEL,
  type FleetRow,
  nextSort,
  type SortedRows,
  sortRowsAfter,
  TABLE_COLUMNS,
  type TableColumn,
  type TableSort,
  WIDE_ONLY_COLUMNS,
} from '../lib/fleet-table';
import { formatAgo, formatCredits } from '../lib/format';
import { useTRPC } from '../lib/trpc';
import type { MachineActivity } from '../server/db/activity-repo';
import { type MachineSummary, shownStatus } from '../server/views';
import { StatusBadge } from './status';
import { TagChips } from './tags';

/** Every row is this tall (CSS keeps it so), which lets the list render only the rows in view. */
const ROW_HEIGHT = 44;
/** Stored frames, credits and errors are asked for again this often (they change with each frame). */
const ACTIVITY_REFRESH_MS = 60_000;

const columnClass = (column: TableColumn) =>
  `col-${column}${WIDE_ONLY_COLUMNS.has(column) ? ' wide-only' : ''}`;

function Cell({
  column,
  machine,
  activity,
}: {
  column: TableColumn;
  machine: MachineSummary;
  activity: MachineActivity | undefined;
}) {
  switch (column) {
    case 'name':
      // No prefetch: every row scrolled into view would register an observer and fetch its page.
      return (
        <Link href={`/machines/${machine.id}`} prefetch={false}>
          {machine.name}
        </Link>
      );
    case 'status':
      return (
        <>
          <StatusBadge status={shownStatus(machine)} />
          {machine.reason && (
            <span className="cell-note" title={machine.reason.message}>
              {' '}
              {machine.reason.message}
            </span>
          )}
        </>
      );
    case 'project':
      return machine.job ? (
        <span title={machine.job.project}>
          {machine.job.project} · {machine.job.frame}
        </span>
      ) : (
        <span className="muted">—</span>
      );
    case 'progress':
      return <Progress machine={machine} />;
    case 'framesToday':
      return <>{machine.framesToday.toLocaleString()}</>;
    case 'creditsToday':
      return <>{formatCredits(machine.creditsToday)}</>;
    case 'frames7d':
      return <>{(activity?.frames7d ?? 0).toLocaleString()}</>;
    case 'credits7d':
      return <>{formatCredits(activity?.credits7d ?? 0)}</>;
    case 'lastFrame':
      return <>{formatAgo(activity?.lastFrameAt)}</>;
    case 'errors':
      return <span className={activity?.errorsToday ? 'cell-errors' : ''}>{activity?.errorsToday ?? 0}</span>;
    case 'versions':
      return (
        <span className="cell-note" title="Agent and Blender versions">
          {machine.agentVersion ? `agent ${machine.agentVersion}` : '—'}
          {machine.blender ? ` · Blender ${machine.blender}` : ''}
        </span>
      );
    case 'tags':
      // Chips past the column's width are cut: the title lists them all.
      return (
        <span title={machine.tags.join(', ')}>
          <TagChips tags={machine.tags} />
        </span>
      );
  }
}

function Progress({ machine }: { machine: MachineSummary }) {
  const progress = machine.job?.progress;
  if (progress === undefined || progress === null) return <span className="muted">—</span>;
  const percent = Math.round(progress * 100);
  return (
    <span className="cell-progress" title={`${percent}%`}>
      <span className="cell-progress-bar" style={{ width: `${percent}%` }} />
      <span>{percent}%</span>
    </span>
  );
}

/**
 * Memoised: a live update re-renders only the rows whose machine or figures changed (an unchanged
 * machine keeps its summary object, and its stored figures keep theirs until they are read again).
 */
const TableRow = memo(function TableRow({
  machine,
  activity,
  index,
  selected,
  onSelect,
}: {
  machine: MachineSummary;
  activity: MachineActivity | undefined;
  index: number;
  selected: boolean;
  onSelect: (id: string, selected: boolean) => void;
}) {
  return (
    <tr data-index={index} data-testid="machine-row" data-machine-id={machine.id} data-selected={selected}>
      <td className="col-select">
        <input
          type="checkbox"
          checked={selected}
          onChange={(event) => onSelect(machine.id, event.target.checked)}
          aria-label={`Select ${machine.name}`}
        />
      </td>
      {TABLE_COLUMNS.map((column) => (
        <td key={column} className={columnClass(column)}>
          <Cell column={column} machine={machine} activity={activity} />
        </td>
      ))}
    </tr>
  );
});

/** The rows in the table's order, kept from one live update to the next (see `sortRowsAfter`). */
function useSortedRows(
  machines: readonly MachineSummary[],
  activityById: ReadonlyMap<string, MachineActivity>,
  sort: TableSort,
): readonly FleetRow[] {
  const previous = useRef<SortedRows | null>(null);
  return useMemo(() => {
    const rows = machines.map((machine) => ({ machine, activity: activityById.get(machine.id) }));
    previous.current = sortRowsAfter(previous.current, rows, sort);
    return previous.current.list.items;
  }, [machines, activityById, sort]);
}

const KEY_STEP: Record<string, (index: number, count: number, page: number) => number> = {
  ArrowDown: (index) => index + 1,
  ArrowUp: (index) => index - 1,
  PageDown: (index, _, page) => index + page,
  PageUp: (index, _, page) => index - page,
  Home: () => 0,
  End: (_, count) => count - 1,
};

/**
 * The machines as a dense table, sortable by every column, rendering only the rows in view (5,000
 * machines scroll as lightly as 50). Arrow keys, Page Up/Down, Home and End move between rows' checkboxes.
 */
export function FleetTable({
  machines,
  selected,
  onSelect,
}: {
  machines: readonly MachineSummary[];
  selected: ReadonlySet<string>;
  onSelect: (id: string, selected: boolean) => void;
}) {
  const trpc = useTRPC();
  const activity = useQuery(
    trpc.fleet.activity.queryOptions(undefined, { refetchInterval: ACTIVITY_REFRESH_MS }),
  );
  const [sort, setSort] = useState<TableSort>({ column: 'name', descending: false });
  const activityById = useMemo(
    () => new Map((activity.data ?? []).map((a) => [a.machineId, a])),
    [activity.data],
  );
  const rows = useSortedRows(machines, activityById, sort);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const pendingFocus = useRef<number | null>(null);
  useEffect(() => {
    if (pendingFocus.current === null) return;
    const box = scroller.current?.querySelector<HTMLInputElement>(
      `tr[data-index="${pendingFocus.current}"] input[type="checkbox"]`,
    );
    if (box) {
      box.focus({ preventScroll: true });
      pendingFocus.current = null;
    }
  });
  const onKeyDown = (event: KeyboardEvent<HTMLTableSectionElement>) => {
    const step = KEY_STEP[event.key];
    const from = (event.target as HTMLElement).closest('tr')?.dataset.index;
    if (!step || from === undefined) return;
    event.preventDefault();
    const page = Math.max(
      1,
      Math.floor((scroller.current?.clientHeight ?? ROW_HEIGHT * 10) / ROW_HEIGHT) - 1,
    );
    const target = Math.min(rows.length - 1, Math.max(0, step(Number(from), rows.length, page)));
    pendingFocus.current = target;
    virtualizer.scrollToIndex(target, { align: 'auto' });
    scroller.current
      ?.querySelector<HTMLInputElement>(`tr[data-index="${target}"] input[type="checkbox"]`)
      ?.focus({ preventScroll: true });
  };
  const items = virtualizer.getVirtualItems();
  const before = items[0]?.start ?? 0;
  const after = virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0);
  return (
    <div className="table-scroll" ref={scroller} data-testid="fleet-table">
      <table className="fleet-table" aria-rowcount={rows.length + 1}>
        <thead>
          <tr>
            <th className="col-select" scope="col">
              <span className="visually-hidden">Selected</span>
            </th>
            {TABLE_COLUMNS.map((column) => (
              <th
                key={column}
                scope="col"
                className={columnClass(column)}
                aria-sort={sort.column === column ? (sort.descending ? 'descending' : 'ascending') : 'none'}
              >
                <button type="button" onClick={() => setSort((current) => nextSort(current, column))}>
                  {COLUMN_LABEL[column]}
                  <span aria-hidden="true">
                    {sort.column === column ? (sort.descending ? ' ▼' : ' ▲') : ''}
                  </span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody onKeyDown={onKeyDown}>
          {before > 0 && (
            <tr className="spacer-row">
              <td style={{ height: before }} colSpan={TABLE_COLUMNS.length + 1} />
            </tr>
          )}
          {items.map((item) => {
            const row = rows[item.index] as FleetRow;
            return (
              <TableRow
                key={row.machine.id}
                machine={row.machine}
                activity={row.activity}
                index={item.index}
                selected={selected.has(row.machine.id)}
                onSelect={onSelect}
              />
            );
          })}
          {after > 0 && (
            <tr className="spacer-row">
              <td style={{ height: after }} colSpan={TABLE_COLUMNS.length + 1} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
