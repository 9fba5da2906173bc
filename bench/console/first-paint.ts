// The overview's first paint with a large fleet: Debian Chromium (as the e2e test) opens the console
// logged in and waits until every machine card is on screen.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The slice of Playwright's API used here (@playwright/test resolves from apps/web, not from here). */
interface Page {
  goto(url: string): Promise<unknown>;
  waitForFunction<A>(
    fn: (arg: A) => unknown,
    arg: A,
    options: { timeout: number },
  ): Promise<{ jsonValue(): Promise<unknown> }>;
  evaluate<R>(fn: () => R): Promise<R>;
}
interface Browser {
  newContext(): Promise<{ addCookies(cookies: object[]): Promise<void>; newPage(): Promise<Page> }>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(options: object): Promise<Browser> };
}

const WEB = join(import.meta.dirname, '../../apps/web');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface FirstPaint {
  machines: number;
  /** Navigation start → first contentful paint (the page frame). */
  firstContentfulPaintMs: number;
  /** Navigation start → all machine cards rendered from the live feed. */
  allCardsMs: number;
}

export async function measureFirstPaint(
  url: string,
  cookie: string,
  machines: number,
): Promise<FirstPaint | null> {
  if (!existsSync(CHROMIUM)) {
    console.warn(`!!! first-paint measurement SKIPPED: no Chromium at ${CHROMIUM}`);
    return null;
  }
  // @playwright/test is a dependency of the console package, not of the repository root.
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
    await page.goto(url); // warm: compiled pages and fonts cached, as for a returning user
    await page.goto(url);
    const allCardsMs = await page
      .waitForFunction(
        (n: number) => document.querySelectorAll('[data-testid=machine]').length >= n && performance.now(),
        machines,
        { timeout: 60_000 },
      )
      .then((handle) => handle.jsonValue() as Promise<number>);
    const firstContentfulPaintMs = await page.evaluate(
      () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
    );
    return {
      machines,
      firstContentfulPaintMs: Math.round(firstContentfulPaintMs),
      allCardsMs: Math.round(allCardsMs),
    };
  } finally {
    await browser.close();
  }
}
