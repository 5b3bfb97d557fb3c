// The name MCP client configs give a server (Claude Code shows its tools as mcp__<name>__<tool>).

/** The server's name as a config key: lower-case letters, digits and dashes. */
export function clientServerName(serverName: string): string {
  return (
    serverName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'portcullis'
  );
}
