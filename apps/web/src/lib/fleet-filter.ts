import { inStatusFilter, type MachineSummary, type StatusFilter } from '../server/views';
import { compareKeys, type SortedList, updateSorted } from './sorted-list';

/** Every word of the search appears in the machine's name, project, reason, CPU, GPUs or tags. */
function matchesSearch(machine: MachineSummary, search: string): boolean {
  if (!search) return true;
  const haystack = [
    machine.name,
    machine.job?.project,
    machine.reason?.message,
    machine.hardware?.cpu,
    ...(machine.hardware?.gpus ?? []),
    ...machine.tags,
  ]
    .join(' ')
    .toLowerCase();
  return search
    .toLowerCase()
    .split(/\s+/)
    .every((word) => haystack.includes(word));
}

/** Whether the overview lists this machine for this status filter, search and tag ('' for any). */
export function isListed(machine: MachineSummary, filter: StatusFilter, search: string, tag = ''): boolean {
  return (
    inStatusFilter(machine, filter) &&
    (tag === '' || machine.tags.includes(tag)) &&
    matchesSearch(machine, search)
  );
}

/**
 * The machines by name (then id), reusing the previous update's order (null: none): a live update
 * sorts only the machines that came or were renamed.
 */
export function machinesByName(
  previous: SortedList<MachineSummary> | null,
  machines: Iterable<MachineSummary>,
): SortedList<MachineSummary> {
  return updateSorted(
    previous,
    machines,
    (machine) => machine.id,
    (machine) => [machine.name, machine.id],
    compareKeys,
  );
}

/** The machines the overview lists for this status filter, search and tag ('' for any), by name. */
export function visibleMachines(
  machines: Iterable<MachineSummary>,
  filter: StatusFilter,
  search: string,
  tag = '',
): MachineSummary[] {
  return machinesByName(null, machines).items.filter((machine) => isListed(machine, filter, search, tag));
}

/** Every tag set on some machine of the fleet, sorted: the tag filter's choices. */
export function tagsInFleet(machines: Iterable<MachineSummary>): string[] {
  const tags = new Set<string>();
  for (const machine of machines) for (const tag of machine.tags) tags.add(tag);
  return [...tags].sort((a, b) => a.localeCompare(b));
}

/**
 * The selected machines a bulk action reaches: those the list shows. `hidden`: selected machines the
 * search or filter hides (left out, and the user is told); machines that are gone do not count.
 */
export function selectionIn(
  selected: ReadonlySet<string>,
  visible: readonly MachineSummary[],
  existing: { has(id: string): boolean },
): { ids: string[]; hidden: number } {
  const ids = visible.filter((machine) => selected.has(machine.id)).map((machine) => machine.id);
  const hidden = [...selected].filter((id) => existing.has(id)).length - ids.length;
  return { ids, hidden };
}
