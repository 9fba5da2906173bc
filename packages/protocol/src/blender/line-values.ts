/**
 * Readers for the values inside one line of Blender's output (docs/protocol.md §5). Each returns
 * undefined when the line does not carry that value; none of them throws.
 */

export interface Fraction {
  current: number;
  total: number;
}

/** The official client's progress pattern: `Sample 3/16`, `Rendered 3/20 Tiles`, `Rendering 5 / 64 …`. */
const PROGRESS = / (Rendered|Path Tracing Tile|Rendering|Sample) (\d+)\s?\/\s?(\d+)/;
/** Tile counters (`by_tile`): Cycles 3.x `Rendered 3/4 Tiles`, Cycles 2.x `Path Tracing Tile 16/18`. */
const TILE = /(?:Rendered|Path Tracing Tile) (\d+)\s?\/\s?(\d+)/;
const REMAINING = /Remaining:(?:(\d+):)?(\d+):(\d+)(?:\.\d+)?/i;
const VERSION = /^Blender ((\d{1,3}\.\d{0,3}).*)$/;
const SAVED = /^Saved: '(.*)'/;
/** The official client ends the render phase at these; the Rust client also at Cycles' `Finished`. */
const POST_PROCESSING = /^Fra:\d+ .*\| (Compositing|Denoising)\b/;
const RENDER_FINISHED = /^Fra:\d+ .*\| Finished$/;
/** Blender's own allocator (`Mem:8.81M (Peak 10.28M)`) and Cycles' (`| Mem:1.01M, Peak:1.01M |`). */
const MEMORY = /Mem:(\d+(?:[.,]\d+)?)([KMGT])\b/;
const PEAK = /Peak[: ](\d+(?:[.,]\d+)?)([KMGT])\b/g;

/**
 * Blender prints sizes in binary units: "M" is MiB (1024 × 1024 bytes). Checked with Blender 3.4.1:
 * allocating a 1024 × 1024 float RGBA image (16 MiB = 16.78 MB) in a `-P` script raised `Mem:` from
 * 8.81M to 24.82M, i.e. by 16.01 — so 1 M = 1024 KiB.
 */
const KIB_PER_UNIT: Record<string, number> = { K: 1, M: 1024, G: 1024 ** 2, T: 1024 ** 3 };

export function readProgress(line: string): Fraction | undefined {
  return fraction(PROGRESS.exec(line), 2);
}

export function readTile(line: string): Fraction | undefined {
  return fraction(TILE.exec(line), 1);
}

function fraction(match: RegExpExecArray | null, first: number): Fraction | undefined {
  if (!match) return undefined;
  const current = Number(match[first]);
  const total = Number(match[first + 1]);
  if (!Number.isFinite(current) || !Number.isFinite(total) || total <= 0) return undefined;
  return { current, total };
}

/** Whole percent, clamped to 0–100 (a counter may overshoot its total). */
export function percentOf({ current, total }: Fraction): number {
  return Math.min(100, Math.max(0, Math.floor((current * 100) / total)));
}

/** Seconds left from `Remaining:[hh:]mm:ss.xx`, the fraction dropped (as the official client). */
export function readRemainingSeconds(line: string): number | undefined {
  const match = REMAINING.exec(line);
  if (!match) return undefined;
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  const total = Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds);
  return Number.isFinite(total) ? total : undefined;
}

export function readVersion(line: string): { version: string; short: string } | undefined {
  const match = VERSION.exec(line.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return { version: match[1].trim(), short: match[2] };
}

export function readSavedPath(line: string): string | undefined {
  return SAVED.exec(line)?.[1];
}

export function readPostProcessing(line: string): 'compositing' | 'denoising' | undefined {
  const phase = POST_PROCESSING.exec(line)?.[1];
  if (phase === undefined) return undefined;
  return phase === 'Compositing' ? 'compositing' : 'denoising';
}

export function isRenderFinishedLine(line: string): boolean {
  return RENDER_FINISHED.test(line);
}

export interface MemoryReading {
  /** Blender's own allocator, the first `Mem:` on the line. */
  memKiB?: number;
  /** The largest `Peak` on the line (Blender's or Cycles'), as the 2020 official client read it. */
  peakKiB?: number;
}

export function readMemory(line: string): MemoryReading | undefined {
  const mem = MEMORY.exec(line);
  let peakKiB: number | undefined;
  for (const match of line.matchAll(PEAK)) {
    const kib = toKiB(match[1], match[2]);
    if (kib !== undefined && (peakKiB === undefined || kib > peakKiB)) peakKiB = kib;
  }
  const memKiB = mem ? toKiB(mem[1], mem[2]) : undefined;
  if (memKiB === undefined && peakKiB === undefined) return undefined;
  return { memKiB, peakKiB };
}

function toKiB(value: string | undefined, unit: string | undefined): number | undefined {
  const kib = Math.round(Number((value ?? '').replace(',', '.')) * (KIB_PER_UNIT[unit ?? ''] ?? Number.NaN));
  return Number.isFinite(kib) ? kib : undefined;
}
