// Issue #25: upstream OAuth. A tenant registers an MCP server behind its own OAuth authorization
// server (one that knows only pre-registered clients), members connect their own accounts at the
// upstream from the Connections page, and every grant acts as the member who created it. The
// upstream is test/fixtures/preregistered-oauth-upstream.ts on the port global-setup allowed
// (UPSTREAM_PRIVATE_ORIGINS); its whoami tool answers with the user its bearer token belongs to.
import { randomBytes } from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  startPreregisteredUpstream,
  type PreregisteredUpstream,
} from '../../test/fixtures/preregistered-oauth-upstream.ts';
import { connectAgent, resultText } from '../support/agent.ts';
import { signUpAndConfirm } from '../support/accounts.ts';
import { shot } from '../support/shots.ts';

const dashboard = () => process.env.E2E_DASHBOARD_URL!;
const PASSWORD = 'a long enough passphrase 25';
const POLICY = { version: '1', default: 'deny', tools: { whoami: { action: 'allow' } } };
/** The app the tenant registered at the upstream beforehand: its id and secret go into the form. */
const CLIENT_ID = 'portcullis-e2e';
const CLIENT_SECRET = randomBytes(24).toString('base64url');

let upstream: PreregisteredUpstream;

test.beforeAll(async () => {
  upstream = await startPreregisteredUpstream({
    port: Number(process.env.E2E_OAUTH_UPSTREAM_PORT),
    clients: [
      {
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        redirectUris: [`${dashboard()}/oauth/upstream-callback`],
      },
    ],
  });
});

test.afterAll(async () => {
  await upstream?.close();
});

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

async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ baseURL: dashboard(), viewport: { width: 1440, height: 900 } });
  return context.newPage();
}

/** From a "Connect Notes" button: the upstream's own sign-in page, as `username`, and back connected. */
async function signInAtUpstream(page: Page, username: string, label: string): Promise<void> {
  await expect(page).toHaveURL(new RegExp(`^${upstream.origin}/authorize\\?`));
  await expect(page.getByRole('heading', { name: 'Sign in to Notes' })).toBeVisible();
  await page.getByLabel('Username').fill(username);
  await shot(page, `upstream-oauth-sign-in-${label}`);
  await page.getByRole('button', { name: 'Allow' }).click();
  await expect(page).toHaveURL(/\/o\/[^/]+\/connections\?connected=/);
  await expect(page.getByRole('status').filter({ hasText: 'Connected Notes.' })).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: 'Notes' })).toContainText('connected');
  await expect(page.getByRole('row').filter({ hasText: 'Notes' })).not.toContainText('not connected');
}

async function createGrant(
  page: Page,
  orgPath: string,
  name: string,
): Promise<{ url: string; token: string }> {
  await page.goto(`${orgPath}/grants`);
  await page.getByLabel('Grant name').fill(name);
  await page.getByLabel('Server', { exact: true }).selectOption({ label: 'Notes' });
  await page.getByRole('button', { name: 'Create grant' }).click();
  const url = (await page.getByTestId('grant-proxy-url').textContent())!.trim();
  const token = (await page.getByTestId('grant-token').textContent())!.trim();
  return { url, token };
}

test('upstream OAuth: members connect their own accounts; each grant acts as the member who created it', async ({
  browser,
}) => {
  test.setTimeout(300_000);
  const stamp = `${Date.now()}`;

  // a. The owner signs up.
  const owner = await newPage(browser);
  const orgPath = await signUpAndConfirm(owner, {
    name: 'Alice Owner',
    email: `upstream-alice-${stamp}@example.test`,
    password: PASSWORD,
    organizationName: `Upstream ${stamp}`,
  });

  // b. Registers the server: the form finds the sign-in and its issuer; per user, with the app's client.
  await owner.goto(`${orgPath}/servers`);
  await owner.getByLabel('Name', { exact: true }).fill('Notes');
  await owner.getByRole('radio', { name: 'Streamable HTTP URL' }).check();
  await owner.getByLabel('URL', { exact: true }).fill(upstream.url);
  const signIn = owner.getByRole('region', { name: 'Sign-in' });
  await expect(signIn.getByRole('heading', { name: 'This server needs sign-in' })).toBeVisible({
    timeout: 30_000,
  });
  await expect(signIn.getByTestId('oauth-issuer')).toHaveText(upstream.issuer);
  await expect(signIn.getByRole('radio', { name: /^Per user/ })).toBeChecked();
  await signIn.getByLabel(/^Client id/).fill(CLIENT_ID);
  await signIn.getByLabel('Client secret (optional)').fill(CLIENT_SECRET);
  await expect(signIn.getByTestId('oauth-method')).toContainText('your registered app');
  await shot(owner, 'upstream-oauth-register');
  await owner.getByRole('button', { name: 'Register server' }).click();
  await expect(owner).toHaveURL(/\/servers\/[^/]+$/, { timeout: 60_000 });
  const serverPath = new URL(owner.url()).pathname;
  const serverId = serverPath.split('/').at(-1)!;

  // c. Connections: connect the owner's own account at the upstream, as alice.
  await owner
    .getByRole('navigation', { name: 'Organization' })
    .getByRole('link', { name: 'Connections' })
    .click();
  await expect(owner).toHaveURL(new RegExp(`${orgPath}/connections$`));
  await expect(owner.getByRole('row').filter({ hasText: 'Notes' })).toContainText('not connected');
  await axe(owner, 'connections (not connected)');
  await shot(owner, 'upstream-oauth-connections-empty');
  await owner.getByRole('button', { name: 'Connect Notes' }).click();
  await signInAtUpstream(owner, 'alice', 'alice');
  await axe(owner, 'connections (connected)');
  await shot(owner, 'upstream-oauth-connected-alice');

  // d. Connecting synced the catalog with alice's account (a server behind sign-in is not synced at registration).
  await owner.goto(serverPath);
  const catalog = owner.getByRole('heading', { name: /^Catalog \(\d+ tools\)$/ });
  const syncedOnConnect = await catalog.isVisible();
  test.info().annotations.push({
    type: 'catalog',
    description: syncedOnConnect ? 'synced on connect' : 'not synced on connect; synced by hand',
  });
  if (!syncedOnConnect) {
    await owner.getByRole('button', { name: 'Sync tools' }).click();
    await expect(owner.getByRole('status').filter({ hasText: /Synced: 3 tools/ })).toBeVisible({
      timeout: 60_000,
    });
  }
  await expect(owner.getByRole('heading', { name: 'Catalog (3 tools)' })).toBeVisible();
  for (const tool of ['whoami', 'add_note', 'slow_whoami'])
    await expect(owner.locator(`tr[data-tool="${tool}"]`)).toBeVisible();
  await shot(owner, 'upstream-oauth-catalog');

  // e. A policy allowing whoami, a grant, an agent: whoami answers as alice.
  await owner.goto(`${serverPath}/policy`);
  await owner.getByRole('button', { name: 'JSON' }).click();
  await owner.getByRole('textbox', { name: 'Policy JSON' }).click();
  await owner.keyboard.press('ControlOrMeta+a');
  await owner.keyboard.press('Delete');
  await owner.keyboard.insertText(JSON.stringify(POLICY, null, 2));
  await owner.getByRole('button', { name: 'Save policy' }).click();
  await expect(owner.getByText(/Saved as version \d+/)).toBeVisible();
  const aliceGrant = await createGrant(owner, orgPath, 'alice agent');
  await shot(owner, 'upstream-oauth-grant-alice');
  const aliceAgent = await connectAgent(aliceGrant.url, aliceGrant.token);
  const bobPage = await newPage(browser);
  try {
    const asAlice = await aliceAgent.callTool({ name: 'whoami', arguments: {} });
    expect(asAlice.isError, resultText(asAlice)).toBeFalsy();
    expect(resultText(asAlice)).toBe('alice');

    // f. A second member: invited as editor, signs up, accepts, and lands in the owner's organization.
    const bobEmail = `upstream-bob-${stamp}@example.test`;
    await owner.goto(`${orgPath}/members`);
    await owner.getByLabel('Email (optional)').fill(bobEmail);
    await owner.getByLabel('Role').selectOption('editor');
    await owner.getByRole('button', { name: 'Create invitation link' }).click();
    const link = (await owner.locator('code').filter({ hasText: '/invite/' }).textContent())!.trim();
    expect(link).toMatch(/\/invite\/\S+$/);
    await shot(owner, 'upstream-oauth-invite');

    await signUpAndConfirm(bobPage, {
      name: 'Bob Member',
      email: bobEmail,
      password: PASSWORD,
      organizationName: `Bob ${stamp}`,
    });
    await bobPage.goto(new URL(link).pathname);
    await expect(bobPage.getByText('You are invited as editor.')).toBeVisible();
    await bobPage.getByRole('button', { name: 'Accept invitation' }).click();
    await expect(bobPage).toHaveURL(new RegExp(`${orgPath}/servers$`));
    await expect(bobPage.getByRole('link', { name: 'Notes', exact: true }).first()).toBeVisible();

    // Bob's own grant acts as bob, who has no account connected yet: the call says where to connect.
    const bobGrant = await createGrant(bobPage, orgPath, 'bob agent');
    await expect(bobPage.getByRole('row').filter({ hasText: 'bob agent' })).toContainText(
      'account not connected',
    );
    await shot(bobPage, 'upstream-oauth-grant-bob');
    const bobAgent = await connectAgent(bobGrant.url, bobGrant.token);
    try {
      const refused = await bobAgent.callTool({ name: 'whoami', arguments: {} });
      expect(refused.isError).toBe(true);
      const refusal = resultText(refused);
      const connectUrl = `${dashboard()}${orgPath}/connections?server=${serverId}`;
      expect(refusal).toContain('/connections?server=');
      expect(refusal).toContain(connectUrl);
      expect(upstream.mcpCalls.filter((c) => c.user === 'bob')).toEqual([]);

      // Bob follows the link, connects his own account as bob; the same agent session now acts as bob.
      await bobPage.goto(connectUrl);
      const wanted = bobPage.getByRole('region', { name: 'Connect Notes' });
      await expect(wanted).toContainText(upstream.issuer);
      await axe(bobPage, 'connections (?server=)');
      await shot(bobPage, 'upstream-oauth-connect-wanted');
      await wanted.getByRole('button', { name: 'Connect Notes' }).click();
      await signInAtUpstream(bobPage, 'bob', 'bob');
      await shot(bobPage, 'upstream-oauth-connected-bob');

      const asBob = await bobAgent.callTool({ name: 'whoami', arguments: {} });
      expect(asBob.isError, resultText(asBob)).toBeFalsy();
      expect(resultText(asBob)).toBe('bob');
    } finally {
      await bobAgent.close();
    }
    // The owner's agent still acts as alice.
    const stillAlice = await aliceAgent.callTool({ name: 'whoami', arguments: {} });
    expect(resultText(stillAlice)).toBe('alice');
    const users = new Set(upstream.mcpCalls.map((c) => c.user));
    expect(users).toContain('alice');
    expect(users).toContain('bob');
    expect(upstream.mcpCalls.filter((c) => c.tool === 'whoami').map((c) => c.user)).toEqual([
      'alice',
      'bob',
      'alice',
    ]);
  } finally {
    await aliceAgent.close();
  }

  // g. The owner's audit log shows bob's first call as not sent for want of a connected account.
  await owner.goto(`${orgPath}/audit`);
  const refusedRow = owner
    .getByRole('row')
    .filter({ hasText: 'bob agent' })
    .filter({ hasText: 'not sent: account not connected' });
  await expect(refusedRow).toHaveCount(1);
  await expect(refusedRow).toContainText('whoami');
  await expect(
    owner.getByRole('row').filter({ hasText: 'bob agent' }).filter({ hasText: 'ran' }),
  ).toHaveCount(1);
  await shot(owner, 'upstream-oauth-audit');
});
