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

test('a profile is created with a form that names a bad field, previewed per machine and applied to 3 agents, which show its rules', async ({
  page,
  baseURL,
}) => {
  test.setTimeout(240_000);
  const url = baseURL ?? '';
  await logIn(page);
  await removeEveryMachine(page, url);
  for (const [name, args] of MACHINES) await pair(page, url, name, args);

  await page.getByRole('link', { name: 'Profiles' }).click();
  await expect(page.getByRole('heading', { name: 'Profiles' })).toBeVisible();
  await shoot(page, 'profiles-empty', 800);

  // The form: limits and two rules; a bad temperature is named before anything is sent.
  await page.getByRole('button', { name: 'New profile' }).click();
  const form = page.getByRole('form', { name: 'Profile' });
  await form.getByLabel('Name', { exact: true }).fill('office');
  await form.getByRole('spinbutton', { name: 'Cores', exact: true }).first().fill('4');
  await form.getByLabel(/^Priority/).fill('10');
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

  // Assigned to the three machines; nothing is sent yet.
  await card.getByRole('button', { name: 'Assign…' }).click();
  for (const [name] of MACHINES) await card.getByRole('checkbox', { name }).check();
  await card.getByRole('button', { name: 'Save assignment' }).click();
  await expect(card).toContainText('followed by 3 machines');
  for (const agent of agents) expect(agent.all('command')).toEqual([]);

  // Apply: the preview per machine, then confirmed, then 3 of 3.
  await card.getByRole('button', { name: 'Apply…' }).click();
  const dialog = page.getByRole('alertdialog');
  const preview = dialog.getByTestId('profile-preview');
  await expect(preview.getByRole('region', { name: 'Changes on e2e-desk-01' })).toContainText(
    "Owner set cores = 2 on the machine; the profile's 4 is not applied.",
  );
  const hot = preview.getByRole('region', { name: 'Changes on e2e-desk-02' });
  await expect(hot).toContainText('Cores: no limit → 4');
  await expect(hot).toContainText('“hot”: holds now — CPU at 85 °C (limit 80 °C)');
  await expect(hot).toContainText('“my own Blender”: unknown — the machine does not watch `blender` yet');
  await shoot(page, 'profiles-preview', 800);
  for (const agent of agents) expect(agent.all('command')).toEqual([]);
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
    limits: { cores: 4, priority: 10 },
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

  // Two tags with different profiles: the most recently assigned wins, and the panel says so.
  const headers = { origin: url, 'content-type': 'application/json' };
  const api = async (path: string, data: unknown) => {
    const answer = await page.request.post(`${url}/api/trpc/${path}`, { headers, data });
    expect(answer.status()).toBe(200);
    return (await answer.json()).result.data;
  };
  const fleet = (await (await page.request.get(`${url}/api/trpc/fleet.list`, { headers })).json()).result
    .data;
  const desk3 = fleet.machines.find((m: { name: string }) => m.name === 'e2e-desk-03').id;
  const office = (await (await page.request.get(`${url}/api/trpc/profiles.list`, { headers })).json()).result
    .data[0].id;
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
  await expect(
    page.getByRole('region', { name: 'Rules' }).getByRole('button', { name: 'Snooze 2 h' }),
  ).toBeDisabled();
  await shoot(page, 'profiles-machine-viewer', 800);
});
