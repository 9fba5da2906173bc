import { existsSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { CHROMIUM, E2E_ADMIN_PASSWORD } from '../playwright.config';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

// After a real login Chromium follows `next` only within the console: the tricks its URL parser
// reads as another host (a backslash, a tab inside `//`) land on the console's home instead.
for (const [next, landing] of [
  ['/\\evil.example/', '/'],
  ['/\t/evil.example/', '/'],
  ['/account', '/account'],
] as const) {
  test(`after login, next=${JSON.stringify(next)} lands on ${landing}`, async ({ page, baseURL }) => {
    // Stands in for the attacker's site, so a wrong redirect shows up as a page on its origin.
    await page.route('http://evil.example/**', (route) => route.fulfill({ body: 'evil' }));
    await page.goto(`/login?next=${encodeURIComponent(next)}`);
    await page.getByLabel(/^password$/i).fill(E2E_ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.pathname === landing || url.origin !== baseURL);
    expect(new URL(page.url()).origin).toBe(baseURL);
    expect(new URL(page.url()).pathname).toBe(landing);
  });
}
