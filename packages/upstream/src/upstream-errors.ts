// What a user (tenant or agent) may read of a failed upstream connection. An upstream's answer is
// never quoted: with a URL pointing at some other service, the error text would be a way to read
// that service. Only our own sentences, HTTP status codes, JSON-RPC error codes and socket error
// codes come through.
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { PrivateAddressError } from './address-guard.ts';
import { UpstreamRefusedError } from './connect-upstream.ts';
import { UpstreamMessageTooLargeError } from './node-fetch.ts';

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved (try again)',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  EPRIVATE: 'the host resolves to a private address',
  CERT_HAS_EXPIRED: "the server's TLS certificate has expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's TLS certificate is self-signed",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's TLS certificate does not match its host name",
  ENOENT: 'the program to run does not exist',
  EACCES: 'the program to run may not be executed',
};

export function describeUpstreamError(error: unknown): string {
  if (
    error instanceof UpstreamRefusedError ||
    error instanceof PrivateAddressError ||
    error instanceof UpstreamMessageTooLargeError
  )
    return error.message;
  if (error instanceof StreamableHTTPError)
    return (error.code ?? 0) > 0
      ? `the server answered HTTP ${error.code}`
      : 'the server did not answer as an MCP server';
  if (error instanceof McpError) {
    if (error.code === -32000) return 'the server closed the connection';
    if (error.code === -32001) return 'the server did not answer in time';
    return `the server answered with JSON-RPC error ${error.code}`;
  }
  const code =
    (error as { code?: unknown; cause?: { code?: unknown } } | null)?.code ??
    (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof code === 'string' && Object.hasOwn(SOCKET_ERRORS, code)) return SOCKET_ERRORS[code]!;
  const status = /\bHTTP (\d{3})\b|status code \(?(\d{3})/.exec(error instanceof Error ? error.message : '');
  if (status) return `the server answered HTTP ${status[1] ?? status[2]}`;
  return 'the server did not answer as an MCP server';
}
