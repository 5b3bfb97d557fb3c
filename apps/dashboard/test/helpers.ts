// Shared setup for the dashboard's integration tests: env for the modules, one client, clean tables.
import { randomBytes } from 'node:crypto';

process.env.AUTH_SECRET ??= randomBytes(32).toString('base64url');
process.env.PORTCULLIS_ENCRYPTION_KEY ??= randomBytes(32).toString('base64');
// The test operator offers one stdio template; stdio registrations without one are refused.
process.env.STDIO_TEMPLATES ??= JSON.stringify([{ id: 'script', name: 'A script', command: process.execPath, tenantArgs: { max: 4, pattern: '.*' }, tenantEnv: { API_TOKEN: {} } }]);
process.env.ALLOW_PRIVATE_UPSTREAMS ??= 'true';
process.env.GATEWAY_PUBLIC_URL ??= 'http://gateway.test:4000';

const { createPrismaClient } = await import('@portcullis/db/client');
const { signUp } = await import('../src/modules/accounts/signup.ts');
const { resolveMembership } = await import('../src/modules/orgs/membership.ts');

export const db = createPrismaClient(process.env.DATABASE_URL!);

export async function resetDatabase(): Promise<void> {
  await db.$executeRawUnsafe(
    'TRUNCATE organizations, users, login_attempts, rate_limit_hits, gateway_sessions, verification_tokens RESTART IDENTITY CASCADE',
  );
}

let counter = 0;
export async function newOwner(orgName = 'Org') {
  counter += 1;
  const email = `owner${counter}-${Date.now()}@example.test`;
  const { userId, orgSlug } = await signUp(db, { name: `Owner ${counter}`, email, password: 'a long enough password', organizationName: `${orgName} ${counter}` });
  const ctx = await resolveMembership(db, userId, orgSlug, 'viewer');
  return { userId, email, orgSlug, ctx };
}

/** A member of `organizationId` with `role`, and their context. */
export async function addMember(organizationId: string, orgSlug: string, role: 'owner' | 'admin' | 'editor' | 'viewer') {
  counter += 1;
  const user = await db.user.create({ data: { email: `m${counter}-${Date.now()}@example.test`, name: `Member ${counter}` } });
  await db.membership.create({ data: { organizationId, userId: user.id, role } });
  return { user, ctx: await resolveMembership(db, user.id, orgSlug, 'viewer') };
}

/** A server row with a few tools, written directly (no upstream needed). */
export async function seedServer(organizationId: string, name = 'Twikit') {
  const server = await db.mcpServer.create({ data: { organizationId, name, transport: 'stdio', command: 'node', args: ['x.mjs'], status: 'ok' } });
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
