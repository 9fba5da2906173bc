'use client';
import { useSearchParams } from 'next/navigation';
import { useCallback, useMemo, useRef, useState } from 'react';
import { isListed, machinesByName, selectionIn, tagsInFleet } from '../lib/fleet-filter';
import type { SortedList } from '../lib/sorted-list';
import type { MachineSummary, StatusFilter } from '../server/views';
import { AddMachineDialog } from './add-machine-dialog';
import { BulkActions } from './bulk-actions';
import { FleetTable } from './fleet-table';
import { type FleetLayout, FleetToolbar } from './fleet-toolbar';
import { FleetTotalsTiles } from './fleet-totals';
import { HistoryCharts } from './history-charts';
import { MachineCard } from './machine-card';
import { LoadingList, StateMessage } from './status';
import { type Notify, Toast, useToast } from './toast';
import { Topbar } from './topbar';
import { UpdatesPanel } from './updates-panel';
import { type FleetView, useFleetLive } from './use-fleet-live';
import { useRole } from './use-role';

/** Every machine, live, with the fleet's totals; search, filter, select, and act on the selection. */
export function FleetOverview() {
  const { view, subscription, feed } = useFleetLive();
  const [adding, setAdding] = useState(false);
  const [toast, notify] = useToast();
  const canAdd = useRole().can('admin');
  const addMachine = () => setAdding(true);
  const retry = () => subscription.reset();
  return (
    <>
      <Topbar live={feed}>
        {canAdd && (
          <button type="button" className="primary" onClick={addMachine}>
            Add machine
          </button>
        )}
      </Topbar>
      <main className="page">
        {view && subscription.status === 'error' && (
          <div className="banner error" role="alert">
            Live updates stopped ({subscription.error?.message}).{' '}
            <button type="button" onClick={retry}>
              Retry
            </button>
          </div>
        )}
        {view && feed === 'reconnecting' && (
          <div className="banner">Connection lost, reconnecting… Figures may be out of date.</div>
        )}
        {view && <FleetTotalsTiles totals={view.totals} />}
        {!view && subscription.status === 'error' && (
          <StateMessage title="Cannot reach the console" tone="error">
            <p>{subscription.error?.message}</p>
            <button type="button" onClick={retry}>
              Try again
            </button>
          </StateMessage>
        )}
        {!view && subscription.status !== 'error' && <LoadingList />}
        {view && view.machines.size === 0 && (
          <StateMessage title="No machines yet">
            {canAdd ? (
              <>
                <p>Pair the first one: it takes one command on that machine.</p>
                <button type="button" className="primary" onClick={addMachine}>
                  Add machine
                </button>
              </>
            ) : (
              <p>An admin adds machines: ask one to pair the first.</p>
            )}
          </StateMessage>
        )}
        {view && view.machines.size > 0 && <MachineList view={view} notify={notify} />}
        {view && view.machines.size > 0 && <HistoryCharts liveSignal={view.totals.framesToday} />}
        {view && view.machines.size > 0 && <UpdatesPanel notify={notify} />}
      </main>
      <AddMachineDialog open={adding} onClose={() => setAdding(false)} />
      <Toast message={toast} />
    </>
  );
}

/** Cards or table, kept in the page's URL (`?view=table`) so a reload or a shared link shows the same. */
function useLayout(): [FleetLayout, (layout: FleetLayout) => void] {
  const params = useSearchParams();
  const layout: FleetLayout = params.get('view') === 'table' ? 'table' : 'cards';
  const setLayout = (next: FleetLayout) => {
    const url = new URL(window.location.href);
    if (next === 'table') url.searchParams.set('view', 'table');
    else url.searchParams.delete('view');
    window.history.replaceState(null, '', url);
  };
  return [layout, setLayout];
}

/** Every machine by name, kept in order from one live update to the next (see `machinesByName`). */
function useMachinesByName(machines: FleetView['machines']): readonly MachineSummary[] {
  const previous = useRef<SortedList<MachineSummary> | null>(null);
  return useMemo(() => {
    previous.current = machinesByName(previous.current, machines.values());
    return previous.current.items;
  }, [machines]);
}

/** The listed machines (search and filters), their selection and the actions on it. */
function MachineList({ view, notify }: { view: FleetView; notify: Notify }) {
  const [search, setSearch] = useState('');
  const [filter, setFilter] = useState<StatusFilter>('all');
  const [tag, setTag] = useState('');
  const [layout, setLayout] = useLayout();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const tags = useMemo(() => tagsInFleet(view.machines.values()), [view]);
  // A tag no machine carries any more filters nothing: back to any tag.
  const shownTag = tags.includes(tag) ? tag : '';
  const byName = useMachinesByName(view.machines);
  const visible = useMemo(
    () => byName.filter((machine) => isListed(machine, filter, search, shownTag)),
    [byName, filter, search, shownTag],
  );
  // Bulk actions reach only the selected machines the list shows; hidden ones are left out, and said so.
  const chosen = selectionIn(selected, visible, view.machines);
  const toggle = useCallback(
    (id: string, on: boolean) =>
      setSelected((s) => {
        const next = new Set(s);
        if (on) next.add(id);
        else next.delete(id);
        return next;
      }),
    [],
  );
  return (
    <>
      <FleetToolbar
        search={search}
        onSearch={setSearch}
        filter={filter}
        onFilter={setFilter}
        tag={shownTag}
        onTag={setTag}
        tags={tags}
        layout={layout}
        onLayout={setLayout}
        allSelected={visible.length > 0 && chosen.ids.length === visible.length}
        onSelectAll={(all) => setSelected(new Set(all ? visible.map((m) => m.id) : []))}
      />
      {chosen.ids.length > 0 && <BulkActions ids={chosen.ids} hidden={chosen.hidden} notify={notify} />}
      {visible.length === 0 ? (
        <StateMessage title="Nothing matches">
          <p>No machine matches this search and filter.</p>
        </StateMessage>
      ) : layout === 'table' ? (
        <FleetTable machines={visible} selected={selected} onSelect={toggle} />
      ) : (
        <section className="machines" aria-label="Machines">
          {visible.map((machine) => (
            <MachineCard
              key={machine.id}
              machine={machine}
              selected={selected.has(machine.id)}
              onSelect={toggle}
            />
          ))}
        </section>
      )}
    </>
  );
}
