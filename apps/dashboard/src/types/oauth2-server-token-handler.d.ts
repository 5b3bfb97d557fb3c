// @node-oauth/oauth2-server 5.3.0 (pinned) ships no types for its token handler; the revocation
// endpoint calls its getClient so that clients authenticate exactly as at the token endpoint.
declare module '@node-oauth/oauth2-server/lib/handlers/token-handler' {
  import type OAuth2Server from '@node-oauth/oauth2-server';

  export default class TokenHandler {
    constructor(options: {
      model: OAuth2Server.BaseModel;
      accessTokenLifetime: number;
      refreshTokenLifetime: number;
      requireClientAuthentication?: Record<string, boolean>;
    });
    getClient(request: OAuth2Server.Request, response: OAuth2Server.Response): Promise<OAuth2Server.Client>;
  }
}
