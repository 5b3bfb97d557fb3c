// Operations in the browser: the overview's charts and tables over real calls, a continuous audit
// export added on Settings that delivers those calls to a receiver (signed JSON lines), and the
// retention setting refusing a period longer than the operator's.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { connectAgent } from '../support/agent.ts';
import { registerTwikitPreset, signUpAndConfirm } from '../support/accounts.ts';
import { shot } from '../support/shots.ts';

const dashboard = () => process.env.E2E_DASHBOARD_URL!;
const POLICY = { version: '1', default: 'deny', tools: { get_tweet: { action: 'allow' } } };

async function axe(page: Page, name: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
  expect.soft(bad, `axe on ${name} (${page.url()})`).toEqual([]);
}

test('the overview shows real calls by decision, tool and latency; an audit export delivers them signed; retention refuses more than the operator allows', async ({
  browser,
}) => {
  test.setTimeout(300_000);
  const bodies: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push({ headers: req.headers, body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(Number(process.env.E2E_WEBHOOK_PORT), '127.0.0.1', r));
  try {
    const stamp = `${Date.now()}`;
    const context = await browser.newContext({
      baseURL: dashboard(),
      viewport: { width: 1440, height: 900 },
    });
    const page = await context.newPage();
    const orgPath = await signUpAndConfirm(page, {
      name: 'Olga Operator',
      email: `operator-${stamp}@example.test`,
      password: 'a long enough passphrase 18',
      organizationName: `Operations ${stamp}`,
    });

    // The export first: it sends what is recorded after it was added.
    await page.goto(`${orgPath}/settings/audit`);
    await page.getByLabel('Name').fill('siem');
    await page.getByLabel('URL').fill(`http://127.0.0.1:${process.env.E2E_WEBHOOK_PORT}/audit`);
    await page.getByRole('button', { name: 'Add export' }).click();
    const secret = (await page.getByTestId('export-secret').textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    // Retention: longer than the operator's 90 days is refused with the reason; shorter is saved.
    await page.getByLabel('Keep audit events for (days)').fill('400');
    await page.getByRole('button', { name: 'Save retention' }).click();
    await expect(page.getByText(/at most 90 days/)).toBeVisible();
    await page.getByLabel('Keep audit events for (days)').fill('30');
    await page.getByRole('button', { name: 'Save retention' }).click();
    await expect(page.getByTestId('retention-effective')).toHaveText(/older than 30 days/);

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
    await page.goto(`${orgPath}/grants`);
    await page.getByLabel('Grant name').fill('overview agent');
    await page.getByRole('button', { name: 'Create grant' }).click();
    const proxyUrl = (await page.getByTestId('grant-proxy-url').textContent())!.trim();
    const token = (await page.getByTestId('grant-token').textContent())!.trim();

    const agent = await connectAgent(proxyUrl, token);
    for (let i = 0; i < 5; i += 1)
      await agent.callTool({ name: 'get_tweet', arguments: { tweet_id: `185000000000000${i}` } });
    for (let i = 0; i < 2; i += 1)
      await agent.callTool({ name: 'delete_tweet', arguments: { tweet_id: '1850000000000001' } });
    await agent.close();

    await page.goto(`${orgPath}/overview?range=1h`);
    const totals = page.getByTestId('overview-totals');
    await expect(totals.getByText('Calls', { exact: true }).locator('..')).toContainText('7');
    await expect(totals.getByText('Allowed', { exact: true }).locator('..')).toContainText('5');
    await expect(totals.getByText('Refused', { exact: true }).locator('..')).toContainText('2');
    await expect(
      page.getByRole('img', { name: /Calls over time by decision: allowed 5, denied 2/ }),
    ).toBeVisible();
    const topTools = page.getByRole('region', { name: 'Top tools' });
    await expect(topTools.getByRole('row').filter({ hasText: 'get_tweet' })).toContainText('5');
    const denied = page.getByRole('region', { name: 'Top denied tools and reasons' });
    await expect(denied.getByRole('row').filter({ hasText: 'delete_tweet' })).toContainText('2');
    await expect(page.getByRole('img', { name: /Upstream latency per server: Twikit p50/ })).toBeVisible();
    // The charts drew their bars (Recharts SVG), not just the text equivalents.
    await expect(page.locator('.recharts-bar-rectangle').first()).toBeVisible();
    await shot(page, 'overview');
    await axe(page, 'overview');
    await page.getByRole('link', { name: 'Last 7 days' }).click();
    await expect(page).toHaveURL(/range=7d/);
    await expect(totals.getByText('Calls', { exact: true }).locator('..')).toContainText('7');

    // The export delivered the 7 calls (and the listing), signed; each line names its event.
    await expect
      .poll(() => bodies.flatMap((b) => b.body.trim().split('\n')).filter(Boolean).length, {
        timeout: 60_000,
      })
      .toBeGreaterThanOrEqual(7);
    for (const b of bodies) {
      const expected = `v1=${createHmac('sha256', secret)
        .update(`${String(b.headers['x-portcullis-timestamp'])}.${b.body}`)
        .digest('hex')}`;
      const given = String(b.headers['x-portcullis-signature']);
      expect(
        given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected)),
      ).toBe(true);
    }
    const events = bodies.flatMap((b) =>
      b.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; tool: string | null; decision: string }),
    );
    expect(events.filter((e) => e.tool === 'get_tweet' && e.decision === 'allow')).toHaveLength(5);
    expect(events.filter((e) => e.tool === 'delete_tweet' && e.decision === 'deny')).toHaveLength(2);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    await page.goto(`${orgPath}/settings/audit`);
    await expect(page.getByRole('row').filter({ hasText: 'siem' })).toContainText(/\d+ events/);
    await shot(page, 'audit-settings');
    await axe(page, 'audit settings');
  } finally {
    await new Promise<void>((r) => receiver.close(() => r()));
  }
});
