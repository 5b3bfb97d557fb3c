// The MCP SDK's OAuth client side for the e2e suite: an OAuthClientProvider kept in memory, a
// loopback redirect listener (as native MCP clients use), and an https server for a Client ID
// Metadata Document (global-setup made its certificate and told the dashboard to trust it).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';

export class MemoryOAuthProvider implements OAuthClientProvider {
  information: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  authorizationUrl: URL | undefined;
  private verifier = '';
  readonly expectedState = randomBytes(16).toString('base64url');

  constructor(
    readonly redirectUrl: string,
    private readonly name: string,
    readonly clientMetadataUrl?: string,
  ) {}

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.name,
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() {
    return this.expectedState;
  }
  clientInformation() {
    return this.information;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.information = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery') {
    if (scope === 'all' || scope === 'tokens') this.saved = undefined;
    if (scope === 'all' || scope === 'client') this.information = undefined;
  }
}

export interface RedirectListener {
  url: string;
  /** The query of the next request to the redirect URL. */
  next(): Promise<URLSearchParams>;
  close(): Promise<void>;
}

export async function redirectListener(): Promise<RedirectListener> {
  let waiting: ((query: URLSearchParams) => void) | undefined;
  const arrived: URLSearchParams[] = [];
  const server = http.createServer((req, res) => {
    const query = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>Done</title><p>You can close this window.</p>');
    if (waiting) waiting(query);
    else arrived.push(query);
    waiting = undefined;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  return {
    url,
    next: () =>
      arrived.length > 0 ? Promise.resolve(arrived.shift()!) : new Promise((resolve) => (waiting = resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Serves `document` at https://localhost:<E2E_CLIENT_METADATA_PORT>/<path>; returns that URL and a stop function. */
export async function serveClientMetadata(
  path: string,
  document: (url: string) => Record<string, unknown>,
): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  const port = Number(process.env.E2E_CLIENT_METADATA_PORT);
  const url = `https://localhost:${port}${path}`;
  let requests = 0;
  const server = https.createServer(
    { cert: readFileSync(process.env.E2E_TLS_CERT_FILE!), key: readFileSync(process.env.E2E_TLS_KEY_FILE!) },
    (req, res) => {
      requests += 1;
      if (req.url === path)
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document(url)));
      else res.writeHead(404).end();
    },
  );
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
