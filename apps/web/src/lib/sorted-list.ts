/** What a list is sorted by: compared element by element, the last element the item's id (ties never happen). */
export type SortKey = readonly (string | number)[];

/** A sorted list and each item's key by id: what the next update needs to keep the order without sorting again. */
export interface SortedList<T> {
  items: readonly T[];
  keys: ReadonlyMap<string, SortKey>;
}

/** The same order as `a.localeCompare(b)` (the user's locale), without building a collator per call. */
const collator = new Intl.Collator();

/** Numbers as numbers, anything else as text in the user's locale. */
export function compareValues(a: string | number | undefined, b: string | number | undefined): number {
  return typeof a === 'number' && typeof b === 'number' ? a - b : collator.compare(String(a), String(b));
}

/** Element by element from `from` on, each ascending. */
export function compareKeys(a: SortKey, b: SortKey, from = 0): number {
  const length = Math.max(a.length, b.length);
  for (let i = from; i < length; i++) {
    const order = compareValues(a[i], b[i]);
    if (order !== 0) return order;
  }
  return 0;
}

function sameKey(a: SortKey, b: SortKey): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

interface Keyed<T> {
  item: T;
  key: SortKey;
}

/** Two sorted runs into one. */
function merge<T>(kept: Keyed<T>[], moved: Keyed<T>[], compare: (a: SortKey, b: SortKey) => number): T[] {
  const items: T[] = [];
  let k = 0;
  let m = 0;
  while (k < kept.length && m < moved.length) {
    const keptFirst = compare((kept[k] as Keyed<T>).key, (moved[m] as Keyed<T>).key) <= 0;
    items.push(keptFirst ? (kept[k++] as Keyed<T>).item : (moved[m++] as Keyed<T>).item);
  }
  for (; k < kept.length; k++) items.push((kept[k] as Keyed<T>).item);
  for (; m < moved.length; m++) items.push((moved[m] as Keyed<T>).item);
  return items;
}

/**
 * `items` sorted by `compare` (a total order: keys end with the item's id), reusing `previous` (sorted
 * by the same `compare`, or null): an item whose key has not changed keeps its place without being
 * compared; the new ones and those whose key changed are sorted among themselves and merged in. A live
 * update of k machines out of n costs O(n + k log k) instead of a full sort's O(n log n) comparisons,
 * and none at all when no key changed (a machine's name, when sorted by name).
 */
export function updateSorted<T>(
  previous: SortedList<T> | null,
  items: Iterable<T>,
  idOf: (item: T) => string,
  keyOf: (item: T) => SortKey,
  compare: (a: SortKey, b: SortKey) => number,
): SortedList<T> {
  const current = new Map<string, T>();
  const keys = new Map<string, SortKey>();
  const moved: Keyed<T>[] = [];
  for (const item of items) {
    const id = idOf(item);
    const key = keyOf(item);
    current.set(id, item);
    keys.set(id, key);
    const before = previous?.keys.get(id);
    if (!before || !sameKey(before, key)) moved.push({ item, key });
  }
  moved.sort((a, b) => compare(a.key, b.key));
  const kept: Keyed<T>[] = [];
  for (const old of previous?.items ?? []) {
    const id = idOf(old);
    const item = current.get(id);
    const key = keys.get(id);
    const before = previous?.keys.get(id);
    if (item !== undefined && key && before && sameKey(before, key)) kept.push({ item, key });
  }
  return { items: merge(kept, moved, compare), keys };
}
