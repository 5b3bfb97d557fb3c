// Issue #26: toolsets. A new user registers the Twikit stand-in twice (two servers, two sandboxes,
// two policies), puts both behind one toolset in the dashboard (prefixes, a subset, an override),
// grants the toolset, and an MCP SDK client sees and calls the union through one URL: each tool
// under its own server's policy, narrowed by the toolset. The audit log names the toolset.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { existsSync, readFileSync } from 'node:fs';
import { connectAgent, resultText } from '../support/agent.ts';
import { registerTwikitPreset, signUpAndConfirm } from '../support/accounts.ts';
import { shot } from '../support/shots.ts';

const dashboard = () => process.env.E2E_DASHBOARD_URL!;
const callLog = () => process.env.E2E_TWIKIT_CALL_LOG!;
const TOOLSET = 'Newsroom desk';
const SOCIAL = 'Twikit';
const ARCHIVE = 'Press archive';
const OVERRIDE = 'Recent posts of one account, newest first (newsroom desk: read-only research).';

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
  await page.getByRole('textbox', { name: 'Policy JSON' }).click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(JSON.stringify(doc, null, 2));
  await expect(page.getByText('Valid policy.')).toBeVisible();
  await page.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByText(/Saved as version 1/)).toBeVisible();
}

/** The calls that reached a Twikit stand-in (every Twikit server of the suite appends here), from `from` on. */
function loggedCalls(from: number): { tool: string; arguments: Record<string, unknown> }[] {
  if (!existsSync(callLog())) return [];
  return readFileSync(callLog(), 'utf8')
    .slice(from)
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

test('toolsets: two servers behind one grant URL, prefixed, narrowed, overridden, each under its own policy', async ({
  browser,
}) => {
  test.setTimeout(300_000);
  const stamp = `${Date.now()}`;
  const logStart = existsSync(callLog()) ? readFileSync(callLog(), 'utf8').length : 0;
  const context = await browser.newContext({
    baseURL: dashboard(),
    viewport: { width: 1440, height: 900 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();

  // 1. Sign up; register the Twikit preset, and the same stand-in a second time under another name.
  const orgPath = await signUpAndConfirm(page, {
    name: 'Tess Toolset',
    email: `toolsets-${stamp}@example.test`,
    password: 'a long enough passphrase 26',
    organizationName: `Toolsets ${stamp}`,
  });
  const socialPath = await registerTwikitPreset(page, orgPath);
  await page.goto(`${orgPath}/servers`);
  await page.getByLabel('Name', { exact: true }).fill(ARCHIVE);
  // The preset keeps a name already typed.
  await page.getByRole('button', { name: 'Use Twikit preset' }).click();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(ARCHIVE);
  await page.getByRole('button', { name: 'Register server' }).click();
  await expect(page).toHaveURL(/\/servers\/[^/]+$/, { timeout: 60_000 });
  const archivePath = new URL(page.url()).pathname;
  expect(archivePath).not.toBe(socialPath);
  if (!(await page.getByText('(62 tools)').isVisible())) {
    await page.getByRole('button', { name: 'Sync tools' }).click();
    await expect(page.getByRole('status').filter({ hasText: /Synced: 62 tools/ })).toBeVisible({
      timeout: 60_000,
    });
  }
  await expect(page.getByRole('heading', { name: ARCHIVE })).toBeVisible();

  // 2. Each server's own policy: one tool allowed on each (two on Twikit), one denied on each.
  await savePolicyJson(page, socialPath, {
    version: '1',
    default: 'deny',
    tools: {
      get_user_tweets: { action: 'allow' },
      get_tweet: { action: 'allow' },
      send_tweet: { action: 'deny', reason: 'Posting needs a human: use the team account.' },
    },
  });
  await savePolicyJson(page, archivePath, {
    version: '1',
    default: 'deny',
    tools: {
      get_tweet: { action: 'allow' },
      search_tweets: { action: 'allow' },
      delete_tweet: { action: 'deny', reason: 'The archive is read-only.' },
    },
  });

  // 3. Toolsets, from the navigation: empty at first.
  await page
    .getByRole('navigation', { name: 'Organization' })
    .getByRole('link', { name: 'Toolsets' })
    .click();
  await expect(page).toHaveURL(new RegExp(`${orgPath}/toolsets$`));
  await expect(page.getByRole('heading', { level: 1, name: 'Toolsets' })).toBeVisible();
  await expect(page.getByText('No toolsets yet.')).toBeVisible();
  await axe(page, 'toolsets (empty)');
  await shot(page, 'toolsets-empty');

  // Create it over both servers; the default prefixes are the servers' names as slugs.
  const create = page.getByRole('region', { name: 'Create a toolset' });
  await create.getByLabel('Name', { exact: true }).fill(TOOLSET);
  await create.getByLabel('Description (optional)').fill('Research desk: read posts from both accounts.');
  await create.getByRole('checkbox', { name: SOCIAL, exact: true }).check();
  await create.getByRole('checkbox', { name: ARCHIVE, exact: true }).check();
  await expect(create.getByLabel(`Prefix for ${SOCIAL}`)).toHaveValue('twikit');
  await expect(create.getByLabel(`Prefix for ${ARCHIVE}`)).toHaveValue('press-archive');
  await create.getByLabel(`Prefix for ${SOCIAL}`).fill('social');
  await create.getByLabel(`Prefix for ${ARCHIVE}`).fill('archive');
  await axe(page, 'toolsets (create form filled)');
  await shot(page, 'toolsets-create');
  await create.getByRole('button', { name: 'Create toolset' }).click();
  await expect(page).toHaveURL(new RegExp(`${orgPath}/toolsets/[^/]+$`), { timeout: 30_000 });
  const toolsetPath = new URL(page.url()).pathname;
  const toolsetId = toolsetPath.split('/').at(-1)!;
  await expect(page.getByRole('heading', { level: 1, name: TOOLSET })).toBeVisible();
  await expect(page.getByText(`/mcp/${toolsetId}`)).toBeVisible();

  // 4. On the toolset's page: only two of the archive's tools, and a description override on Twikit's.
  const editor = page.getByRole('region', { name: 'Members, subsets and overrides' });
  const archiveMember = editor.getByRole('group', { name: ARCHIVE, exact: true });
  const socialMember = editor.getByRole('group', { name: SOCIAL, exact: true });
  await expect(archiveMember.getByLabel('Prefix')).toHaveValue('archive');
  await expect(socialMember.getByLabel('Prefix')).toHaveValue('social');
  await archiveMember.getByRole('radio', { name: 'Only the tools checked below' }).check();
  await archiveMember.getByRole('checkbox', { name: 'get_tweet in the toolset' }).check();
  await archiveMember.getByRole('checkbox', { name: 'delete_tweet in the toolset' }).check();
  await expect(
    archiveMember.getByRole('checkbox', { name: 'search_tweets in the toolset' }),
  ).not.toBeChecked();
  const overrideRow = socialMember
    .getByRole('row')
    .filter({ has: page.getByText('get_user_tweets', { exact: true }) });
  await overrideRow.getByText('Override…').click();
  await overrideRow.getByLabel('Override description of get_user_tweets').fill(OVERRIDE);
  await expect(overrideRow.getByText('Overridden')).toBeVisible();
  await shot(page, 'toolset-subset-override');
  await editor.getByRole('button', { name: 'Save toolset' }).click();
  await expect(
    editor.getByRole('status').filter({ hasText: 'Saved; gateways apply it on the next request.' }),
  ).toBeVisible();

  // The effective tools, as agents of the toolset meet them.
  const effective = page.getByRole('region', { name: 'Tools as agents see them' });
  const toolRow = (exposed: string) =>
    effective.getByRole('row').filter({ has: page.getByText(exposed, { exact: true }) });
  await expect(effective.getByRole('row')).toHaveCount(1 + 2 * 62);
  await expect(toolRow('social__get_user_tweets')).toContainText('Allowed');
  await expect(toolRow('social__get_user_tweets')).toContainText('yes');
  await expect(toolRow('social__get_user_tweets')).toContainText(
    // The field name is capitalised by CSS only.
    `description (toolset): ${OVERRIDE}`,
  );
  await expect(toolRow('social__get_tweet')).toContainText('Allowed');
  await expect(toolRow('social__send_tweet')).toContainText('Denied');
  await expect(toolRow('social__send_tweet')).toContainText('rule /tools/send_tweet');
  await expect(toolRow('archive__get_tweet')).toContainText('Allowed');
  await expect(toolRow('archive__get_tweet')).toContainText('yes');
  await expect(toolRow('archive__delete_tweet')).toContainText('Denied');
  await expect(toolRow('archive__delete_tweet')).toContainText('rule /tools/delete_tweet');
  // Allowed by the archive's policy, but left out of the toolset.
  await expect(toolRow('archive__search_tweets')).toContainText('left out');
  await expect(toolRow('archive__search_tweets')).toContainText('Hidden: not in this toolset');
  await expect(toolRow('archive__search_tweets')).toContainText('rule (toolset)');
  await expect(effective.getByRole('row').filter({ hasText: 'left out' })).toHaveCount(60);
  await axe(page, 'toolset (saved)');
  await shot(page, 'toolset-effective-tools');

  // 5. A prefix collision is refused, naming both servers; nothing is saved.
  await archiveMember.getByLabel('Prefix').fill('social');
  await editor.getByRole('button', { name: 'Save toolset' }).click();
  const refusal = editor.getByRole('alert');
  await expect(refusal).toContainText(`Prefix "social" is used by both ${SOCIAL} and ${ARCHIVE}`);
  await expect(refusal).toContainText('Toolset not saved');
  await axe(page, 'toolset (prefix collision)');
  await shot(page, 'toolset-prefix-collision');
  await page.reload();
  await expect(archiveMember.getByLabel('Prefix')).toHaveValue('archive');
  await expect(toolRow('archive__get_tweet')).toContainText('Allowed');
  await expect(effective.getByText(/^social__get_tweet$/)).toHaveCount(1);

  // The list shows both members, the subset counted.
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Toolsets' }).click();
  await expect(page).toHaveURL(new RegExp(`${orgPath}/toolsets$`));
  const listRow = page.getByRole('row').filter({ has: page.getByRole('link', { name: TOOLSET }) });
  await expect(listRow).toContainText(`${SOCIAL} as social__`);
  await expect(listRow).toContainText(`${ARCHIVE} as archive__, 2 tools`);
  await axe(page, 'toolsets (one toolset)');
  await shot(page, 'toolsets-list');

  // 6. A grant for the toolset; the proxy URL and token through the copy buttons. And a plain grant
  //    on Twikit, whose calls the audit filter must leave out.
  await page.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Grants' }).click();
  await expect(page).toHaveURL(new RegExp(`${orgPath}/grants$`));
  await page.getByLabel('Grant name').fill('desk agent');
  await page.getByLabel('Server or toolset').selectOption({ label: TOOLSET });
  await page.getByRole('button', { name: 'Create grant' }).click();
  const panel = page.getByRole('region', { name: /Grant “desk agent” created/ });
  await expect(panel).toContainText(`created for the toolset ${TOOLSET}`);
  await panel.getByRole('button', { name: 'Copy proxy URL' }).click();
  await expect(panel.getByText('Copied')).toBeVisible();
  const proxyUrl = await page.evaluate(() => navigator.clipboard.readText());
  await panel.getByRole('button', { name: 'Copy token', exact: true }).click();
  const token = await page.evaluate(() => navigator.clipboard.readText());
  expect(proxyUrl).toBe(`${process.env.E2E_GATEWAY_URL}/mcp/${toolsetId}`);
  expect(token).toMatch(/^pcg_/);
  await expect(panel.getByTestId('grant-token')).toHaveText(token);
  await shot(page, 'toolset-grant-created');

  await page.getByLabel('Grant name').fill('direct agent');
  await page.getByLabel('Server or toolset').selectOption({ label: SOCIAL });
  await page.getByRole('button', { name: 'Create grant' }).click();
  const direct = page.getByRole('region', { name: /Grant “direct agent” created/ });
  await expect(direct).toBeVisible();
  const directUrl = (await direct.getByTestId('grant-proxy-url').textContent())!.trim();
  const directToken = (await direct.getByTestId('grant-token').textContent())!.trim();
  expect(directUrl).not.toBe(proxyUrl);

  // 7. The agent: one URL, both servers' tools, prefixed, filtered by policy and subset, overridden.
  const agent = await connectAgent(proxyUrl, token);
  let tweetId = '';
  try {
    const { tools } = await agent.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual(['archive__get_tweet', 'social__get_tweet', 'social__get_user_tweets']);
    expect(tools.find((t) => t.name === 'social__get_user_tweets')?.description).toBe(OVERRIDE);
    expect(tools.find((t) => t.name === 'archive__get_tweet')?.description).toMatch(
      /Looks up a single post by its ID/,
    );

    const timeline = await agent.callTool({
      name: 'social__get_user_tweets',
      arguments: { screen_name: 'portcullis_demo' },
    });
    expect(timeline.isError, resultText(timeline)).toBeFalsy();
    tweetId = String(resultText(timeline).match(/"id":\s*"?(\d+)/)?.[1]);
    expect(tweetId, resultText(timeline)).toMatch(/^\d+$/);
    for (const name of ['social__get_tweet', 'archive__get_tweet']) {
      const got = await agent.callTool({ name, arguments: { tweet_id: tweetId } });
      expect(got.isError, `${name}: ${resultText(got)}`).toBeFalsy();
      expect(resultText(got)).toContain(tweetId);
    }

    // Denied by each server's own policy, with its reason; never sent.
    const posted = await agent.callTool({
      name: 'social__send_tweet',
      arguments: { text: `toolset e2e ${stamp}` },
    });
    expect(posted.isError).toBe(true);
    expect(resultText(posted)).toContain('Posting needs a human');
    const deleted = await agent.callTool({ name: 'archive__delete_tweet', arguments: { tweet_id: tweetId } });
    expect(deleted.isError).toBe(true);
    expect(resultText(deleted)).toContain('The archive is read-only.');
    // Allowed by the archive's policy, left out of the toolset: not available.
    const searched = await agent.callTool({ name: 'archive__search_tweets', arguments: { query: 'birds' } });
    expect(searched.isError).toBe(true);
    expect(resultText(searched)).toMatch(/archive__search_tweets is not available/);
  } finally {
    await agent.close();
  }
  const reached = loggedCalls(logStart);
  expect(reached.filter((c) => c.tool === 'get_user_tweets')).toHaveLength(1);
  expect(
    reached.filter((c) => c.tool === 'get_tweet' && String(c.arguments.tweet_id) === tweetId),
  ).toHaveLength(2);
  expect(reached.filter((c) => ['send_tweet', 'delete_tweet', 'search_tweets'].includes(c.tool))).toEqual([]);

  const directAgent = await connectAgent(directUrl, directToken);
  try {
    const { tools } = await directAgent.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['get_tweet', 'get_user_tweets']);
    const got = await directAgent.callTool({ name: 'get_tweet', arguments: { tweet_id: tweetId } });
    expect(got.isError, resultText(got)).toBeFalsy();
  } finally {
    await directAgent.close();
  }

  // 8. The audit log: each call with the toolset and its member server named; filtered by the toolset.
  await page
    .getByRole('navigation', { name: 'Organization' })
    .getByRole('link', { name: 'Audit log' })
    .click();
  await expect(page).toHaveURL(new RegExp(`${orgPath}/audit$`));
  const rows = page.getByRole('row');
  const via = (server: string) => `via toolset ${TOOLSET} · ${server}`;
  // Grant, then the tool (the upstream's own name) over the toolset and member server.
  const callRow = (tool: string, server: string) =>
    rows.filter({ hasText: new RegExp(`desk agent\\s*${tool}\\s*${via(server)}`) });
  await expect(rows.filter({ hasText: 'direct agent' })).toHaveCount(1, { timeout: 20_000 });
  await expect(rows.filter({ hasText: 'direct agent' })).not.toContainText('via toolset');
  await page.getByLabel('Toolset').selectOption({ label: TOOLSET });
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(new RegExp(`toolset=${toolsetId}`));
  await expect(rows.filter({ hasText: 'direct agent' })).toHaveCount(0);
  await expect(rows.filter({ hasText: 'desk agent' })).toHaveCount(6);
  await expect(
    rows.filter({ hasText: 'desk agent' }).filter({ hasNotText: `via toolset ${TOOLSET} · ` }),
  ).toHaveCount(0);
  await expect(callRow('get_user_tweets', SOCIAL)).toContainText('Allowed');
  await expect(callRow('get_tweet', SOCIAL)).toContainText('Allowed');
  await expect(callRow('get_tweet', ARCHIVE)).toContainText('Allowed');
  await expect(callRow('send_tweet', SOCIAL)).toContainText('Denied');
  await expect(callRow('send_tweet', SOCIAL)).toContainText('/tools/send_tweet');
  await expect(callRow('delete_tweet', ARCHIVE)).toContainText('Denied');
  await expect(callRow('delete_tweet', ARCHIVE)).toContainText('/tools/delete_tweet');
  await expect(callRow('search_tweets', ARCHIVE)).toContainText('Hidden');
  await expect(callRow('search_tweets', ARCHIVE)).toContainText('(toolset)');
  await axe(page, 'audit (filtered by toolset)');
  await shot(page, 'toolset-audit');

  // One call's details name the toolset and the member server.
  await callRow('delete_tweet', ARCHIVE).getByRole('link', { name: 'Details' }).click();
  const details = page.getByRole('complementary', { name: 'Call details' });
  await expect(details).toContainText(`Toolset${TOOLSET}`);
  await expect(details).toContainText(`Server${ARCHIVE}`);
  await expect(details).toContainText('The archive is read-only.');
  await shot(page, 'toolset-audit-details');
  await context.close();
});
