// The only file that reads process.env (ESLint enforces it). Parsed lazily on first use so that
// `next build` can run without runtime secrets; a missing variable fails the first request loudly.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

export const envSchema = z.object({
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is required (postgres://…)'),
  AUTH_SECRET: z.string().min(16, 'AUTH_SECRET must be at least 16 characters'),
  AUTH_URL: z.url().optional(),
  PORTCULLIS_ENCRYPTION_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'PORTCULLIS_ENCRYPTION_KEY must be 32 bytes, base64-encoded'),
  GATEWAY_PUBLIC_URL: z.url().default('http://localhost:4000'),
  TWIKIT_STDIO_COMMAND: z.string().default('node'),
  TWIKIT_STDIO_ARGS: z.string().optional(),
  AUTH_OIDC_ISSUER: z.url().optional(),
  AUTH_OIDC_ID: z.string().optional(),
  AUTH_OIDC_SECRET: z.string().optional(),
  AUTH_OIDC_NAME: z.string().default('Single sign-on'),
  SMTP_URL: z.string().optional(),
  SMTP_FROM: z.string().default('Portcullis <no-reply@localhost>'),
  ALLOW_PRIVATE_UPSTREAMS: bool,
  STDIO_COMMANDS: z.string().default(''),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
});

export type Env = z.infer<typeof envSchema> & {
  twikitStdioArgs: string[];
  stdioCommands: string[];
};

let cached: Env | undefined;

/** Finds the monorepo root (the directory holding apps/twikit) from the working directory upwards. */
function findRepoRoot(): string | undefined {
  let dir = process.cwd();
  for (let i = 0; i < 6; i += 1) {
    if (existsSync(path.join(dir, 'apps/twikit/bin/twikit-mcp.mjs'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

function parseArgs(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const text = raw.trim();
  if (text.startsWith('[')) return z.array(z.string()).parse(JSON.parse(text));
  return [text];
}

export function env(): Env {
  if (cached) return cached;
  const source = process.env;
  const parsed = envSchema.safeParse({
    ...source,
    // The start script sets the gateway's names; the dashboard honours them when its own are unset.
    ALLOW_PRIVATE_UPSTREAMS: source.ALLOW_PRIVATE_UPSTREAMS ?? source.GATEWAY_ALLOW_PRIVATE_UPSTREAMS,
    STDIO_COMMANDS: source.STDIO_COMMANDS ?? source.GATEWAY_STDIO_COMMANDS,
  });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Dashboard configuration is invalid:\n${lines.join('\n')}\nSee apps/dashboard/.env.example.`);
  }
  const root = findRepoRoot();
  const twikitArgs = parseArgs(parsed.data.TWIKIT_STDIO_ARGS) ?? (root ? [path.join(root, 'apps/twikit/bin/twikit-mcp.mjs')] : []);
  // The stand-in serves HTTP unless told --stdio; the preset is a stdio registration.
  const twikitStdioArgs = twikitArgs.includes('--stdio') ? twikitArgs : [...twikitArgs, '--stdio'];
  cached = {
    ...parsed.data,
    GATEWAY_PUBLIC_URL: parsed.data.GATEWAY_PUBLIC_URL.replace(/\/+$/, ''),
    twikitStdioArgs,
    stdioCommands: parsed.data.STDIO_COMMANDS.split(',').map((s) => s.trim()).filter(Boolean),
  };
  return cached;
}

/** Whether OIDC sign-in is configured (all three variables set). */
export function oidcConfig(): { issuer: string; clientId: string; clientSecret: string; name: string } | undefined {
  const e = env();
  if (!e.AUTH_OIDC_ISSUER || !e.AUTH_OIDC_ID || !e.AUTH_OIDC_SECRET) return undefined;
  return { issuer: e.AUTH_OIDC_ISSUER, clientId: e.AUTH_OIDC_ID, clientSecret: e.AUTH_OIDC_SECRET, name: e.AUTH_OIDC_NAME };
}
