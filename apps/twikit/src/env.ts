// The only place in this app that reads process.env (enforced by ESLint).
import { z } from 'zod';

export const envSchema = z.object({
  /** HTTP port for Streamable HTTP mode; 0 picks a free port (printed on stderr). */
  TWIKIT_PORT: z.coerce.number().int().min(0).max(65535).default(4100),
  /** Interface to bind in HTTP mode. */
  TWIKIT_HOST: z.string().min(1).default('127.0.0.1'),
  /** Cookie file, exactly like the real server. Set-but-empty counts as set (and then invalid). */
  TWITTER_COOKIES: z.string().optional(),
  /** JSONL call log; `--log-file` on the command line wins. */
  TWIKIT_CALL_LOG: z.string().min(1).optional(),
});

export type TwikitEnv = z.infer<typeof envSchema>;

export function loadEnv(source: Record<string, string | undefined> = process.env): TwikitEnv {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid environment for twikit-mcp: ${detail}`);
  }
  return parsed.data;
}
