// Shared setup for the dashboard's integration tests: env for the modules, one client, clean tables.
import { randomBytes } from 'node:crypto';
import { vi } from 'vitest';

process.env.AUTH_SECRET ??= randomBytes(32).toString('base64url');
process.env.PORTCULLIS_ENCRYPTION_KEY ??= randomBytes(32).toString('base64');
// The test operator offers one stdio template; stdio registrations without one are refused.
process.env.STDIO_TEMPLATES ??= JSON.stringify([
  {
    id: 'script',
    name: 'A script',
    command: process.execPath,
    tenantArgs: { max: 4, pattern: '.*' },
    tenantEnv: { API_TOKEN: {} },
  },
]);
process.env.ALLOW_PRIVATE_UPSTREAMS ??= 'true';
process.env.GATEWAY_PUBLIC_URL ??= 'http://gateway.test:4000';

const { createPrismaClient } = await import('@portcullis/db/client');
const { signUp } = await import('../src/modules/accounts/signup.ts');
const { resolveMembership } = await import('../src/modules/orgs/membership.ts');

export const db = createPrismaClient(process.env.DATABASE_URL!);

/** Sign-up as `npm start` configures it: open, links pointing at the dashboard. */
export const signUpOptions = { policy: { mode: 'open' }, origin: 'http://dashboard.test' } as const;

export interface LoggedMail {
  to: string;
  subject: string;
  text: string;
}

/**
 * Mail the dashboard writes to its log when SMTP_URL is unset (as in tests), read back from the log
 * the way an operator would; console.info is silenced while capturing.
 */
export function captureLoggedMail() {
  const spy = vi.spyOn(console, 'info').mockImplementation(() => {});
  const mails = (): LoggedMail[] =>
    spy.mock.calls
      .map((args) => String(args[0]))
      .flatMap((line) => {
        const m =
          /^\[mail\] SMTP_URL is not set, so this was not sent\. To: (.*?) \| Subject: (.*)\n([\s\S]*)\n\[mail\] end$/.exec(
            line,
          );
        return m ? [{ to: m[1]!, subject: m[2]!, text: m[3]! }] : [];
      });
  return {
    mails,
    /** The last verification link mailed to `to`. */
    link(to: string): string | undefined {
      const mail = mails()
        .filter((m) => m.to === to && /\/verify-email\//.test(m.text))
        .at(-1);
      return mail?.text.match(/https?:\/\/\S+\/verify-email\/(\S+)/)?.[1];
    },
    restore: () => spy.mockRestore(),
  };
}

export async function resetDatabase(): Promise<void> {
  await db.$executeRawUnsafe(
    'TRUNCATE organizations, users, login_attempts, rate_limit_hits, rate_limit_counters, gateway_sessions, verification_tokens RESTART IDENTITY CASCADE',
  );
}

let counter = 0;
export async function newOwner(orgName = 'Org') {
  counter += 1;
  const email = `owner${counter}-${Date.now()}@example.test`;
  const created = await signUp(
    db,
    {
      name: `Owner ${counter}`,
      email,
      password: 'a long enough password',
      organizationName: `${orgName} ${counter}`,
    },
    signUpOptions,
  );
  if (!created) throw new Error(`${email} was taken`);
  const { userId, orgSlug } = created;
  const ctx = await resolveMembership(db, userId, orgSlug, 'viewer');
  return { userId, email, orgSlug, ctx };
}

/** A member of `organizationId` with `role`, and their context. */
export async function addMember(
  organizationId: string,
  orgSlug: string,
  role: 'owner' | 'admin' | 'editor' | 'viewer',
) {
  counter += 1;
  const user = await db.user.create({
    data: { email: `m${counter}-${Date.now()}@example.test`, name: `Member ${counter}` },
  });
  await db.membership.create({ data: { organizationId, userId: user.id, role } });
  return { user, ctx: await resolveMembership(db, user.id, orgSlug, 'viewer') };
}

/** A server row with a few tools, written directly (no upstream needed). */
export async function seedServer(organizationId: string, name = 'Twikit') {
  const server = await db.mcpServer.create({
    data: { organizationId, name, transport: 'stdio', command: 'node', args: ['x.mjs'], status: 'ok' },
  });
  const tools = [
    { name: 'get_tweet', riskCategory: 'read', riskSeverity: 'low' },
    { name: 'leave_community', riskCategory: 'write', riskSeverity: 'medium' },
    { name: 'delete_tweet', riskCategory: 'destructive', riskSeverity: 'high' },
  ] as const;
  for (const t of tools) {
    await db.tool.create({
      data: {
        organizationId,
        serverId: server.id,
        name: t.name,
        inputSchema: { type: 'object' },
        definitionHash: `h-${t.name}`,
        approvedHash: `h-${t.name}`,
        riskCategory: t.riskCategory,
        riskSeverity: t.riskSeverity,
        riskWhy: 'test',
      },
    });
  }
  return server;
}
