// How a server is reached, in words for the server list.
import type { Transport } from '@portcullis/db/types';

const TRANSPORT_LABEL: Record<Transport, string> = {
  streamable_http: 'Streamable HTTP',
  sse: 'SSE',
  stdio: 'stdio',
};

export function describeTransport(
  server: { transport: Transport; url: string | null; stdioTemplate: string | null; command: string | null },
  templates: ReadonlyArray<{ id: string; name: string }> = [],
): string {
  const where =
    server.transport === 'stdio'
      ? server.stdioTemplate
        ? `${templates.find((t) => t.id === server.stdioTemplate)?.name ?? server.stdioTemplate} template`
        : server.command
      : server.url;
  return where ? `${TRANSPORT_LABEL[server.transport]} · ${where}` : TRANSPORT_LABEL[server.transport];
}
