/** An expected, user-facing failure: becomes an MCP tool result with `isError: true`. */
export class ToolError extends Error {
  override name = 'ToolError';
}
