// The only file that reads process.env (ESLint enforces it). Parsed lazily on first use so that
// `next build` can run without runtime secrets; a missing variable fails the first request loudly.
import type { StdioPolicy } from '@portcullis/upstream/connect-upstream';
import { DEFAULT_SANDBOX } from '@portcullis/upstream/stdio-sandbox';
import { parseStdioTemplates, type StdioTemplate } from '@portcullis/upstream/stdio-templates';
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
    .refine(
      (v) => Buffer.from(v, 'base64').length === 32,
      'PORTCULLIS_ENCRYPTION_KEY must be 32 bytes, base64-encoded',
    ),
  GATEWAY_PUBLIC_URL: z.url().default('http://localhost:4000'),
  AUTH_OIDC_ISSUER: z.url().optional(),
  AUTH_OIDC_ID: z.string().optional(),
  AUTH_OIDC_SECRET: z.string().optional(),
  AUTH_OIDC_NAME: z.string().default('Single sign-on'),
  SMTP_URL: z.string().optional(),
  SMTP_FROM: z.string().default('Portcullis <no-reply@localhost>'),
  SIGNUP_MODE: z
    .enum(['open', 'invite', 'domains'], 'SIGNUP_MODE must be open, invite or domains')
    .default('open'),
  SIGNUP_DOMAINS: z.string().default(''),
  ALLOW_PRIVATE_UPSTREAMS: bool,
  UPSTREAM_PRIVATE_ORIGINS: z.string().default(''),
  OAUTH_CLIENT_METADATA_PRIVATE_ORIGINS: z.string().default(''),
  WEBHOOK_PRIVATE_ORIGINS: z.string().default(''),
  // The operator's audit retention (the gateway deletes older events; 0 keeps them forever). Tenants
  // may choose a shorter period on Settings → Audit, never a longer one.
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(90),
  // OpenTelemetry (standard variables; the OTLP exporter reads the rest of OTEL_* itself).
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().optional(),
  OTEL_SDK_DISABLED: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().optional(),
  STDIO_TEMPLATES: z.string().optional(),
  STDIO_TEMPLATES_FILE: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined)),
  STDIO_FREEFORM_ORGANIZATION: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined)),
  STDIO_COMMANDS: z.string().default(''),
  STDIO_SANDBOX: z.enum(['auto', 'bwrap', 'user', 'off']).default('auto'),
  STDIO_SANDBOX_UID_BASE: z.coerce
    .number()
    .int()
    .min(1000)
    .max(4_000_000_000)
    .default(DEFAULT_SANDBOX.uidBase),
  STDIO_SANDBOX_UID_COUNT: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_SANDBOX.uidCount),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
});

export type Env = z.infer<typeof envSchema> & {
  privateUpstreamOrigins: string[];
  /** Exact origins whose Client ID Metadata Documents may be fetched although private (docs/oauth.md). */
  clientMetadataPrivateOrigins: string[];
  /** Exact origins notification webhooks may reach although private (tests' receivers, an internal relay). */
  webhookPrivateOrigins: string[];
  /** Operator stdio templates, the free-form organization, and the sandbox (same settings as the gateway). */
  stdio: StdioPolicy;
};

let cached: Env | undefined;

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
    throw new Error(
      `Dashboard configuration is invalid:\n${lines.join('\n')}\nSee apps/dashboard/.env.example.`,
    );
  }
  const d = parsed.data;
  let templates: StdioTemplate[];
  try {
    templates = parseStdioTemplates(d.STDIO_TEMPLATES, d.STDIO_TEMPLATES_FILE);
  } catch (error) {
    throw new Error(
      `Dashboard configuration is invalid:\n  ${(error as Error).message}\nSee apps/dashboard/.env.example.`,
      { cause: error },
    );
  }
  const commands = d.STDIO_COMMANDS.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  cached = {
    ...d,
    GATEWAY_PUBLIC_URL: d.GATEWAY_PUBLIC_URL.replace(/\/+$/, ''),
    privateUpstreamOrigins: d.UPSTREAM_PRIVATE_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    clientMetadataPrivateOrigins: d.OAUTH_CLIENT_METADATA_PRIVATE_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    webhookPrivateOrigins: d.WEBHOOK_PRIVATE_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    stdio: {
      templates,
      freeform: d.STDIO_FREEFORM_ORGANIZATION
        ? { organizationId: d.STDIO_FREEFORM_ORGANIZATION, commands }
        : undefined,
      sandbox: {
        mode: d.STDIO_SANDBOX,
        uidBase: d.STDIO_SANDBOX_UID_BASE,
        uidCount: d.STDIO_SANDBOX_UID_COUNT,
      },
    },
  };
  return cached;
}

/** Whether OIDC sign-in is configured (all three variables set). */
export function oidcConfig():
  { issuer: string; clientId: string; clientSecret: string; name: string } | undefined {
  const e = env();
  if (!e.AUTH_OIDC_ISSUER || !e.AUTH_OIDC_ID || !e.AUTH_OIDC_SECRET) return undefined;
  return {
    issuer: e.AUTH_OIDC_ISSUER,
    clientId: e.AUTH_OIDC_ID,
    clientSecret: e.AUTH_OIDC_SECRET,
    name: e.AUTH_OIDC_NAME,
  };
}
