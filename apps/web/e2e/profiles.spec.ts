import { existsSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { CHROMIUM } from '../playwright.config';
import {
  type AgentProcess,
  logIn,
  logInAs,
  logOut,
  machineCard,
  pairingCode,
  removeEveryMachine,
  shoot,
  startAgent,
} from './helpers';

test.skip(!existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}`);

// Three simulated agents that speak rules (test/support/rules-agent.ts: the agent on this branch
// answers set-rules "unsupported"): one whose owner set its cores, one whose CPU runs hot.
const MACHINES: [string, string[]][] = [
  ['e2e-desk-01', ['--owner-cores', '2']],
  ['e2e-desk-02', ['--cpu-celsius', '85']],
  ['e2e-desk-03', []],
];
const agents: AgentProcess[] = [];
test.afterEach(() => {
  for (const agent of agents.splice(0)) agent.process.kill('SIGTERM');
});

async function pair(page: Page, url: string, name: string, args: string[]) {
  agents.push(
    startAgent('sim-agent', url, await pairingCode(page, url), name, [
      '--step-ms',
      '400',
      '--rules',
      ...args,
    ]),
  );
  await page.getByRole('button', { name: 'Done' }).click();
  await expect(machineCard(page, name)).toBeVisible({ timeout: 30_000 });
}

test('a profile is created with a form that names a bad field and sets no limit, previewed per machine and applied to 3 agents, which show its rules; a machine gets override rules', async ({
  page,
  baseURL,
}) => {
  test.setTimeout(240_000);
  const url = baseURL ?? '';
  await logIn(page);
  await removeEveryMachine(page, url);
  for (const [name, args] of MACHINES) await pair(page, url, name, args);
  const headers = { origin: url, 'content-type': 'application/json' };
  const api = async (path: string, data: unknown) => {
    const answer = await page.request.post(`${url}/api/trpc/${path}`, { headers, data });
    expect(answer.status()).toBe(200);
    return (await answer.json()).result.data;
  };
  const query = async (path: string, input?: unknown) => {
    const search = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    return (await (await page.request.get(`${url}/api/trpc/${path}${search}`, { headers })).json()).result
      .data;
  };
  const idOf = async (name: string) =>
    (await query('fleet.list')).machines.find((m: { name: string }) => m.name === name).id as string;
  const desk2 = await idOf('e2e-desk-02');
  // A longest frame time set by hand on desk-02: the profile's "no limit" lifts it.
  await api('fleet.command', {
    ids: [desk2],
    command: { type: 'set-limits', limits: { maxFrameTimeSeconds: 1800 } },
  });
  // From here on, what a machine receives comes from the profile.
  const commandCounts = () => agents.map((agent) => agent.all('command').length);
  await expect.poll(commandCounts).toEqual([0, 1, 0]);
  const countsBefore = commandCounts();

  await page.getByRole('link', { name: 'Profiles' }).click();
  await expect(page.getByRole('heading', { name: 'Profiles' })).toBeVisible();
  await shoot(page, 'profiles-empty', 800);

  // The form: limits and two rules; a bad temperature is named before anything is sent.
  await page.getByRole('button', { name: 'New profile' }).click();
  const form = page.getByRole('form', { name: 'Profile' });
  await form.getByLabel('Name', { exact: true }).fill('office');
  // Each limit: left as the machine has it, no limit, or a value (a value left blank is named).
  await expect(form.getByRole('combobox', { name: /^Memory/ })).toHaveValue('leave');
  await form.getByRole('combobox', { name: /^Cores/ }).selectOption({ label: 'Set to' });
  await expect(page.getByTestId('profile-issues')).toContainText('limits.cores');
  await form.getByRole('spinbutton', { name: 'Cores value' }).fill('4');
  await form.getByRole('combobox', { name: /^Priority/ }).selectOption({ label: 'Set to' });
  await form.getByRole('spinbutton', { name: /^Priority.* value$/ }).fill('10');
  await form.getByRole('combobox', { name: /^Max frame time/ }).selectOption({ label: 'No limit' });
  await expect(form.getByRole('spinbutton', { name: /^Max frame time/ })).toHaveCount(0);
  await expect(form.getByRole('combobox', { name: /^Priority/ }).getByRole('option')).toHaveText([
    'As each machine has it',
    'Set to',
  ]);
  await form.getByRole('button', { name: 'Add rule' }).click();
  const first = form.getByRole('group', { name: 'Rule 1' });
  await first.getByLabel('Name').fill('my own Blender');
  await first.getByLabel('When').selectOption({ label: 'A program runs' });
  await expect(page.getByTestId('profile-issues')).toContainText("rules[1] ('my own Blender').when.names");
  await first.getByLabel('Programs (comma-separated)').fill('blender');
  await first.getByLabel('Then').selectOption({ label: 'Pause now' });
  await form.getByRole('button', { name: 'Add rule' }).click();
  const second = form.getByRole('group', { name: 'Rule 2' });
  await second.getByLabel('Name').fill('hot');
  await second.getByLabel('When').selectOption({ label: 'Temperature above' });
  await second.getByLabel('°C').fill('400');
  await second.getByLabel('Then').selectOption({ label: 'Limit cores' });
  await second.getByRole('spinbutton', { name: 'Cores' }).fill('2');
  await expect(page.getByTestId('profile-issues')).toContainText("rules[2] ('hot').when.celsius");
  await expect(form.getByRole('button', { name: 'Save profile' })).toBeDisabled();
  await shoot(page, 'profiles-form-invalid', 800);
  await second.getByLabel('°C').fill('80');
  await expect(page.getByTestId('profile-issues')).toHaveCount(0);
  await form.getByRole('button', { name: 'Save profile' }).click();
  const card = page.getByRole('region', { name: 'Profile office' });
  await expect(card).toContainText('“hot”: The CPU is above 80 °C: use at most 2 cores');
  await expect(card).toContainText('Limits: Cores 4, Max frame time no limit, Priority 10');
  // Edited again, each limit shows the choice it was saved with.
  await card.getByRole('button', { name: 'Edit' }).click();
  await expect(form.getByRole('combobox', { name: /^Max frame time/ })).toHaveValue('none');
  await expect(form.getByRole('combobox', { name: /^Memory/ })).toHaveValue('leave');
  await expect(form.getByRole('spinbutton', { name: 'Cores value' })).toHaveValue('4');
  await form.getByRole('button', { name: 'Cancel' }).click();

  // Assigned to the three machines; nothing is sent yet.
  await card.getByRole('button', { name: 'Assign…' }).click();
  for (const [name] of MACHINES) await card.getByRole('checkbox', { name }).check();
  await card.getByRole('button', { name: 'Save assignment' }).click();
  await expect(card).toContainText('followed by 3 machines');
  expect(commandCounts()).toEqual(countsBefore);

  // Apply: the preview per machine, then confirmed, then 3 of 3.
  await card.getByRole('button', { name: 'Apply…' }).click();
  const dialog = page.getByRole('alertdialog');
  const preview = dialog.getByTestId('profile-preview');
  await expect(preview.getByRole('region', { name: 'Changes on e2e-desk-01' })).toContainText(
    "Owner set cores = 2 on the machine; the profile's 4 is not applied.",
  );
  const hot = preview.getByRole('region', { name: 'Changes on e2e-desk-02' });
  await expect(hot).toContainText('Cores: no limit → 4');
  await expect(hot).toContainText('Max frame time: 30 min → no limit');
  await expect(hot).toContainText('“hot”: holds now — CPU at 85 °C (limit 80 °C)');
  await expect(hot).toContainText('“my own Blender”: unknown — the machine does not watch `blender` yet');
  await shoot(page, 'profiles-preview', 800);
  expect(commandCounts()).toEqual(countsBefore);
  await dialog.getByRole('button', { name: 'Apply to 3 machines' }).click();
  await expect(page.getByTestId('apply-progress')).toContainText('3 of 3 applied');
  await shoot(page, 'profiles-applied', 800);
  for (const agent of agents) {
    const commands = agent.all('command').map((c) => (c.command as { type: string }).type);
    expect(commands).toContain('set-rules');
  }
  const [ownerSet, hotAgent] = agents as [AgentProcess, AgentProcess];
  expect(ownerSet.all('command').map((c) => c.command)).toContainEqual({
    type: 'set-limits',
    limits: { priority: 10 },
  });
  expect(hotAgent.all('command').map((c) => c.command)).toContainEqual({
    type: 'set-limits',
    limits: { cores: 4, maxFrameTimeSeconds: null, priority: 10 },
  });

  // The machine page: the rule in force with its reason, the profile it follows; snooze and back.
  await page.getByRole('link', { name: '← Fleet' }).click();
  await machineCard(page, 'e2e-desk-02').getByRole('link', { name: 'e2e-desk-02' }).click();
  const panel = page.getByRole('region', { name: 'Rules' });
  await expect(panel.getByTestId('active-rules')).toContainText(
    "limited to 2 cores: CPU at 85 °C (limit 80 °C) (rule 'hot')",
  );
  await expect(panel.getByTestId('followed-profile')).toContainText(
    'Follows profile “office” assigned to this machine',
  );
  await shoot(page, 'profiles-machine-rules', 800);
  await panel.getByRole('button', { name: 'Snooze 2 h' }).click();
  await expect(panel).toContainText('Rules snoozed until');
  await shoot(page, 'profiles-machine-snoozed', 800);
  await panel.getByRole('button', { name: 'End snooze' }).click();
  await expect(panel.getByTestId('active-rules')).toBeVisible();

  // An override rule for this machine, with the profile form's rule editor: the profile's "hot" at
  // 90 °C here, and a rule of its own; a bad field is named before anything is saved.
  await panel.getByRole('button', { name: 'Add override rule' }).click();
  const overrideForm = panel.getByRole('form', { name: 'Override rules' });
  await overrideForm.getByLabel('Change a rule of the profile for this machine').selectOption('hot');
  const hotOverride = overrideForm.getByRole('group', { name: 'Rule 1' });
  await expect(hotOverride.getByLabel('Name')).toHaveValue('hot');
  await hotOverride.getByLabel('°C').fill('400');
  await overrideForm.getByRole('button', { name: 'Add rule' }).click();
  const own = overrideForm.getByRole('group', { name: 'Rule 2' });
  await own.getByLabel('Name').fill('on battery');
  await own.getByLabel('When').selectOption({ label: 'On battery' });
  await own.getByLabel('Then').selectOption({ label: 'Pause now' });
  await expect(panel.getByTestId('override-issues')).toContainText("rules[1] ('hot').when.celsius");
  await expect(overrideForm.getByRole('button', { name: 'Save override rules' })).toBeDisabled();
  await shoot(page, 'profiles-override-form-invalid', 800);
  await hotOverride.getByLabel('°C').fill('90');
  await expect(panel.getByTestId('override-issues')).toHaveCount(0);
  await overrideForm.getByRole('button', { name: 'Save override rules' }).click();
  const overrides = panel.getByTestId('overrides');
  await expect(overrides).toContainText(
    "“hot”: The CPU is above 90 °C: use at most 2 cores (instead of the profile's)",
  );
  await expect(overrides).toContainText('“on battery”: On battery: pause now');
  await shoot(page, 'profiles-override-saved', 800);
  // Applied again, the machine gets the profile's rules with its overrides: "hot" no longer holds at 85 °C.
  const office = (await query('profiles.list'))[0].id;
  const [sent] = await api('profiles.send', { profileId: office, machineIds: [desk2] });
  expect(sent.status).toBe('applied');
  const lastRulesSent = () =>
    hotAgent
      .all('command')
      .map((c) => c.command as { type: string; rules?: unknown })
      .filter((c) => c.type === 'set-rules')
      .at(-1)?.rules;
  await expect.poll(lastRulesSent).toEqual([
    {
      name: 'my own Blender',
      when: { kind: 'process-running', names: ['blender'] },
      action: { type: 'pause-now' },
    },
    {
      name: 'hot',
      when: { kind: 'temperature-above', sensor: 'cpu', celsius: 90 },
      action: { type: 'limit-cores', cores: 2 },
    },
    { name: 'on battery', when: { kind: 'on-battery' }, action: { type: 'pause-now' } },
  ]);
  await expect(panel).toContainText('No rule holds now.');
  // Edited again: the form opens with the override rules; one removed, the other kept.
  await panel.getByRole('button', { name: 'Edit override rules' }).click();
  await overrideForm
    .getByRole('group', { name: 'Rule 2' })
    .getByRole('button', { name: 'Remove rule' })
    .click();
  await overrideForm.getByRole('button', { name: 'Save override rules' }).click();
  await expect(overrides).not.toContainText('on battery');
  expect((await query('profiles.machine', { id: desk2 })).overrides.rules).toHaveLength(1);

  // Two tags with different profiles: the most recently assigned wins, and the panel says so.
  const desk3 = await idOf('e2e-desk-03');
  const nights = (await api('profiles.create', { name: 'nights', limits: { cores: 8 }, rules: [] })).id;
  await api('profiles.assign', { profileId: null, machineIds: [desk3], tags: [] });
  await api('fleet.tag', { ids: [desk3], tags: ['lab', 'night shift'] });
  await api('profiles.assign', { profileId: office, machineIds: [], tags: ['lab'] });
  await api('profiles.assign', { profileId: nights, machineIds: [], tags: ['night shift'] });
  await page.goto(`/machines/${desk3}`);
  await expect(page.getByTestId('followed-profile')).toContainText(
    'Follows profile “nights” through its tag “night shift”',
  );
  await expect(page.getByTestId('followed-profile')).toContainText('Passed over: “office” (tag “lab”)');
  await shoot(page, 'profiles-machine-tag-conflict', 800);

  // A viewer sees it all with every control disabled.
  const added = await page.request.post(`${url}/api/trpc/users.add`, {
    headers,
    data: { username: 'profile-viewer', password: 'a viewer password 123', role: 'viewer' },
  });
  expect(added.status()).toBe(200);
  await logOut(page);
  await logInAs(page, 'profile-viewer', 'a viewer password 123');
  await page.goto('/profiles');
  const viewerCard = page.getByRole('region', { name: 'Profile office' });
  await expect(viewerCard.getByRole('button', { name: 'Apply…' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'New profile' })).toBeDisabled();
  await shoot(page, 'profiles-viewer', 800);
  await page.goto(`/machines/${desk3}`);
  const viewerPanel = page.getByRole('region', { name: 'Rules' });
  await expect(viewerPanel.getByRole('button', { name: 'Snooze 2 h' })).toBeDisabled();
  await expect(viewerPanel.getByRole('button', { name: 'Add override rule' })).toBeDisabled();
  await shoot(page, 'profiles-machine-viewer', 800);
});

test("every page's top bar fits a phone (390 px) without scrolling sideways", async ({ page, baseURL }) => {
  const url = baseURL ?? '';
  await logIn(page);
  await removeEveryMachine(page, url);
  await pair(page, url, 'e2e-phone-01', []);
  await machineCard(page, 'e2e-phone-01').getByRole('link', { name: 'e2e-phone-01' }).click();
  await expect(page.getByRole('region', { name: 'Rules' })).toBeVisible();
  const machinePath = new URL(page.url()).pathname;
  // As the admin, whose bar holds the most: Add machine, the bell, Audit, the role, Account, Log out.
  const pages: [string, string][] = [
    ['/', 'fleet'],
    [machinePath, 'machine'],
    ['/profiles', 'profiles'],
    ['/alerts', 'alerts'],
    ['/audit', 'audit'],
    ['/settings', 'settings'],
    ['/account', 'account'],
  ];
  for (const [path, name] of pages) {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(path);
    const bar = page.locator('header.topbar');
    await expect(bar.getByRole('button', { name: 'Log out' })).toBeVisible();
    const overflow = await bar.evaluate((header) => {
      const edge = document.documentElement.clientWidth;
      const outside = [...header.querySelectorAll('a, button, span')]
        .filter((element) => element.getBoundingClientRect().right > edge + 0.5)
        .map((element) => element.textContent || element.getAttribute('aria-label'));
      return { scrolls: header.scrollWidth > header.clientWidth, outside };
    });
    expect(overflow, `top bar of ${path}`).toEqual({ scrolls: false, outside: [] });
    await shoot(page, `topbar-${name}`, 800);
  }
});
