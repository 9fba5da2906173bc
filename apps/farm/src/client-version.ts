/**
 * Client versions like `7.24086.0` (the official client's A.YYDDD.N): compared part by part, split on
 * `.`, `-`, `+` and `_`; parts made of digits compare as numbers, others as text; a missing part is 0.
 */
export function compareClientVersions(a: string, b: string): number {
  const left = a.split(/[.+_-]/);
  const right = b.split(/[.+_-]/);
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const x = left[index] ?? '0';
    const y = right[index] ?? '0';
    const order = /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
    if (order !== 0) return Math.sign(order);
  }
  return 0;
}
