// Which command lines a gateway (and the dashboard, at registration) may start for stdio servers.
// An entry of GATEWAY_STDIO_COMMANDS / STDIO_COMMANDS is a command line split on whitespace:
//   node                       that command with any arguments (permissive: `node` runs any script)
//   node /srv/mcp/twikit.js    exactly that command, its arguments starting with these
//   npx -y @scope/server *     `*` as the last word: any further arguments (already implied by the prefix rule)
//   *                          anything
// Commands and arguments are compared exactly (no paths resolved, no globbing inside words).

export function parseStdioAllowList(entries: readonly string[]): string[][] {
  return entries.map((entry) => entry.trim().split(/\s+/).filter(Boolean)).filter((words) => words.length > 0);
}

/** Whether `command args…` is allowed by one of the entries. */
export function stdioCommandAllowed(entries: readonly string[], command: string, args: readonly string[]): boolean {
  const line = [command, ...args];
  return parseStdioAllowList(entries).some((words) => {
    if (words.length === 1 && words[0] === '*') return true;
    const prefix = words[words.length - 1] === '*' ? words.slice(0, -1) : words;
    if (prefix.length > line.length) return false;
    return prefix.every((word, i) => word === line[i]);
  });
}

/** The sentence for a refused command line, naming the setting to change. */
export function stdioRefusal(entries: readonly string[], command: string, args: readonly string[], setting: string): string {
  if (parseStdioAllowList(entries).length === 0) return `stdio servers are disabled here; set ${setting} to the command lines you allow`;
  const shown = [command, ...args].join(' ');
  return `Command line ${JSON.stringify(shown.length > 200 ? `${shown.slice(0, 200)}…` : shown)} is not allowed by ${setting} (${entries.join(', ')})`;
}
