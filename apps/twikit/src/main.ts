// Entry point. `--stdio` serves MCP on stdin/stdout (like the real server); otherwise Streamable
// HTTP on http://TWIKIT_HOST:TWIKIT_PORT/mcp. Diagnostics go to stderr only.
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createAccount } from './new-account.ts';
import { cookieAuth } from './auth.ts';
import { CallLog } from './call-log.ts';
import { loadEnv } from './env.ts';
import { startHttpServer } from './http.ts';
import { createTwikitServer } from './server.ts';

const USAGE = `Usage: twikit-mcp [--stdio] [--log-file <path>]

  --stdio            serve MCP over stdin/stdout (default: Streamable HTTP on /mcp)
  --log-file <path>  append one JSON line per tools/call (env TWIKIT_CALL_LOG)

Env: TWIKIT_PORT (4100; 0 = any free port), TWIKIT_HOST (127.0.0.1),
     TWITTER_COOKIES (cookie file; default ~/.config/twitter-mcp/cookies.json)`;

const logErr = (message: string) => process.stderr.write(`[twikit] ${message}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stdio: { type: 'boolean', default: false },
      'log-file': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    return;
  }

  const env = loadEnv();
  const account = createAccount();
  const log = new CallLog({ file: values['log-file'] ?? env.TWIKIT_CALL_LOG });
  const auth = cookieAuth(env.TWITTER_COOKIES);
  const onInternalError = (tool: string, error: unknown) =>
    logErr(
      `internal error in ${tool}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  const initial = auth();
  logErr(initial.ok ? `logged in (${initial.mode})` : initial.message);

  let shutdown: () => Promise<void>;
  if (values.stdio) {
    const server = createTwikitServer({ account, log, auth, onInternalError });
    await server.connect(new StdioServerTransport());
    shutdown = () => server.close();
    process.stdin.once('end', () => void stop('stdin closed'));
    logErr('serving MCP over stdio');
  } else {
    const http = await startHttpServer({
      account,
      log,
      auth,
      onInternalError,
      host: env.TWIKIT_HOST,
      port: env.TWIKIT_PORT,
    });
    shutdown = http.close;
    logErr(`listening on ${http.url} (port ${http.port})`);
  }

  let stopping = false;
  async function stop(reason: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    logErr(`shutting down (${reason})`);
    const timer = setTimeout(() => process.exit(1), 5_000);
    timer.unref();
    await shutdown().catch((error: unknown) => logErr(`error during shutdown: ${String(error)}`));
    process.exit(0);
  }
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  logErr(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
