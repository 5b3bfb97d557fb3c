// Issue #7: the user's whole day against the real stack (dashboard, gateway, Twikit stand-in over
// stdio, PostgreSQL) in Debian's Chromium, with an MCP SDK client as the agent.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectAgent, resultText } from '../support/agent.ts';
import { shot } from '../support/shots.ts';
import { verificationPath, waitForMail } from '../support/mail-log.ts';

const dashboard = () => process.env.E2E_DASHBOARD_URL!;
const callLog = () => process.env.E2E_TWIKIT_CALL_LOG!;
const stamp = Date.now();
const alice = {
  name: 'Alice Admin',
  email: `alice-${stamp}@example.test`,
  password: 'correct horse battery staple',
  org: `Acme ${stamp}`,
};
const mallory = {
  name: 'Mallory Other',
  email: `mallory-${stamp}@example.test`,
  password: 'another long passphrase 42',
  org: `Umbrella ${stamp}`,
};

function loggedCalls(): { tool: string; arguments: Record<string, unknown> }[] {
  if (!existsSync(callLog())) return [];
  return readFileSync(callLog(), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

async function signUp(browser: Browser, who: typeof alice): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL: dashboard(),
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();
  await page.goto('/signup');
  await page.getByLabel('Name', { exact: true }).fill(who.name);
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByLabel('Organization name').fill(who.org);
  await page.getByRole('button', { name: 'Create account' }).click();
  // Sign-up ends on the same page whether or not the address is taken; the link in the mail signs in.
  await expect(page).toHaveURL(/\/signup\/check-email$/);
  await expect(page.getByRole('heading', { name: 'Check your e-mail' })).toBeVisible();
  await page.goto(await verificationPath(who.email));
  await page.getByRole('button', { name: 'Confirm e-mail address' }).click();
  await expect(page).toHaveURL(/\/o\/[^/]+/);
  return { context, page };
}

test.describe.configure({ mode: 'serial' });

test('a user signs up, registers Twikit, sets policy, hands an agent a grant, and reviews the audit log', async ({
  browser,
}) => {
  test.setTimeout(300_000);
  // 1. Sign up; land in a fresh organization.
  const { context, page } = await signUp(browser, alice);
  const orgPath = new URL(page.url()).pathname.match(/^\/o\/[^/]+/)![0];
  await shot(page, 'signed-up');

  // 2. Register Twikit with the preset (the operator's stdio template, which writes the call log
  //    to a file the test can read).
  await page.goto(`${orgPath}/servers`);
  await page.getByRole('button', { name: 'Use Twikit preset' }).click();
  await shot(page, 'register-twikit');
  await page.getByRole('button', { name: 'Register server' }).click();
  await expect(page).toHaveURL(/\/servers\/[^/]+$/);
  const serverPath = new URL(page.url()).pathname;
  await page.getByRole('button', { name: 'Sync tools' }).click();
  await expect(page.getByRole('status').filter({ hasText: /Synced: 62 tools/ })).toBeVisible({
    timeout: 60_000,
  });
  await expect(page.getByText('(62 tools)')).toBeVisible();
  const leaveRow = page.getByRole('row').filter({ has: page.getByText('leave_community', { exact: true }) });
  await expect(leaveRow).toContainText('Write');
  await expect(leaveRow).toContainText('Medium');
  await shot(page, 'catalog');

  // 3. Recommended policy, then leave_community 3/min per grant, send_tweet denied, delete_tweet approval.
  await page.goto(`${serverPath}/policy`);
  await page.getByRole('button', { name: 'Use recommended policy' }).click();
  await page.getByRole('button', { name: 'Rules' }).click();
  const ruleFor = async (tool: string) => {
    await page.getByLabel('Tool or risk class').selectOption(tool);
    await page.getByRole('button', { name: 'Add rule' }).click();
    return page.getByRole('group', { name: tool, exact: true });
  };
  const leave = await ruleFor('leave_community');
  await leave.getByLabel('Action for leave_community').selectOption('allow');
  await leave.getByLabel('Rate limit: calls for leave_community').fill('3');
  await leave.getByLabel('Rate limit: per', { exact: true }).selectOption('minute');
  await leave.getByLabel('Rate limit: counted per').selectOption('grant');
  const send = await ruleFor('send_tweet');
  await send.getByLabel('Action for send_tweet').selectOption('deny');
  await send.getByLabel('Reason for send_tweet').fill('Posting needs a human: use the team account.');
  const del = await ruleFor('delete_tweet');
  await del.getByLabel('Action for delete_tweet').selectOption('require_approval');
  await del.getByLabel('Approval timeout (s)').fill('120');
  await page.getByRole('button', { name: 'JSON' }).click();
  await expect(page.getByText('Valid policy.')).toBeVisible();
  await shot(page, 'policy-edited');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByText(/Saved as version 1/)).toBeVisible();
  await shot(page, 'policy-saved');

  // 4. Create a grant; copy the proxy URL and token with the copy buttons, read them back from the clipboard.
  await page.goto(`${orgPath}/grants`);
  await page.getByLabel('Grant name').fill('e2e agent');
  await page.getByRole('button', { name: 'Create grant' }).click();
  await page.getByRole('button', { name: 'Copy proxy URL' }).click();
  const proxyUrl = await page.evaluate(() => navigator.clipboard.readText());
  await page.getByRole('button', { name: 'Copy token' }).click();
  const token = await page.evaluate(() => navigator.clipboard.readText());
  expect(proxyUrl).toMatch(/^http:\/\/localhost:\d+\/mcp\/[A-Za-z0-9]+$/);
  expect(token).toMatch(/^pcg_/);
  await shot(page, 'grant-created');

  // 5. The agent.
  const agent: Client = await connectAgent(proxyUrl, token);
  const { tools } = await agent.listTools();
  const names = tools.map((t) => t.name);
  expect(names).toContain('leave_community');
  expect(names).toContain('get_tweet');
  expect(names).not.toContain('send_tweet');

  const found = await agent.callTool({ name: 'search_community', arguments: { query: 'Birdwatchers' } });
  const birders = String(resultText(found).match(/"id":\s*"?(\d+)/)?.[1]);
  const tsDevsText = resultText(
    await agent.callTool({ name: 'search_community', arguments: { query: 'TypeScript' } }),
  );
  const tsDevs = String(tsDevsText.match(/"id":\s*"?(\d+)/)?.[1]);
  // Leave three times (rejoining in between), each reaching the stand-in and changing memberships.
  const leaves = [tsDevs, birders, tsDevs];
  for (const [i, community] of leaves.entries()) {
    if (i > 0) {
      const joined = await agent.callTool({ name: 'join_community', arguments: { community_id: community } });
      expect(joined.isError, resultText(joined)).toBeFalsy();
    }
    const left = await agent.callTool({ name: 'leave_community', arguments: { community_id: community } });
    expect(left.isError, resultText(left)).toBeFalsy();
    expect(resultText(left)).toContain('left');
  }
  await agent.callTool({ name: 'join_community', arguments: { community_id: birders } });
  const fourth = await agent.callTool({ name: 'leave_community', arguments: { community_id: birders } });
  expect(fourth.isError).toBe(true);
  expect(resultText(fourth)).toMatch(/rate limit/i);
  expect(resultText(fourth)).toMatch(/retry in \d+/i);
  expect(loggedCalls().filter((c) => c.tool === 'leave_community')).toHaveLength(3);

  const denied = await agent.callTool({ name: 'send_tweet', arguments: { text: 'hello from e2e' } });
  expect(denied.isError).toBe(true);
  expect(resultText(denied)).toContain('Posting needs a human');
  expect(loggedCalls().some((c) => c.tool === 'send_tweet')).toBe(false);

  // delete_tweet waits for a person; a second browser context approves it.
  const timeline = resultText(
    await agent.callTool({ name: 'get_user_tweets', arguments: { screen_name: 'portcullis_demo' } }),
  );
  const tweetId = String(timeline.match(/"id":\s*"?(\d+)/)?.[1]);
  expect(tweetId, timeline).toMatch(/^\d+$/);
  const pending = agent.callTool({ name: 'delete_tweet', arguments: { tweet_id: tweetId } }, undefined, {
    timeout: 120_000,
  });
  const approver = await browser.newContext({
    baseURL: dashboard(),
    storageState: await context.storageState(),
  });
  const approverPage = await approver.newPage();
  await approverPage.goto(`${orgPath}/approvals`);
  await expect(approverPage.getByText('delete_tweet').first()).toBeVisible({ timeout: 20_000 });
  await shot(approverPage, 'approval-pending');
  await approverPage.getByRole('button', { name: 'Approve' }).first().click();
  const deleted = await pending;
  expect(deleted.isError, resultText(deleted)).toBeFalsy();
  expect(loggedCalls().some((c) => c.tool === 'delete_tweet')).toBe(true);
  await shot(approverPage, 'approval-decided');

  // 6. The audit log shows every call with its decision and rule; filter; export.
  await page.goto(`${orgPath}/audit`);
  await expect(
    page.getByRole('row').filter({ hasText: 'leave_community' }).filter({ hasText: 'Rate limited' }),
  ).toHaveCount(1);
  await expect(
    page.getByRole('row').filter({ hasText: 'leave_community' }).filter({ hasText: 'Allowed' }),
  ).toHaveCount(3);
  await expect(page.getByText('/tools/leave_community/rate_limit').first()).toBeVisible();
  await expect(page.getByText('/tools/send_tweet').first()).toBeVisible();
  await shot(page, 'audit');
  await page.getByLabel('Decision').selectOption('deny');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/decision=deny/);
  await expect(page.getByRole('row').filter({ hasText: 'send_tweet' })).toHaveCount(1);
  await expect(page.getByRole('row').filter({ hasText: 'leave_community' })).toHaveCount(0);
  await shot(page, 'audit-filtered');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export CSV' }).click(),
  ]);
  const csv = readFileSync((await download.path())!, 'utf8');
  expect(csv).toContain('send_tweet');
  expect(csv).not.toContain('leave_community');

  // 7. Another organization sees none of it, even with the first one's URLs.
  const other = await signUp(browser, mallory);
  for (const path of [
    serverPath,
    `${serverPath}/policy`,
    `${orgPath}/audit`,
    `${orgPath}/grants`,
    `${orgPath}/approvals`,
  ]) {
    const res = await other.page.goto(path);
    expect(res?.status(), path).toBe(404);
  }
  await shot(other.page, 'other-tenant-404');

  // 8. Revoke the grant; the next call is refused.
  await page.goto(`${orgPath}/grants`);
  // The grant says which MCP era its client spoke (the SDK v1 agent above: a legacy session).
  await expect(page.getByRole('row').filter({ hasText: 'e2e agent' })).toContainText(
    'MCP 2025-11-25 (legacy session)',
  );
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Revoke' }).first().click();
  await page.getByRole('dialog').getByRole('button', { name: 'Revoke grant' }).click();
  await expect(page.getByRole('row').filter({ hasText: 'e2e agent' })).toContainText(/revoked/i);
  await shot(page, 'grant-revoked');
  await expect(agent.callTool({ name: 'get_tweet', arguments: { tweet_id: tweetId } })).rejects.toThrow(
    /401|nauthori|revoked/i,
  );
  await agent.close().catch(() => undefined);
  await Promise.all([context.close(), approver.close(), other.context.close()]);
});

test('sign-up with a taken address looks the same to the visitor, and its owner is told', async ({
  browser,
}) => {
  const context = await browser.newContext({ baseURL: dashboard() });
  const page = await context.newPage();
  await page.goto('/signup');
  await page.getByLabel('Name', { exact: true }).fill('Eve Prober');
  await page.getByLabel('Email').fill(alice.email.toUpperCase());
  await page.getByLabel('Password').fill('a guess at a passphrase');
  await page.getByLabel('Organization name').fill('Probe');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/signup\/check-email$/);
  await expect(page.getByRole('heading', { name: 'Check your e-mail' })).toBeVisible();
  await waitForMail(alice.email, /Someone tried to sign up/);
  // Alice's password is still hers.
  await page.goto('/signin');
  await page.getByLabel('Email').fill(alice.email);
  await page.getByLabel('Password').fill(alice.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/o\/[^/]+/);
  await context.close();
});
