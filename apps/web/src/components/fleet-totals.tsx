import { formatCredits, STATUS_GROUP_LABEL } from '../lib/format';
import type { FleetTotals, StatusGroup } from '../server/views';

/** The groups with a tile of their own; offline machines show in the Online tile (online / all). */
const TILE_GROUPS: StatusGroup[] = ['working', 'paused', 'error'];

/** The fleet at a glance: machines online, working, paused and in error; today's frames and credits. */
export function FleetTotalsTiles({ totals }: { totals: FleetTotals }) {
  const items: [string, string | number][] = [
    ['Online', `${totals.online} / ${totals.machines}`],
    ...TILE_GROUPS.map((group): [string, number] => [STATUS_GROUP_LABEL[group], totals[group]]),
    ['Frames today', totals.framesToday],
    ['Credits today', formatCredits(totals.creditsToday)],
  ];
  return (
    <section className="totals" aria-label="Fleet totals">
      {items.map(([label, value]) => (
        <div className="total" key={label} data-testid={`total-${label.toLowerCase().replace(/\s+/g, '-')}`}>
          <div className="value">{value}</div>
          <div className="label">{label}</div>
        </div>
      ))}
    </section>
  );
}
