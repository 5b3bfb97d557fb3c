// Content guards in the browser: a server whose catalog has an injected description gets a badge at
// sync; a policy with guards set in the JSON editor redacts a secret in a result and blocks one in
// the arguments; the audit row's details say what fired and where, never the secret.
import AxeBuilder from '@axe-core/playwright';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect, test, type Page } from '@playwright/test';
import { connectAgent, resultText } from '../support/agent.ts';
import { signUpAndConfirm } from '../support/accounts.ts';
import { shot } from '../support/shots.ts';

const dashboard = () => process.env.E2E_DASHBOARD_URL!;
const gh = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const POLICY = {
  version: '1',
  default: 'allow',
  guards: {
    arguments: { secrets: 'block' },
    results: { secrets: 'redact', injection: 'flag', 'pattern:ticket': 'redact' },
  },
  patterns: { ticket: 'TICKET-[0-9]{4}' },
};

async function axe(page: Page, name: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
  expect.soft(bad, `axe on ${name} (${page.url()})`).toEqual([]);
}

test('an injected description is flagged at sync; guards redact a secret in a result and block one in the arguments; the audit says so without the secret', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const stamp = `${Date.now()}`;
  const context = await browser.newContext({ baseURL: dashboard(), viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const orgPath = await signUpAndConfirm(page, {
    name: 'Gus Guard',
    email: `guards-${stamp}@example.test`,
    password: 'a long enough passphrase 18',
    organizationName: `Guards ${stamp}`,
  });

  await page.goto(`${orgPath}/servers`);
  await page.getByLabel('Name', { exact: true }).fill('Leaky');
  await page.getByRole('radio', { name: 'stdio server' }).check();
  await page.locator('#server-template').selectOption('leaky');
  await page.getByRole('button', { name: 'Register server' }).click();
  await expect(page).toHaveURL(/\/servers\/[^/]+$/, { timeout: 60_000 });
  const serverPath = new URL(page.url()).pathname;
  await expect(page.locator('tr[data-tool="read_notes"]')).toBeVisible({ timeout: 30_000 });
  const badge = page.getByTestId('injection-read_notes');
  await expect(badge).toContainText('Possible injected instructions');
  await expect(badge).toContainText('/description');
  await expect(page.getByTestId('injection-echo')).toHaveCount(0);
  await shot(page, 'catalog-injection-badge');
  await axe(page, 'catalog with an injection badge');

  // The guards set in the form view (Rules), which writes the JSON draft.
  await page.goto(`${serverPath}/policy`);
  await page.getByRole('button', { name: 'JSON' }).click();
  const editor = page.getByRole('textbox', { name: 'Policy JSON' });
  await editor.click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(JSON.stringify({ version: '1', default: 'allow' }, null, 2));
  await page.getByRole('button', { name: 'Rules' }).click();
  await page.getByText('Content guards for every tool').click();
  await page.getByLabel(/^Secrets .* in arguments for the server$/).selectOption('block');
  await page.getByLabel(/^Secrets .* in results for the server$/).selectOption('redact');
  await page.getByLabel('Injected instructions in results for the server').selectOption('flag');
  await page.getByLabel('New pattern name').fill('ticket');
  await page.getByLabel('Expression (RE2)').fill('TICKET-[0-9]{4}');
  await page.getByRole('button', { name: 'Add pattern' }).click();
  await page.getByLabel('Pattern ticket in results for the server').selectOption('redact');
  await shot(page, 'policy-guard-forms');
  await axe(page, 'policy form view with guards');
  await page.getByRole('button', { name: 'JSON' }).click();
  const json = JSON.parse((await editor.textContent()) ?? '{}') as Record<string, unknown>;
  expect(json).toMatchObject(POLICY);
  await page.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByText(/Saved as version \d+/)).toBeVisible();

  await page.goto(`${orgPath}/grants`);
  await page.getByLabel('Grant name').fill('guarded agent');
  await page.getByRole('button', { name: 'Create grant' }).click();
  const proxyUrl = (await page.getByTestId('grant-proxy-url').textContent())!.trim();
  const token = (await page.getByTestId('grant-token').textContent())!.trim();
  const agent = await connectAgent(proxyUrl, token);
  const leaked = (await agent.callTool({ name: 'leak', arguments: {} })) as CallToolResult;
  expect(resultText(leaked)).toContain('deploy token: [REDACTED:secrets]');
  expect(JSON.stringify(leaked)).not.toContain(gh);
  const blocked = (await agent.callTool({
    name: 'echo',
    arguments: { text: `here: ${gh}` },
  })) as CallToolResult;
  expect(blocked.isError).toBe(true);
  expect(resultText(blocked)).toMatch(/content guard secrets/);
  await agent.close();

  await page.goto(`${orgPath}/audit`);
  const row = page.getByRole('row').filter({ hasText: 'leak' }).first();
  await row.getByRole('link').first().click();
  const findings = page.getByTestId('guard-findings');
  await expect(findings).toContainText('redacted');
  await expect(findings).toContainText('secrets');
  await expect(findings).toContainText('/content/0/text');
  await expect(page.locator('body')).not.toContainText(gh);
  await shot(page, 'audit-guard-findings');
  await axe(page, 'audit with guard findings');
});
