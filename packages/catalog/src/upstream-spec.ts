// Turns a stored server row into what @portcullis/upstream connects to, decrypting the secret
// headers and env. Only server-side code (gateway, dashboard server actions) may call this.
import { decryptSecretMap, serverSecretContext } from '@portcullis/crypto/secret-box';
import type { UpstreamSpec } from '@portcullis/upstream/connect-upstream';

export interface ServerConnectionRow {
  id: string;
  organizationId: string;
  transport: 'streamable_http' | 'sse' | 'stdio';
  url: string | null;
  stdioTemplate: string | null;
  command: string | null;
  args: string[];
  secretHeadersEnc: string | null;
  secretEnvEnc: string | null;
}

export function loadUpstreamSpec(server: ServerConnectionRow, encryptionKey: Buffer): UpstreamSpec {
  const headers = decryptSecretMap(
    encryptionKey,
    server.secretHeadersEnc,
    serverSecretContext(server.organizationId, server.id, 'headers'),
  );
  const env = decryptSecretMap(
    encryptionKey,
    server.secretEnvEnc,
    serverSecretContext(server.organizationId, server.id, 'env'),
  );
  return {
    transport: server.transport,
    url: server.url,
    stdioTemplate: server.stdioTemplate,
    command: server.command,
    args: server.args,
    headers,
    env,
    organizationId: server.organizationId,
    serverId: server.id,
  };
}
