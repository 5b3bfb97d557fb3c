// Issue #17: an MCP client connects with OAuth instead of a pasted token. The MCP SDK's own client
// (OAuthClientProvider + auth()) against the running stack: 401 → protected-resource metadata →
// authorization-server metadata → registration (RFC 7591, or a Client ID Metadata Document this
// test serves over https) → consent in Chromium → tools/call under the grant's policy → refresh →
// revoke → 401. Each test signs up its own user and registers the Twikit stand-in.
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { resultText } from '../support/agent.ts';
import { registerTwikitPreset, signUpAndConfirm } from '../support/accounts.ts';
import { MemoryOAuthProvider, redirectListener, serveClientMetadata } from '../support/oauth-client.ts';
import { shot } from '../support/shots.ts';

const dashboard = () => process.env.E2E_DASHBOARD_URL!;
const gateway = () => process.env.E2E_GATEWAY_URL!;
const POLICY = {
  version: '1',
  default: 'deny',
  tools: {
    get_tweet: { action: 'allow' },
    send_tweet: { action: 'deny', reason: 'No posting from OAuth agents' },
  },
};
let seq = 0;

const PASSWORD = 'a long enough passphrase 17';

async function signUp(browser: Browser): Promise<{ page: Page; orgPath: string; email: string }> {
  seq += 1;
  const stamp = `${Date.now()}-${seq}`;
  const context = await browser.newContext({ baseURL: dashboard(), viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const email = `oauth-${stamp}@example.test`;
  const orgPath = await signUpAndConfirm(page, {
    name: 'Olga OAuth',
    email,
    password: PASSWORD,
    organizationName: `OAuth ${stamp}`,
  });
  return { page, orgPath, email };
}

/** Registers Twikit and saves POLICY; returns the server id. */
async function twikitWithPolicy(page: Page, orgPath: string): Promise<string> {
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
  return serverPath.split('/').at(-1)!;
}

function initialize(url: string, token?: string) {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
}

/** Discovery, registration and consent through the SDK and Chromium; returns the connected provider. */
async function authorizeInBrowser(
  page: Page,
  serverUrl: URL,
  provider: MemoryOAuthProvider,
  next: () => Promise<URLSearchParams>,
  label: string,
  signInAs?: string,
): Promise<void> {
  const transport = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider });
  await expect(new Client({ name: 'e2e-oauth', version: '1.0.0' }).connect(transport)).rejects.toBeInstanceOf(
    UnauthorizedError,
  );
  const authorizationUrl = provider.authorizationUrl!;
  expect(`${authorizationUrl.origin}${authorizationUrl.pathname}`).toBe(`${dashboard()}/oauth/authorize`);
  expect(authorizationUrl.searchParams.get('resource')).toBe(serverUrl.toString());
  expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');

  await page.goto(authorizationUrl.toString());
  if (signInAs) {
    // Signed out: sign in first, then straight back to the same authorization request.
    await expect(page).toHaveURL(/\/signin\?.*callbackUrl=/);
    await page.getByLabel('Email').fill(signInAs);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/oauth\/authorize\?/);
  }
  await expect(page.getByTestId('oauth-client-name')).toHaveText(provider.clientMetadata.client_name!);
  await expect(page.getByTestId('oauth-redirect-host')).toHaveText(new URL(provider.redirectUrl).host);
  await shot(page, `oauth-consent-${label}`);
  await page.getByRole('button', { name: 'Allow' }).click();
  const query = await next();
  expect(query.get('state')).toBe(provider.expectedState);
  expect(query.get('error')).toBeNull();
  await transport.finishAuth(query.get('code')!);
  expect(provider.saved?.access_token).toMatch(/^pca_/);
  expect(provider.saved?.refresh_token).toMatch(/^pcr_/);
}

/** tools/call under the grant's policy: get_tweet allowed, send_tweet still denied. */
async function callsUnderPolicy(serverUrl: URL, provider: MemoryOAuthProvider): Promise<void> {
  const agent = new Client({ name: 'e2e-oauth', version: '1.0.0' });
  await agent.connect(new StreamableHTTPClientTransport(serverUrl, { authProvider: provider }));
  try {
    const allowed = await agent.callTool({ name: 'get_tweet', arguments: { tweet_id: '1850000000000001' } });
    expect(allowed.isError, resultText(allowed)).toBeFalsy();
    const denied = await agent.callTool({ name: 'send_tweet', arguments: { text: 'hello from OAuth' } });
    expect(denied.isError).toBe(true);
    expect(resultText(denied)).toContain('No posting from OAuth agents');
  } finally {
    await agent.close();
  }
}

/** auth() with a refresh token rotates both tokens; the new access token works. */
async function refreshes(serverUrl: URL, provider: MemoryOAuthProvider): Promise<void> {
  const before = provider.saved!;
  expect(await auth(provider, { serverUrl })).toBe('AUTHORIZED');
  expect(provider.saved!.access_token).not.toBe(before.access_token);
  expect(provider.saved!.refresh_token).not.toBe(before.refresh_token);
  const res = await initialize(serverUrl.toString(), provider.saved!.access_token);
  expect(res.status).toBe(200);
  await res.text();
}

async function refusedWith401(serverUrl: URL, token: string): Promise<void> {
  await expect
    .poll(
      async () => {
        const res = await initialize(serverUrl.toString(), token);
        await res.text();
        return res.status;
      },
      { timeout: 10_000 },
    )
    .toBe(401);
}

test('OAuth with dynamic client registration: consent creates a grant, its policy applies, refresh rotates, revoking the client answers 401', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const { page, orgPath, email } = await signUp(browser);
  const serverId = await twikitWithPolicy(page, orgPath);
  const serverUrl = new URL(`${gateway()}/mcp/${serverId}`);

  const bare = await initialize(serverUrl.toString());
  expect(bare.status).toBe(401);
  expect(bare.headers.get('www-authenticate')).toContain(
    `resource_metadata="${gateway()}/.well-known/oauth-protected-resource/mcp/${serverId}"`,
  );

  const listener = await redirectListener();
  try {
    const provider = new MemoryOAuthProvider(listener.url, 'E2E Agent (registered)');
    // The client opens the authorization page in a browser that is not signed in yet.
    const signedOut = await (
      await browser.newContext({ baseURL: dashboard(), viewport: { width: 1280, height: 900 } })
    ).newPage();
    await authorizeInBrowser(signedOut, serverUrl, provider, listener.next, 'registered', email);
    expect(provider.information?.client_id).toMatch(/^pcc_/);
    await callsUnderPolicy(serverUrl, provider);
    await refreshes(serverUrl, provider);

    // The grants page shows the grant consent created and the client on it; revoking the client ends its tokens.
    await page.goto(`${orgPath}/grants`);
    const clients = page.getByRole('region', { name: 'Authorized clients (OAuth)' });
    await expect(clients.getByRole('row').filter({ hasText: 'E2E Agent (registered)' })).toBeVisible();
    await shot(page, 'oauth-authorized-clients');
    await clients.getByRole('button', { name: /^Revoke E2E Agent \(registered\) on / }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke client' }).click();
    await expect(clients.getByText('No client has connected with OAuth yet')).toBeVisible();
    await refusedWith401(serverUrl, provider.saved!.access_token);
    // Its refresh token is dead too: the SDK must send the user back to the authorization page.
    provider.authorizationUrl = undefined;
    expect(await auth(provider, { serverUrl })).toBe('REDIRECT');
  } finally {
    await listener.close();
  }
});

test('OAuth with a Client ID Metadata Document: consent picks the existing grant, revoking the grant answers 401', async ({
  browser,
}) => {
  test.setTimeout(240_000);
  const { page, orgPath } = await signUp(browser);
  const serverId = await twikitWithPolicy(page, orgPath);
  const serverUrl = new URL(`${gateway()}/mcp/${serverId}`);
  // An existing grant the user binds the client to instead of making a new one.
  await page.goto(`${orgPath}/grants`);
  await page.getByLabel('Grant name').fill('laptop');
  await page.getByRole('button', { name: 'Create grant' }).click();
  await expect(page.getByTestId('grant-token')).toBeVisible();

  const listener = await redirectListener();
  const document = await serveClientMetadata('/e2e-client.json', (url) => ({
    client_id: url,
    client_name: 'E2E Agent (metadata document)',
    redirect_uris: [listener.url],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  }));
  try {
    const provider = new MemoryOAuthProvider(listener.url, 'E2E Agent (metadata document)', document.url);
    const transport = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider });
    await expect(
      new Client({ name: 'e2e-oauth', version: '1.0.0' }).connect(transport),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.information?.client_id).toBe(document.url);
    await page.goto(provider.authorizationUrl!.toString());
    await expect(page.getByTestId('oauth-client-name')).toHaveText('E2E Agent (metadata document)');
    expect(document.requests()).toBeGreaterThanOrEqual(1);
    await page.getByRole('radio', { name: /the existing grant laptop/ }).check();
    await shot(page, 'oauth-consent-metadata-document');
    await page.getByRole('button', { name: 'Allow' }).click();
    const query = await listener.next();
    expect(query.get('state')).toBe(provider.expectedState);
    await transport.finishAuth(query.get('code')!);

    await callsUnderPolicy(serverUrl, provider);
    await refreshes(serverUrl, provider);

    await page.goto(`${orgPath}/grants`);
    const clients = page.getByRole('region', { name: 'Authorized clients (OAuth)' });
    await expect(clients.getByRole('row').filter({ hasText: 'E2E Agent (metadata document)' })).toContainText(
      'laptop',
    );
    await page.getByRole('button', { name: 'Revoke laptop' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke grant' }).click();
    await refusedWith401(serverUrl, provider.saved!.access_token);
  } finally {
    await document.close();
    await listener.close();
  }
});
