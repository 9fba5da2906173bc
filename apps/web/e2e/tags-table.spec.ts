import { existsSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { CHROMIUM } from '../playwright.config';
import {
  type AgentProcess,
  logIn,
  machineCard,
  pairingCode,
  removeEveryMachine,
  shoot,
  startAgent,
} from './helpers';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

const NAMES = ['e2e-tag-01', 'e2e-tag-02', 'e2e-tag-03'];
const agents: AgentProcess[] = [];
test.afterEach(() => {
  for (const agent of agents.splice(0)) agent.process.kill('SIGTERM');
});

async function pair(page: Page, url: string, name: string) {
  agents.push(startAgent('sim-agent', url, await pairingCode(page, url), name, ['--step-ms', '400']));
  await page.getByRole('button', { name: 'Done' }).click();
  await expect(machineCard(page, name)).toBeVisible({ timeout: 30_000 });
}

const row = (page: Page, name: string) => page.getByTestId('machine-row').filter({ hasText: name });

test('tags set on a machine and in bulk filter the fleet, and a bulk action on the tag filter reaches only the tagged machines; the table lists, sorts and is keyboard-driven', async ({
  page,
  baseURL,
}) => {
  test.setTimeout(180_000);
  const url = baseURL ?? '';
  await logIn(page);
  await removeEveryMachine(page, url);
  for (const name of NAMES) await pair(page, url, name);

  // One machine, on its page: a bad tag is refused before it is sent; a good one shows at once.
  await machineCard(page, 'e2e-tag-01').getByRole('link', { name: 'e2e-tag-01' }).click();
  const editor = page.getByTestId('tag-editor');
  await editor.getByLabel('New tag').fill('bad<tag>');
  await expect(editor.getByRole('alert')).toContainText('letters, digits');
  await expect(editor.getByRole('button', { name: 'Add tag' })).toBeDisabled();
  await editor.getByLabel('New tag').fill('render room');
  await editor.getByRole('button', { name: 'Add tag' }).click();
  await expect(editor.getByRole('listitem').filter({ hasText: 'render room' })).toBeVisible();
  await shoot(page, 'tags-machine-page');
  await page.getByRole('link', { name: '← Fleet' }).click();

  // Many machines: two selected get "lab"; the cards show their tags.
  await machineCard(page, 'e2e-tag-01').getByRole('checkbox').check();
  await machineCard(page, 'e2e-tag-02').getByRole('checkbox').check();
  const bulk = page.getByRole('toolbar', { name: 'Actions on selected machines' });
  await bulk.getByLabel('Tag for the selected machines').fill('lab');
  await bulk.getByRole('button', { name: 'Add tag' }).click();
  for (const name of ['e2e-tag-01', 'e2e-tag-02'])
    await expect(machineCard(page, name).getByRole('listitem').filter({ hasText: /^lab$/ })).toBeVisible();
  await expect(machineCard(page, 'e2e-tag-03').getByRole('listitem')).toHaveCount(0);

  // Everything selected, then the tag filter: the untagged machine is hidden and left out of the action.
  await page.getByRole('button', { name: 'Select all' }).click();
  await expect(bulk.getByText('3 selected')).toBeVisible();
  await page.getByLabel('Filter by tag').selectOption('lab');
  await expect(page.getByTestId('machine')).toHaveCount(2);
  await expect(bulk.getByText('2 selected')).toBeVisible();
  await expect(page.getByTestId('hidden-selection')).toHaveText(
    '1 hidden machine left out (search or filter)',
  );
  await shoot(page, 'tags-filter');
  await bulk.getByRole('button', { name: 'Pause now' }).click();
  for (const name of ['e2e-tag-01', 'e2e-tag-02'])
    await expect(machineCard(page, name).getByTestId('status')).toHaveText('Paused');
  await page.getByLabel('Filter by tag').selectOption('');
  await expect(machineCard(page, 'e2e-tag-03').getByTestId('status')).not.toHaveText('Paused');

  // The table: remembered in the URL, sortable, rows carry tags, arrow keys move between rows.
  await page.getByRole('button', { name: 'Table' }).click();
  await expect(page).toHaveURL(/[?&]view=table/);
  await expect(page.getByTestId('machine-row')).toHaveCount(3);
  await expect(row(page, 'e2e-tag-01').getByRole('listitem')).toHaveText(['lab', 'render room']);
  await page.getByRole('button', { name: /^Name/ }).click();
  await expect(page.getByRole('columnheader', { name: /^Name/ })).toHaveAttribute('aria-sort', 'descending');
  await expect(page.getByTestId('machine-row').first()).toContainText('e2e-tag-03');
  await page.getByRole('button', { name: /^Status/ }).click();
  // Working machines before paused ones.
  await expect(page.getByTestId('machine-row').last()).not.toContainText('e2e-tag-03');
  await page.getByRole('checkbox', { name: 'Select e2e-tag-03' }).focus();
  await page.keyboard.press('End');
  await expect(page.getByTestId('machine-row').last().getByRole('checkbox')).toBeFocused();
  await page.keyboard.press('Home');
  await expect(page.getByTestId('machine-row').first().getByRole('checkbox')).toBeFocused();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByTestId('machine-row').nth(1).getByRole('checkbox')).toBeFocused();
  // At 1280 px: as tall as its three rows (no empty box), every tag of a row inside its column.
  await page.setViewportSize({ width: 1280, height: 800 });
  const table = await page.getByTestId('fleet-table').boundingBox();
  const header = await page.locator('.fleet-table thead').boundingBox();
  expect(table?.height).toBeLessThanOrEqual((header?.height ?? 0) + 3 * 44 + 2 + 16);
  const tagsCell = await row(page, 'e2e-tag-01').locator('td.col-tags').boundingBox();
  for (const chip of await row(page, 'e2e-tag-01').getByRole('listitem').all()) {
    const box = await chip.boundingBox();
    expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(
      (tagsCell?.x ?? 0) + (tagsCell?.width ?? 0),
    );
  }
  await shoot(page, 'fleet-table', 800);
  await page.reload();
  await expect(page.getByTestId('machine-row')).toHaveCount(3);
});
