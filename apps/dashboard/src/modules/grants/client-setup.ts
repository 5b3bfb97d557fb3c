// The name MCP client configs give a grant's server or toolset (Claude Code shows its tools as
// mcp__<name>__<tool>).

/** The server's (or toolset's) name as a config key: lower-case letters, digits and dashes. */
export function clientServerName(targetName: string): string {
  return (
    targetName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'portcullis'
  );
}
