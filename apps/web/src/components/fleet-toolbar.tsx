'use client';
import Link from 'next/link';
import { STATUS_GROUP_LABEL } from '../lib/format';
import { STATUS_GROUPS, type StatusFilter } from '../server/views';

export type FleetLayout = 'cards' | 'table';

/**
 * Search, the status and tag filters, select all or none of what is listed, cards or table, and the
 * way to the fleet settings.
 */
export function FleetToolbar({
  search,
  onSearch,
  filter,
  onFilter,
  tag,
  onTag,
  tags,
  allSelected,
  onSelectAll,
  layout,
  onLayout,
}: {
  search: string;
  onSearch: (search: string) => void;
  filter: StatusFilter;
  onFilter: (filter: StatusFilter) => void;
  /** The tag filter ('' for any) and the tags to choose from. */
  tag: string;
  onTag: (tag: string) => void;
  tags: readonly string[];
  allSelected: boolean;
  onSelectAll: (all: boolean) => void;
  layout: FleetLayout;
  onLayout: (layout: FleetLayout) => void;
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
      <select value={tag} onChange={(e) => onTag(e.target.value)} aria-label="Filter by tag">
        <option value="">Any tag</option>
        {tags.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      <button type="button" onClick={() => onSelectAll(!allSelected)}>
        {allSelected ? 'Select none' : 'Select all'}
      </button>
      <fieldset className="segmented">
        <legend className="visually-hidden">Show machines as</legend>
        {(['cards', 'table'] as const).map((choice) => (
          <button
            key={choice}
            type="button"
            aria-pressed={layout === choice}
            onClick={() => onLayout(choice)}
          >
            {choice === 'cards' ? 'Cards' : 'Table'}
          </button>
        ))}
      </fieldset>
      <Link href="/profiles" className="button-link">
        Profiles
      </Link>
      <Link href="/settings" className="button-link">
        Fleet settings
      </Link>
    </div>
  );
}
