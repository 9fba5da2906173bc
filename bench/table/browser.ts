// The table view against the cards in a real browser: Debian Chromium (as the e2e tests) opens the
// console logged in, times the first paint of each view, then scrolls it and records every frame's
// duration (requestAnimationFrame deltas collected in the page).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { WEB } from '../console/harness';

/** The slice of Playwright's API used here (@playwright/test resolves from apps/web, not from here). */
interface Page {
  goto(url: string, options: { timeout: number }): Promise<unknown>;
  waitForFunction(
    expression: string,
    arg: undefined,
    options: { timeout: number; polling: 'raf' },
  ): Promise<{ jsonValue(): Promise<unknown> }>;
  evaluate<R>(expression: string): Promise<R>;
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  context(): { newCDPSession(page: Page): Promise<CdpSession> };
}
interface CdpSession {
  send(method: 'Performance.enable'): Promise<unknown>;
  send(method: 'Performance.getMetrics'): Promise<{ metrics: { name: string; value: number }[] }>;
}
interface Browser {
  newContext(): Promise<{ addCookies(cookies: object[]): Promise<void>; newPage(): Promise<Page> }>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(options: object): Promise<Browser> };
}

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** One frame at 60 Hz. */
export const FRAME_MS = 1000 / 60;

export type Layout = 'cards' | 'table';

export interface ViewFigures {
  layout: Layout;
  /** Navigation start → first contentful paint (the page frame). */
  firstContentfulPaintMs: number;
  /** Navigation start → the machines shown: the table's rows in view, or every card (cards are not virtualised). */
  machinesShownMs: number;
  /** Rendered rows or cards in the page once shown (the table renders only those in view). */
  renderedItems: number;
  scroll: FrameFigures;
  /** Where the page's main thread spent the scroll (Chromium's own counters over those 8 s). */
  scrollMainThread: MainThreadFigures;
}

/** Milliseconds of the page's main thread, by kind of work (Chromium DevTools' Performance metrics). */
export interface MainThreadFigures {
  /** Every task: script, style, layout, paint and the rest. */
  taskMs: number;
  scriptMs: number;
  styleMs: number;
  layoutMs: number;
}

/** Chromium's cumulative main-thread durations (seconds) now. */
async function mainThreadNow(session: CdpSession): Promise<Map<string, number>> {
  const { metrics } = await session.send('Performance.getMetrics');
  return new Map(metrics.map(({ name, value }) => [name, value]));
}

function mainThreadBetween(before: Map<string, number>, after: Map<string, number>): MainThreadFigures {
  const spent = (metric: string) => Math.round(((after.get(metric) ?? 0) - (before.get(metric) ?? 0)) * 1000);
  return {
    taskMs: spent('TaskDuration'),
    scriptMs: spent('ScriptDuration'),
    styleMs: spent('RecalcStyleDuration'),
    layoutMs: spent('LayoutDuration'),
  };
}

export interface FrameFigures {
  frames: number;
  p50FrameMs: number;
  p95FrameMs: number;
  maxFrameMs: number;
  /** Frames that took longer than 1.5 × 16.7 ms, i.e. missed at least one 60 Hz refresh. */
  droppedShare: number;
  /** Frames per second over the whole scroll. */
  fps: number;
}

const SCROLL_MS = 8_000;
/** Scrolled per frame: 40 px at 60 fps is a brisk flick through the list, about one row a frame. */
const PX_PER_FRAME = 40;

// Runs in the page (a string, so no transpiler helper leaks into it): scrolls the list by a fixed step
// every frame for `ms`, turning round at either end, and returns each frame's duration.
const SCROLL_SCRIPT = `(async ({ selector, ms, step }) => {
  const el = selector ? document.querySelector(selector) : document.scrollingElement;
  let direction = 1;
  const deltas = [];
  await new Promise((resolve) => {
    let last = 0;
    let start = 0;
    const tick = (now) => {
      if (start === 0) start = now;
      else deltas.push(now - last);
      last = now;
      const max = el.scrollHeight - el.clientHeight;
      if ((direction > 0 && el.scrollTop >= max) || (direction < 0 && el.scrollTop <= 0)) direction = -direction;
      el.scrollTop += direction * step;
      if (now - start < ms) requestAnimationFrame(tick);
      else resolve();
    };
    requestAnimationFrame(tick);
  });
  return deltas;
})`;

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const round1 = (x: number) => Math.round(x * 10) / 10;

export function frameFigures(deltas: number[]): FrameFigures {
  const sorted = [...deltas].sort((a, b) => a - b);
  const total = deltas.reduce((sum, d) => sum + d, 0);
  return {
    frames: deltas.length,
    p50FrameMs: round1(quantile(sorted, 0.5)),
    p95FrameMs: round1(quantile(sorted, 0.95)),
    maxFrameMs: round1(sorted.at(-1) ?? Number.NaN),
    droppedShare: Math.round((deltas.filter((d) => d > 1.5 * FRAME_MS).length / deltas.length) * 1000) / 1000,
    fps: round1((deltas.length / total) * 1000),
  };
}

async function measureView(page: Page, url: string, layout: Layout, machines: number): Promise<ViewFigures> {
  const address = layout === 'table' ? `${url}/?view=table` : `${url}/`;
  const item = layout === 'table' ? '[data-testid=machine-row]' : '[data-testid=machine]';
  // Cards: every machine's card; table: rows in view (it renders no others).
  const shown =
    layout === 'table'
      ? `document.querySelectorAll('${item}').length >= 10 && performance.now()`
      : `document.querySelectorAll('${item}').length >= ${machines} && performance.now()`;
  // Warm first: compiled pages and fonts cached, as for a returning user. Generous timeouts: the
  // console serves 5,000 live agents on the same cores as this browser.
  await page.goto(address, { timeout: 180_000 });
  await page.goto(address, { timeout: 180_000 });
  const shownAt = (await (
    await page.waitForFunction(shown, undefined, { timeout: 120_000, polling: 'raf' })
  ).jsonValue()) as number;
  const figures = await page.evaluate<{ fcp: number; rendered: number }>(`(() => ({
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
    rendered: document.querySelectorAll('${item}').length,
  }))()`);
  const session = await page.context().newCDPSession(page);
  await session.send('Performance.enable');
  const before = await mainThreadNow(session);
  const deltas = await page.evaluate<number[]>(
    `${SCROLL_SCRIPT}(${JSON.stringify({ selector: layout === 'table' ? '[data-testid=fleet-table]' : null, ms: SCROLL_MS, step: PX_PER_FRAME })})`,
  );
  return {
    layout,
    firstContentfulPaintMs: Math.round(figures.fcp),
    machinesShownMs: Math.round(shownAt),
    renderedItems: figures.rendered,
    scroll: frameFigures(deltas),
    scrollMainThread: mainThreadBetween(before, await mainThreadNow(session)),
  };
}

/** Both views, table first, in one browser against the same live fleet. */
export async function measureViews(
  url: string,
  cookie: string,
  machines: number,
): Promise<ViewFigures[] | null> {
  if (!existsSync(CHROMIUM)) {
    console.warn(`!!! table benchmark browser part SKIPPED: no Chromium at ${CHROMIUM}`);
    return null;
  }
  const { chromium } = createRequire(join(WEB, 'package.json'))('@playwright/test') as Playwright;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  try {
    const context = await browser.newContext();
    const [name, value] = cookie.split('=');
    await context.addCookies([{ name: name ?? '', value: value ?? '', url }]);
    const page = await context.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    const views: ViewFigures[] = [];
    for (const layout of ['table', 'cards'] as const)
      views.push(await measureView(page, url, layout, machines));
    return views;
  } finally {
    await browser.close();
  }
}
