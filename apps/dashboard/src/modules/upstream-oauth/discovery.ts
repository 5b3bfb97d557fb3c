// The dashboard's side of discovery: the same checked discovery as everywhere (packages/upstream
// oauth-discovery.ts) with the operator's private-origin rules, summarised for the registration form.
import {
  chooseRegistrationMethod,
  discoverUpstreamOAuth,
  UpstreamOAuthDiscoveryError,
  type ClientRegistrationMethod,
  type UpstreamOAuthDiscovery,
} from '@portcullis/upstream/oauth-discovery';
import { OAuthFetchError, type OAuthFetchOptions } from '@portcullis/upstream/oauth-fetch';
import { env } from '../../env';
import { ValidationError } from '../../server/errors';

export interface SignInSummary {
  issuer: string;
  scopes: string[];
  /** The method that will be used without a pre-registered client; null: one must be entered. */
  method: ClientRegistrationMethod | null;
}

export function oauthFetchOptions(): OAuthFetchOptions {
  const e = env();
  return { allowPrivateNetworks: e.ALLOW_PRIVATE_UPSTREAMS, privateOrigins: e.privateUpstreamOrigins };
}

/** Discovery for a URL a tenant typed; problems come back as a ValidationError on the url field. */
export async function discoverSignIn(url: string): Promise<UpstreamOAuthDiscovery | null> {
  try {
    new URL(url);
  } catch {
    throw new ValidationError('Enter a full URL, e.g. https://mcp.example.com/mcp.', 'url');
  }
  try {
    return await discoverUpstreamOAuth(url, oauthFetchOptions());
  } catch (error) {
    if (error instanceof UpstreamOAuthDiscoveryError || error instanceof OAuthFetchError)
      throw new ValidationError(error.message, 'url');
    throw error;
  }
}

export function summarise(discovery: UpstreamOAuthDiscovery): SignInSummary {
  return {
    issuer: discovery.issuer,
    scopes: discovery.scopes,
    method: chooseRegistrationMethod(discovery, false),
  };
}
