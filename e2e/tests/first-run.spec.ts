// Issue #19: what a new user trips over, and the policy's effect where people look. Each test signs
// up its own user (its own organization) and registers the Twikit stand-in, so the tests stand alone.
// Checks are soft where a later step does not depend on them, so one run reports every failing one.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { connectAgent, resultText } from '../support/agent.ts';
import { registerTwikitPreset, signUpAndConfirm } from '../support/accounts.ts';
import { shot } from '../support/shots.ts';

const dashboard = () => process.env.E2E_DASHBOARD_URL!;
let seq = 0;

async function signUp(browser: Browser): Promise<{ page: Page; orgPath: string; email: string }> {
  seq += 1;
  const stamp = `${Date.now()}-${seq}`;
  const context = await browser.newContext({
    baseURL: dashboard(),
    viewport: { width: 1440, height: 900 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();
  const email = `first-run-${stamp}@example.test`;
  const orgPath = await signUpAndConfirm(page, {
    name: 'Fran First',
    email,
    password: 'a long enough passphrase 19',
    organizationName: `First ${stamp}`,
  });
  return { page, orgPath, email };
}

/** axe on the page as it is: no serious or critical violation. */
async function axe(page: Page, name: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(' | ')}`,
    );
  expect.soft(bad, `axe on ${name} (${page.url()})`).toEqual([]);
}

async function savePolicyJson(page: Page, serverPath: string, doc: unknown): Promise<void> {
  await page.goto(`${serverPath}/policy`);
  await page.getByRole('button', { name: 'JSON' }).click();
  const editor = page.getByRole('textbox', { name: 'Policy JSON' });
  await editor.click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(JSON.stringify(doc, null, 2));
  await page.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByText(/Saved as version \d+/)).toBeVisible();
}

test('first run: the checklist ticks itself from sign-up to the first call; registering syncs at once', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const { page, orgPath } = await signUp(browser);
  const checklist = page.getByRole('region', { name: 'Getting started' });
  const step = (name: string) => checklist.getByRole('listitem').filter({ hasText: name });
  await page.goto(`${orgPath}/servers`);
  await expect(checklist).toBeVisible();
  await expect(step('Register a server')).toHaveAttribute('data-done', 'false');
  await axe(page, 'servers (empty)');
  await shot(page, 'first-run-checklist-empty');

  // Registering syncs: the catalog is there without pressing "Sync tools".
  await page.getByRole('button', { name: 'Use Twikit preset' }).click();
  await page.getByRole('button', { name: 'Register server' }).click();
  await expect(page).toHaveURL(/\/servers\/[^/]+$/, { timeout: 60_000 });
  const serverPath = new URL(page.url()).pathname;
  await expect.soft(page.getByText('(62 tools)')).toBeVisible({ timeout: 5_000 });

  await page.goto(`${orgPath}/servers`);
  await expect(step('Register a server')).toHaveAttribute('data-done', 'true');
  await expect(step('Sync its tools')).toHaveAttribute('data-done', 'true');
  await expect(step('Save a policy')).toHaveAttribute('data-done', 'false');
  // A server without a policy denies every call, and says so; the transport is in words.
  const row = page.getByRole('row').filter({ hasText: 'Twikit' });
  await expect(row).toContainText('No policy: every call is denied');
  await expect(row).not.toContainText(/streamable_http|stdio:/);
  await shot(page, 'first-run-checklist-synced');

  await page.goto(`${serverPath}/policy`);
  await page.getByRole('button', { name: 'Use recommended policy' }).click();
  await page.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByText(/Saved as version 1/)).toBeVisible();

  await page.goto(`${orgPath}/grants`);
  await page.getByLabel('Grant name').fill('laptop agent');
  await page.getByRole('button', { name: 'Create grant' }).click();
  const proxyUrl = (await page.getByTestId('grant-proxy-url').textContent())!.trim();
  const token = (await page.getByTestId('grant-token').textContent())!.trim();

  await page.goto(`${orgPath}/servers`);
  await expect(step('Create a grant')).toHaveAttribute('data-done', 'true');
  await expect(step('Make a first call')).toHaveAttribute('data-done', 'false');
  const agent = await connectAgent(proxyUrl, token);
  // A refused call counts as a first call (it is audited) and leaves the stand-in's call log to user-day.
  await agent.callTool({ name: 'like_twet', arguments: {} });
  await agent.close();
  await page.reload();
  for (const name of [
    'Register a server',
    'Sync its tools',
    'Save a policy',
    'Create a grant',
    'Make a first call',
  ]) {
    await expect(step(name)).toHaveAttribute('data-done', 'true');
  }
  await shot(page, 'first-run-checklist-done');
  await expect(page.getByRole('row').filter({ hasText: 'Twikit' })).toContainText('Version 1');
});

test('the catalog shows what the active policy does with each tool, per category, and filters on it', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const { page, orgPath } = await signUp(browser);
  const serverPath = await registerTwikitPreset(page, orgPath);
  await savePolicyJson(page, serverPath, {
    version: '1',
    default: 'deny',
    tools: {
      '@read': { action: 'allow' },
      '@write': { action: 'allow', rate_limit: { max: 30, window: 'minute' } },
      '@destructive': { action: 'require_approval' },
      send_tweet: { action: 'deny', reason: 'Use the team account.' },
      send_dm: { action: 'hide' },
    },
  });
  await page.goto(serverPath);
  const row = (tool: string) => page.locator(`tr[data-tool="${tool}"]`);
  await expect(row('get_tweet')).toContainText('Allowed');
  await expect(row('get_tweet')).toContainText('@read');
  await expect(row('leave_community')).toContainText('Limited 30/minute');
  await expect(row('leave_community')).toContainText('@write');
  await expect(row('delete_tweet')).toContainText('Needs approval');
  await expect(row('send_tweet')).toContainText('Denied');
  await expect(row('send_tweet')).toContainText('send_tweet');
  await expect(row('send_dm')).toContainText('Hidden');
  const totals = page.getByRole('table', { name: 'Policy effect by category' });
  await expect(totals.getByRole('row').filter({ hasText: 'Write' })).toContainText(/\d+ limited/);
  await axe(page, 'catalog');
  await shot(page, 'catalog-policy-column');

  // Catalog rows stay compact, and each risk override names its tool.
  const height = (await row('leave_community').boundingBox())!.height;
  expect.soft(height, 'catalog row height').toBeLessThan(72);
  await expect.soft(page.getByLabel('Category of leave_community')).toHaveCount(1);
  await expect.soft(page.getByLabel('Category', { exact: true })).toHaveCount(1);

  // The sidebar stays in view down a long page.
  await page.mouse.wheel(0, 20_000);
  await expect
    .soft(page.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Servers' }))
    .toBeInViewport();

  await page.getByLabel('Policy effect').selectOption('require_approval');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/effect=require_approval/);
  // The URL changes when the navigation commits; wait for the filtered page's header before counting.
  await expect(page.getByRole('heading', { name: /^Catalog \(\d+ of 62 tools\)$/ })).toBeVisible();
  const shown = await page.locator('tr[data-tool]').count();
  expect(shown).toBeGreaterThan(0);
  expect(shown).toBeLessThan(62);
  await expect(page.locator('tr[data-tool]').filter({ hasNotText: 'Needs approval' })).toHaveCount(0);
  // The header counts what the filter shows, out of all.
  await expect(page.getByRole('heading', { name: `Catalog (${shown} of 62 tools)` })).toBeVisible();
  await shot(page, 'catalog-filtered-approval');
});

test('policy editor: opens on Rules, explains deny and hide, warns on unknown tools, keeps focus and the draft', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const { page, orgPath } = await signUp(browser);
  const serverPath = await registerTwikitPreset(page, orgPath);
  await page.goto(`${serverPath}/policy`);
  await expect.soft(page.getByRole('button', { name: 'Rules' })).toHaveAttribute('aria-pressed', 'true');
  await expect
    .soft(page.getByText(/A denied tool without conditions is also left out of tools\/list/))
    .toBeVisible();
  await expect.soft(page.getByRole('link', { name: 'Policy language reference' })).toBeVisible();
  await page.getByRole('button', { name: 'Use recommended policy' }).click();
  await page.getByRole('button', { name: 'Rules' }).click();

  // Keyboard: choose a tool, Tab to "Add rule", Enter; focus lands in the new rule.
  await page.getByLabel('Tool or risk class').selectOption('send_dm');
  await page.getByLabel('Tool or risk class').focus();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Add rule' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect.soft(page.getByLabel('Action for send_dm')).toBeFocused();
  // A tool rule replaces the risk class rule: say so.
  await expect
    .soft(page.getByRole('group', { name: 'send_dm', exact: true }))
    .toContainText('replaces the @write rule');
  await axe(page, 'policy (rules)');
  await shot(page, 'policy-rule-replaces-class');

  // A rule for a tool not in the catalog is a warning, not an error.
  await page.getByRole('button', { name: 'JSON' }).click();
  const editor = page.getByRole('textbox', { name: 'Policy JSON' });
  await editor.click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(
    JSON.stringify({ version: '1', default: 'deny', tools: { like_twet: { action: 'allow' } } }, null, 2),
  );
  const status = page.locator('#policy-validation');
  await expect(status).toContainText('Valid policy');
  await expect.soft(status).toContainText('like_twet is not in this server’s catalog');
  await expect(page.getByRole('button', { name: 'Save policy' })).toBeEnabled();
  await axe(page, 'policy (json)');
  await shot(page, 'policy-unknown-tool-warning');

  // Leaving with an unsaved draft asks first; staying keeps the draft.
  let asked = '';
  page.once('dialog', (d) => {
    asked = d.message();
    void d.dismiss();
  });
  await page.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Grants' }).click();
  await page.waitForTimeout(1_000);
  expect.soft(asked).toMatch(/unsaved/i);
  await expect.soft(page).toHaveURL(/\/policy$/);
});

test('revoking a grant asks first and leaves no setups for the dead token; setups are named after the server', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const { page, orgPath } = await signUp(browser);
  await registerTwikitPreset(page, orgPath);

  // Revoke: a dialog names the grant; Cancel keeps it; confirming revokes and clears the setups panel.
  await page.goto(`${orgPath}/grants`);
  await page.getByLabel('Grant name').fill('ci bot');
  await page.getByRole('button', { name: 'Create grant' }).click();
  const panel = page.getByRole('region', { name: /Grant “ci bot” created/ });
  await expect(panel).toBeVisible();
  // Client setups carry the server's name (tools appear as mcp__twikit__…), not the grant's.
  await expect.soft(panel.getByText(/^claude mcp add --transport http twikit /)).toBeVisible();
  await expect.soft(panel.getByText(/"twikit": \{/).first()).toBeVisible();
  await page.getByRole('button', { name: 'Revoke ci bot' }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('Revoke grant “ci bot”?');
  await axe(page, 'grants (revoke dialog)');
  await shot(page, 'confirm-revoke-grant');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('row').filter({ hasText: 'ci bot' })).toContainText('active');
  await page.getByRole('button', { name: 'Revoke ci bot' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke grant' }).click();
  await expect(page.getByRole('row').filter({ hasText: 'ci bot' })).toContainText('revoked');
  await expect(panel).toHaveCount(0);
});

test('leaving as the only owner asks first, then shows the server’s reason and removes nothing', async ({
  browser,
}) => {
  const { page, orgPath } = await signUp(browser);
  // Leave as the only owner: the server's own message, nothing removed.
  await page.goto(`${orgPath}/members`);
  await page.getByRole('button', { name: 'Leave organization' }).click();
  await expect(page.getByRole('dialog')).toContainText('Leave');
  await shot(page, 'confirm-leave-org');
  await page.getByRole('dialog').getByRole('button', { name: 'Leave organization' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'You are the last owner' })).toBeVisible();
  await expect(page.getByText(/Something went wrong/)).toHaveCount(0);
  await expect(page).toHaveURL(new RegExp(`${orgPath}/members$`));
  await axe(page, 'members');
  await shot(page, 'leave-org-last-owner');
});

test('deleting a server asks first', async ({ browser }) => {
  const { page, orgPath } = await signUp(browser);
  const serverPath = await registerTwikitPreset(page, orgPath);
  // Delete server: asks, then deletes.
  await page.goto(serverPath);
  await page.getByRole('button', { name: 'Delete server' }).click();
  await expect(page.getByRole('dialog')).toContainText('Delete server “Twikit”?');
  await shot(page, 'confirm-delete-server');
  await page.getByRole('dialog').getByRole('button', { name: 'Delete server' }).click();
  await expect(page).toHaveURL(new RegExp(`${orgPath}/servers$`));
  await expect(page.getByRole('link', { name: 'Twikit' })).toHaveCount(0);
});

test('refusals read cleanly; the admin trail speaks in names; every page has a skip link, a favicon and passes axe', async ({
  browser,
}) => {
  test.setTimeout(420_000);
  const { page, orgPath } = await signUp(browser);
  const serverPath = await registerTwikitPreset(page, orgPath);
  await savePolicyJson(page, serverPath, {
    version: '1',
    default: 'deny',
    tools: { get_tweet: { action: 'allow' } },
  });
  await page.goto(`${orgPath}/grants`);
  await page.getByLabel('Grant name').fill('reader');
  await page.getByRole('button', { name: 'Create grant' }).click();
  const proxyUrl = (await page.getByTestId('grant-proxy-url').textContent())!.trim();
  const token = (await page.getByTestId('grant-token').textContent())!.trim();
  const agent = await connectAgent(proxyUrl, token);
  const unknown = resultText(await agent.callTool({ name: 'like_twet', arguments: {} }));
  expect.soft(unknown).toContain('Denied by policy');
  expect.soft(unknown).not.toContain('((');
  // The rate-limit wording ("retry in" once) is checked where it is made: packages/policy
  // refusal-text.test.ts and the gateway's enforcement test; an allowed call here would write the
  // stand-in's shared call log as another sandbox user than user-day's.
  await agent.close();

  // The trail: names and readable details, no raw ids or JSON.
  await page.goto(`${orgPath}/trail`);
  const trail = page.getByRole('region', { name: 'Admin events' });
  await expect(trail.getByRole('row').filter({ hasText: 'server.create' }).first()).toContainText('Twikit');
  const text = (await trail.textContent()) ?? '';
  expect.soft(text, 'raw ids in the trail').not.toMatch(/\bc[a-z0-9]{24}\b/);
  expect.soft(text, 'raw JSON in the trail').not.toMatch(/\{"/);
  await shot(page, 'trail');

  const favicon = await page.request.get('/favicon.ico');
  expect.soft(favicon.status(), '/favicon.ico').toBe(200);

  const pages = [
    'servers',
    'grants',
    'approvals',
    'audit',
    'trail',
    'members',
    'settings/api-keys',
    'settings/audit',
  ].map((p) => `${orgPath}/${p}`);
  for (const path of [...pages, serverPath, `${serverPath}/policy`, '/orgs/new']) {
    await page.goto(path);
    await page.keyboard.press('Tab');
    await expect.soft(page.locator(':focus'), `skip link on ${path}`).toHaveText('Skip to main content');
    await axe(page, path);
  }
  // Signed-out pages.
  const anon = await browser.newContext({ baseURL: dashboard() });
  const anonPage = await anon.newPage();
  for (const path of ['/signin', '/signup', '/signup/check-email']) {
    await anonPage.goto(path);
    await axe(anonPage, path);
  }
  await anonPage.goto('/o/no-such-org/nothing');
  await axe(anonPage, 'not found');
  await anon.close();
});

test('sign-up and sign-in keep what was typed after an error, show it once, and drop it while retrying', async ({
  browser,
}) => {
  const context = await browser.newContext({ baseURL: dashboard() });
  const page = await context.newPage();
  await page.goto('/signup');
  await page.getByLabel('Name', { exact: true }).fill('Sam Short');
  await page.getByLabel('Email').fill(`short-${Date.now()}@example.test`);
  await page.getByLabel('Password').fill('short');
  await page.getByLabel('Organization name').fill('Shorts');
  await page.getByRole('button', { name: 'Create account' }).click();
  // The password's error, under the password only (its hint says "At least 12 characters." too).
  const errors = page.locator('#f-password-error');
  await expect(errors).toBeVisible();
  const message = (await errors.textContent())!.trim();
  await expect.soft(page.getByText(message, { exact: true })).toHaveCount(1);
  await expect.soft(page.getByLabel('Name', { exact: true })).toHaveValue('Sam Short');
  await expect.soft(page.getByLabel('Organization name')).toHaveValue('Shorts');
  await axe(page, 'signup with an error');
  await shot(page, 'signup-error-kept');

  await page.goto('/signin');
  await page.getByLabel('Email').fill('nobody@example.test');
  await page.getByLabel('Password').fill('wrong password here');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Email or password is incorrect.')).toHaveCount(1);
  await expect.soft(page.getByLabel('Email')).toHaveValue('nobody@example.test');
  await context.close();
});
