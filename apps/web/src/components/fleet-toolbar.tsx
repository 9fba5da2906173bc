'use client';
import Link from 'next/link';
import { STATUS_GROUP_LABEL } from '../lib/format';
import { STATUS_GROUPS, type StatusFilter } from '../server/views';

/** Search, the status filter, select all or none of what is listed, and the way to the fleet settings. */
export function FleetToolbar({
  search,
  onSearch,
  filter,
  onFilter,
  allSelected,
  onSelectAll,
}: {
  search: string;
  onSearch: (search: string) => void;
  filter: StatusFilter;
  onFilter: (filter: StatusFilter) => void;
  allSelected: boolean;
  onSelectAll: (all: boolean) => void;
}) {
  return (
    <div className="toolbar">
      <input
        type="search"
        placeholder="Search machines, projects, GPUs…"
        value={search}
        onChange={(e) => onSearch(e.target.value)}
        aria-label="Search"
      />
      <select
        value={filter}
        onChange={(e) => onFilter(e.target.value as StatusFilter)}
        aria-label="Filter by status"
      >
        <option value="all">All machines</option>
        {STATUS_GROUPS.map((group) => (
          <option key={group} value={group}>
            {STATUS_GROUP_LABEL[group]}
          </option>
        ))}
      </select>
      <button type="button" onClick={() => onSelectAll(!allSelected)}>
        {allSelected ? 'Select none' : 'Select all'}
      </button>
      <Link href="/settings" className="button-link">
        Fleet settings
      </Link>
    </div>
  );
}
