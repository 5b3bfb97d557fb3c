// Issue #18: approvals that reach people and outlive the agent's timeout; an audit log people watch.
// An MCP SDK client with default options (60 s request timeout) calls a tool that needs approval
// and gets the gateway's hand-back (held 45 s by default); the approver hears of it (navigation
// count, a signed webhook), approves in the browser, the identical retry runs once, a third
// identical call is held again, a denial's note reaches the agent. A second channel whose receiver
// is down is retried and logged without touching the approval flow. The audit log shows a call made
// after it was opened, without a reload.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import AxeBuilder from '@axe-core/playwright';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { connectAgent, resultText } from '../support/agent.ts';
import { registerTwikitPreset, signUpAndConfirm } from '../support/accounts.ts';
import { shot } from '../support/shots.ts';

const dashboard = () => process.env.E2E_DASHBOARD_URL!;
const TWEET = '1850000000000001';
const POLICY = {
  version: '1',
  default: 'deny',
  tools: {
    get_tweet: { action: 'allow' },
    like_tweet: { action: 'require_approval', approval: { timeout: 900 } },
  },
};

async function signUp(browser: Browser): Promise<{ page: Page; orgPath: string }> {
  const stamp = `${Date.now()}`;
  const context = await browser.newContext({ baseURL: dashboard(), viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const email = `approver-${stamp}@example.test`;
  const orgPath = await signUpAndConfirm(page, {
    name: 'Ada Approver',
    email,
    password: 'a long enough passphrase 18',
    organizationName: `Approvals ${stamp}`,
  });
  return { page, orgPath };
}

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** The organization's webhook receiver, on the origin the operator allowed (global-setup). */
async function startReceiver(): Promise<{ deliveries: Delivery[]; close: () => Promise<void> }> {
  const deliveries: Delivery[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(Number(process.env.E2E_WEBHOOK_PORT), '127.0.0.1', r));
  return { deliveries, close: () => new Promise((r) => server.close(() => r())) };
}

/** What a receiver does with the documented scheme, written here independently of the dashboard. */
function verifies(secret: string, d: Delivery): boolean {
  const timestamp = String(d.headers['x-portcullis-timestamp']);
  const signature = Buffer.from(String(d.headers['x-portcullis-signature']));
  const expected = Buffer.from(
    `v1=${createHmac('sha256', secret).update(`${timestamp}.${d.body}`).digest('hex')}`,
  );
  return (
    Math.abs(Date.now() / 1000 - Number(timestamp)) < 300 &&
    signature.length === expected.length &&
    timingSafeEqual(signature, expected)
  );
}

function likes(): number {
  return readFileSync(process.env.E2E_TWIKIT_CALL_LOG!, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { tool: string; arguments: { tweet_id?: string } })
    .filter((c) => c.tool === 'like_tweet' && c.arguments.tweet_id === TWEET).length;
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

const decisionOf = (r: CallToolResult) =>
  r._meta?.['portcullis/decision'] as { effect: string; approvalId?: string };

test('a held call is handed back, approved in the browser, runs once on the identical retry; a denial note reaches the agent; a dead receiver is retried and logged', async ({
  browser,
}) => {
  test.setTimeout(420_000);
  const receiver = await startReceiver();
  try {
    const { page, orgPath } = await signUp(browser);
    // Server, policy, channels, grant.
    const serverPath = await registerTwikitPreset(page, orgPath);
    await page.goto(`${serverPath}/policy`);
    await page.getByRole('button', { name: 'JSON' }).click();
    const editor = page.getByRole('textbox', { name: 'Policy JSON' });
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(JSON.stringify(POLICY, null, 2));
    await page.getByRole('button', { name: 'Save policy' }).click();
    await expect(page.getByText(/Saved as version \d+/)).toBeVisible();

    await page.goto(`${orgPath}/settings/notifications`);
    await page.getByLabel('Channel name').fill('on-call hook');
    await page.getByLabel('URL').fill(`http://127.0.0.1:${process.env.E2E_WEBHOOK_PORT}/hook`);
    await page.getByRole('button', { name: 'Add channel' }).click();
    const secret = (await page.getByTestId('webhook-secret').textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    await page.getByLabel('Channel name').fill('dead hook');
    await page.getByLabel('URL').fill(`http://127.0.0.1:${process.env.E2E_WEBHOOK_DOWN_PORT}/hook`);
    await page.getByRole('button', { name: 'Add channel' }).click();
    await expect(page.getByRole('row').filter({ hasText: 'dead hook' })).toBeVisible();

    await page.goto(`${orgPath}/grants`);
    await page.getByLabel('Grant name').fill('approvals agent');
    await page.getByRole('button', { name: 'Create grant' }).click();
    const proxyUrl = (await page.getByTestId('grant-proxy-url').textContent())!.trim();
    const token = (await page.getByTestId('grant-token').textContent())!.trim();

    // The agent: the SDK's client with default options.
    const agent = await connectAgent(proxyUrl, token);
    const likesBefore = likes();
    const nav = page.getByRole('navigation', { name: 'Organization' });
    await page.goto(`${orgPath}/servers`);
    await expect(nav.getByTestId('pending-approvals')).toHaveCount(0);
    const startedAt = Date.now();
    const held = agent.callTool({
      name: 'like_tweet',
      arguments: { tweet_id: TWEET },
    }) as Promise<CallToolResult>;

    // The approver hears of it: the navigation's count, and a signed webhook linking the approval.
    await expect(nav.getByTestId('pending-approvals')).toHaveText(/^1/, { timeout: 20_000 });
    await shot(page, 'approvals-nav-count');
    await expect.poll(() => receiver.deliveries.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    const delivery = receiver.deliveries[0]!;
    expect(verifies(secret, delivery)).toBe(true);
    expect(verifies(secret, { ...delivery, body: delivery.body.replace('like_tweet', 'retweet') })).toBe(
      false,
    );
    const message = JSON.parse(delivery.body) as {
      type: string;
      approval: { id: string; url: string; tool: string; argumentNames: string[]; arguments?: unknown };
    };
    expect(message.type).toBe('approval.requested');
    expect(message.approval.tool).toBe('like_tweet');
    expect(message.approval.argumentNames).toEqual(['tweet_id']);
    // Not a trusted channel: no argument values.
    expect(message.approval.arguments).toBeUndefined();
    expect(delivery.body).not.toContain(TWEET);

    // Not decided within the hold: handed back before the SDK's 60 s timeout, saying what to do.
    const first = await held;
    expect(Date.now() - startedAt).toBeLessThan(60_000);
    expect(first.isError).toBe(true);
    expect(decisionOf(first).effect).toBe('require_approval');
    const approvalId = decisionOf(first).approvalId!;
    expect(message.approval.id).toBe(approvalId);
    expect(message.approval.url).toContain(`${orgPath}/approvals#approval-${approvalId}`);
    expect(resultText(first)).toContain(`approval ${approvalId}`);
    expect(resultText(first)).toMatch(
      /Call like_tweet again with exactly the same arguments once it is approved/,
    );
    expect(likes()).toBe(likesBefore);

    // Approved in the browser, from the link in the message.
    await page.goto(new URL(message.approval.url).pathname + new URL(message.approval.url).hash);
    const item = page.locator(`#approval-${approvalId}`);
    await item.getByLabel('Note for like_tweet (optional)').fill('ok, just this one');
    await item.getByRole('button', { name: 'Approve' }).click();
    // Decided: it leaves the pending list (the page refreshes itself).
    await expect(item).toHaveCount(0, { timeout: 15_000 });

    // The identical retry runs, once, with the note; a third identical call is held again.
    const second = await agent.callTool({ name: 'like_tweet', arguments: { tweet_id: TWEET } });
    expect(second.isError).toBeFalsy();
    expect(resultText(second)).toContain('Note from the person who approved this call: ok, just this one');
    expect(likes()).toBe(likesBefore + 1);
    const third = (await agent.callTool({
      name: 'like_tweet',
      arguments: { tweet_id: TWEET },
    })) as CallToolResult;
    expect(decisionOf(third).effect).toBe('require_approval');
    const secondApprovalId = decisionOf(third).approvalId!;
    expect(secondApprovalId).not.toBe(approvalId);
    expect(likes()).toBe(likesBefore + 1);

    // A denial with a note, decided while the agent's identical call waits: the agent reads the note.
    const waiting = agent.callTool({
      name: 'like_tweet',
      arguments: { tweet_id: TWEET },
    }) as Promise<CallToolResult>;
    await page.goto(`${orgPath}/approvals`);
    const pending = page.locator(`#approval-${secondApprovalId}`);
    await pending.getByLabel('Note for like_tweet (optional)').fill('Not from this account');
    await pending.getByRole('button', { name: 'Deny' }).click();
    await expect(pending).toHaveCount(0, { timeout: 15_000 });
    const denied = await waiting;
    expect(denied.isError).toBe(true);
    expect(resultText(denied)).toBe(
      'Denied by policy (/tools/like_tweet): A person denied this call: Not from this account',
    );
    expect(likes()).toBe(likesBefore + 1);

    // Approvals history says how the approved call went, in words.
    await page.reload();
    const history = page.getByRole('region', { name: 'History' });
    await expect(history.getByRole('row').filter({ hasText: 'approved; ran' })).toBeVisible();
    await expect(history.getByRole('row').filter({ hasText: 'Not from this account' })).toContainText(
      'denied',
    );
    await shot(page, 'approvals-history-outcomes');
    await axe(page, 'approvals with history');

    // The dead receiver: retried with backoff and logged, while everything above went on.
    await page.goto(`${orgPath}/settings/notifications`);
    const deadRow = page.getByRole('row', { name: 'Delivery to dead hook' }).first();
    await expect(deadRow).toContainText(/retrying|failed/);
    await expect(deadRow).toContainText(/ECONNREFUSED/);
    await expect
      .poll(async () => Number(await deadRow.locator('summary').textContent()), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(2);
    await expect(page.getByRole('row', { name: 'Delivery to on-call hook' }).first()).toContainText(
      'delivered',
    );
    await shot(page, 'notifications-delivery-log');
    await axe(page, 'notifications');

    // The audit log shows a call made after it was opened, without a reload.
    await page.goto(`${orgPath}/audit`);
    await expect(page.getByRole('status').filter({ hasText: /^Live/ })).toBeVisible();
    const rowsBefore = await page.getByRole('row').filter({ hasText: 'get_tweet' }).count();
    expect(rowsBefore).toBe(0);
    const loads: string[] = [];
    page.on('load', () => loads.push(page.url()));
    const read = await agent.callTool({ name: 'get_tweet', arguments: { tweet_id: TWEET } });
    expect(read.isError).toBeFalsy();
    const liveRow = page.getByRole('row').filter({ hasText: 'get_tweet' });
    await expect(liveRow).toHaveCount(1, { timeout: 15_000 });
    await expect(liveRow).toContainText('ran');
    expect(loads).toEqual([]);
    await expect(page.getByTestId('chart-axis')).toBeVisible();
    await shot(page, 'audit-live');
    await axe(page, 'audit log (live)');
    await agent.close();
  } finally {
    await receiver.close();
  }
});
