// The only file that reads process.env. Every variable is also described in .env.example.
import { z } from 'zod';
import { parseCidrList } from './http/metrics-access.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const list = z
  .string()
  .default('')
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

const int = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const envSchema = z.object({
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is required (postgres://…)'),
  REDIS_URL: z.string().optional().transform((v) => (v ? v : undefined)),
  GATEWAY_HOST: z.string().default('127.0.0.1'),
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  GATEWAY_PUBLIC_URL: z.string().url().default('http://localhost:4000'),
  GATEWAY_ALLOWED_HOSTS: list,
  GATEWAY_ALLOWED_ORIGINS: list,
  PORTCULLIS_ENCRYPTION_KEY: z.string().min(1, 'PORTCULLIS_ENCRYPTION_KEY is required (32 random bytes, base64)'),
  GATEWAY_ALLOW_PRIVATE_UPSTREAMS: bool,
  GATEWAY_STDIO_COMMANDS: list,
  GATEWAY_UPSTREAM_TIMEOUT_MS: int(30_000),
  GATEWAY_MAX_BODY_BYTES: int(1024 * 1024),
  GATEWAY_MAX_UPSTREAM_MESSAGE_BYTES: int(16 * 1024 * 1024),
  GATEWAY_METRICS_ALLOW: z
    .string()
    .default('127.0.0.1/8,::1/128')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .superRefine((entries, ctx) => {
      try {
        parseCidrList(entries);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  GATEWAY_METRICS_TOKEN: z.string().optional().transform((v) => (v ? v : undefined)),
  GATEWAY_MAX_SESSIONS_PER_GRANT: int(20),
  GATEWAY_STDIO_IDLE_MS: int(10 * 60_000),
  GATEWAY_SESSION_IDLE_MS: int(30 * 60_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;

export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Gateway configuration is invalid:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
