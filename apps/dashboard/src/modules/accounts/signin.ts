// Credential check with a brute-force limit: 5 failures per email or 20 per client address in 15 minutes.
import type { Db } from '@portcullis/db/client';
import { burnPasswordCheck, verifyPassword } from './password';

export const SIGNIN_WINDOW_MS = 15 * 60_000;
export const MAX_FAILURES_PER_EMAIL = 5;
export const MAX_FAILURES_PER_IP = 20;

export type SignInResult =
  | { ok: true; user: { id: string; email: string; name: string | null } }
  | { ok: false; reason: 'invalid' | 'rate_limited' };

export async function verifyCredentials(
  db: Db,
  input: { email: string; password: string; ip: string | null },
): Promise<SignInResult> {
  const email = input.email.trim().toLowerCase();
  if (!email || !input.password || input.password.length > 1024) return { ok: false, reason: 'invalid' };
  const since = new Date(Date.now() - SIGNIN_WINDOW_MS);
  const [byEmail, byIp] = await Promise.all([
    db.loginAttempt.count({ where: { email, success: false, createdAt: { gte: since } } }),
    input.ip
      ? db.loginAttempt.count({ where: { ip: input.ip, success: false, createdAt: { gte: since } } })
      : Promise.resolve(0),
  ]);
  if (byEmail >= MAX_FAILURES_PER_EMAIL || byIp >= MAX_FAILURES_PER_IP) {
    await db.loginAttempt.create({ data: { email, ip: input.ip, success: false } });
    return { ok: false, reason: 'rate_limited' };
  }
  const user = await db.user.findUnique({ where: { email } });
  let ok = false;
  if (user?.passwordHash) ok = await verifyPassword(user.passwordHash, input.password);
  else await burnPasswordCheck(input.password);
  await db.loginAttempt.create({ data: { email, ip: input.ip, success: ok } });
  if (!ok || !user) return { ok: false, reason: 'invalid' };
  return { ok: true, user: { id: user.id, email: user.email, name: user.name } };
}
