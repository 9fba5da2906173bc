import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys, type SortedList, type SortKey, updateSorted } from '../src/lib/sorted-list';

interface Item {
  id: string;
  name: string;
  value: number;
}

const keyOf = (item: Item): SortKey => [item.value, item.name, item.id];
const idOf = (item: Item) => item.id;
const fullSort = (items: Item[]) => [...items].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));

/** A fleet of up to 40 items with few distinct names and values, so ties are common. */
const fleet = fc
  .uniqueArray(
    fc.record({
      id: fc.integer({ min: 0, max: 60 }).map((n) => `m${n}`),
      name: fc.constantFrom('alpha', 'Beta', 'beta', 'gamma', 'Ölberg', 'zeta'),
      value: fc.integer({ min: 0, max: 4 }),
    }),
    { selector: (item) => item.id, maxLength: 40 },
  )
  .map((items) => items.map((item) => ({ ...item })));

describe('a sorted list kept from one update to the next', () => {
  it('is always the full sort of the current items, whatever came, went or changed key', () => {
    fc.assert(
      fc.property(fc.array(fleet, { minLength: 1, maxLength: 8 }), (updates) => {
        let list: SortedList<Item> | null = null;
        for (const items of updates) {
          list = updateSorted(list, items, idOf, keyOf, compareKeys);
          expect(list.items).toEqual(fullSort(items));
        }
      }),
    );
  });

  it('holds the current objects, also for the items whose key did not change', () => {
    const before = [
      { id: 'a', name: 'a', value: 1 },
      { id: 'b', name: 'b', value: 2 },
    ];
    const list = updateSorted(null, before, idOf, keyOf, compareKeys);
    const after = before.map((item) => ({ ...item }));
    const next = updateSorted(list, after, idOf, keyOf, compareKeys);
    expect(next.items[0]).toBe(after[0]);
    expect(next.items[1]).toBe(after[1]);
  });

  it('compares nothing when no key changed, and about one comparison per item when a few did', () => {
    const items = Array.from({ length: 5000 }, (_, i) => ({
      id: `m${i}`,
      name: `machine-${i}`,
      value: i % 97,
    }));
    let comparisons = 0;
    const counted = (a: SortKey, b: SortKey) => {
      comparisons++;
      return compareKeys(a, b);
    };
    const list = updateSorted(null, items, idOf, keyOf, counted);
    const fullSortComparisons = comparisons;
    comparisons = 0;
    const same = updateSorted(
      list,
      items.map((item) => ({ ...item })),
      idOf,
      keyOf,
      counted,
    );
    expect(comparisons).toBe(0);
    comparisons = 0;
    const changed = items.map((item, i) => (i % 500 === 0 ? { ...item, value: item.value + 50 } : item));
    const next = updateSorted(same, changed, idOf, keyOf, counted);
    expect(next.items).toEqual(fullSort(changed));
    expect(comparisons).toBeLessThan(items.length + 100);
    expect(fullSortComparisons).toBeGreaterThan(5 * items.length);
  });
});
