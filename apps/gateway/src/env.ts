// The only file that reads process.env. Every variable is also described in .env.example.
import { z } from 'zod';
import { DEFAULT_SANDBOX } from '@portcullis/upstream/stdio-sandbox';
import { parseStdioTemplates, type StdioTemplate } from '@portcullis/upstream/stdio-templates';
import { parseCidrList } from './http/metrics-access.ts';

/** scheme://host[:port] exactly, nothing else (a path or trailing slash would never match). */
function isOrigin(value: string): boolean {
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const list = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

const int = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const envSchema = z.object({
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is required (postgres://…)'),
  REDIS_URL: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined)),
  GATEWAY_HOST: z.string().default('127.0.0.1'),
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  GATEWAY_PUBLIC_URL: z.string().url().default('http://localhost:4000'),
  OAUTH_ISSUER: z.string().url().default('http://localhost:3000'),
  GATEWAY_ALLOWED_HOSTS: list,
  GATEWAY_ALLOWED_ORIGINS: list,
  PORTCULLIS_ENCRYPTION_KEY: z
    .string()
    .min(1, 'PORTCULLIS_ENCRYPTION_KEY is required (32 random bytes, base64)'),
  GATEWAY_ALLOW_PRIVATE_UPSTREAMS: bool,
  UPSTREAM_PRIVATE_ORIGINS: list.pipe(
    z.array(z.string().refine(isOrigin, 'entries must be origins such as http://127.0.0.1:4100')),
  ),
  STDIO_TEMPLATES: z.string().optional(),
  STDIO_TEMPLATES_FILE: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined)),
  STDIO_FREEFORM_ORGANIZATION: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined)),
  GATEWAY_STDIO_COMMANDS: list,
  STDIO_SANDBOX: z.enum(['auto', 'bwrap', 'user', 'off']).default('auto'),
  STDIO_SANDBOX_UID_BASE: z.coerce
    .number()
    .int()
    .min(1000)
    .max(4_000_000_000)
    .default(DEFAULT_SANDBOX.uidBase),
  STDIO_SANDBOX_UID_COUNT: z.coerce.number().int().min(1).max(1_000_000).default(DEFAULT_SANDBOX.uidCount),
  GATEWAY_UPSTREAM_TIMEOUT_MS: int(30_000),
  GATEWAY_MAX_BODY_BYTES: int(1024 * 1024),
  GATEWAY_MAX_UPSTREAM_MESSAGE_BYTES: int(16 * 1024 * 1024),
  GATEWAY_METRICS_ALLOW: z
    .string()
    .default('127.0.0.1/8,::1/128')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .superRefine((entries, ctx) => {
      try {
        parseCidrList(entries);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  GATEWAY_METRICS_TOKEN: z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined)),
  GATEWAY_MAX_SESSIONS_PER_GRANT: int(20),
  GATEWAY_STDIO_IDLE_MS: int(10 * 60_000),
  GATEWAY_MAX_STDIO_PER_ORGANIZATION: int(10),
  GATEWAY_SESSION_IDLE_MS: int(30 * 60_000),
  // Admission (src/admission/): tools/call in flight on each replica, waiting at most _WAIT_MS for a slot.
  GATEWAY_MAX_CALLS_IN_FLIGHT: int(256),
  GATEWAY_MAX_CALLS_IN_FLIGHT_PER_ORGANIZATION: int(32),
  GATEWAY_MAX_CALLS_IN_FLIGHT_PER_GRANT: int(16),
  GATEWAY_ADMISSION_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  // Under the MCP SDK's default 60 s request timeout, so a client with default options gets the answer.
  GATEWAY_APPROVAL_HOLD_MS: int(45_000),
  GATEWAY_MODERN_LEG_MS: int(20_000),
  GATEWAY_MODERN_RESUME_MS: int(60_000),
  // 0 keeps audit events forever; tenants may choose a shorter period, never a longer one.
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(90),
  GATEWAY_AUDIT_RETENTION_INTERVAL_MS: int(10 * 60_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // OpenTelemetry (the standard variables; the OTLP exporter reads the rest of OTEL_* itself):
  // traces are exported when an endpoint is set, unless OTEL_SDK_DISABLED=true.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().optional(),
  OTEL_SDK_DISABLED: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().default('portcullis-gateway'),
});

export type Env = z.infer<typeof envSchema> & { stdioTemplates: StdioTemplate[] };

export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Gateway configuration is invalid:\n  ${lines.join('\n  ')}`);
  }
  let stdioTemplates: StdioTemplate[];
  try {
    stdioTemplates = parseStdioTemplates(parsed.data.STDIO_TEMPLATES, parsed.data.STDIO_TEMPLATES_FILE);
  } catch (error) {
    throw new Error(`Gateway configuration is invalid:\n  ${(error as Error).message}`, { cause: error });
  }
  return { ...parsed.data, stdioTemplates };
}
