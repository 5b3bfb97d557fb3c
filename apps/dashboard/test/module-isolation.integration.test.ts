// The functions behind pages and server actions, called as org A with org B's ids: all 404.
import { beforeAll, describe, expect, it } from 'vitest';
import { db, resetDatabase, newOwner, seedServer } from './helpers.ts';
import { resolveMembership } from '../src/modules/orgs/membership.ts';
import { getServer, deleteServer, testConnection, syncServer } from '../src/modules/servers/servers.ts';
import {
  listTools,
  approveToolChange,
  keepToolBlocked,
  overrideToolRisk,
} from '../src/modules/catalog/tools.ts';
import {
  getActivePolicy,
  listPolicyVersions,
  savePolicy,
  rollbackPolicy,
  recommendedPolicyFor,
  replayPolicy,
} from '../src/modules/policies/policies.ts';
import { createGrant, revokeGrant } from '../src/modules/grants/grants.ts';
import { decideApproval } from '../src/modules/approvals/approvals.ts';
import { getAuditEvent } from '../src/modules/audit/audit.ts';
import { revokeApiKey, createApiKey } from '../src/modules/api-keys/api-keys.ts';
import {
  removeMember,
  changeMemberRole,
  revokeInvitation,
  createInvitation,
} from '../src/modules/orgs/members.ts';
import { NotFoundError } from '../src/server/errors.ts';
import type { OrgContext } from '../src/server/context.ts';

let a: OrgContext;
const b: Record<string, string> = {};

beforeAll(async () => {
  await resetDatabase();
  a = (await newOwner('A')).ctx;
  const owner = await newOwner('B');
  const ctxB = owner.ctx;
  b.slug = ctxB.orgSlug;
  const server = await seedServer(ctxB.organizationId);
  b.server = server.id;
  b.tool = (await db.tool.findFirstOrThrow({ where: { serverId: server.id } })).id;
  b.policy = (await savePolicy(db, ctxB, server.id, { version: '1', default: 'deny' })).id;
  b.grant = (await createGrant(db, ctxB, { name: 'g', serverId: server.id })).grant.id;
  b.approval = (
    await db.approval.create({
      data: {
        organizationId: ctxB.organizationId,
        grantId: b.grant,
        serverId: server.id,
        toolName: 't',
        argumentsHash: 'h',
        expiresAt: new Date(Date.now() + 60_000),
      },
    })
  ).id;
  b.audit = (
    await db.auditEvent.create({
      data: { organizationId: ctxB.organizationId, method: 'tools/call', decision: 'allow' },
    })
  ).id;
  b.key = (await createApiKey(db, ctxB, { name: 'k' })).id;
  b.membership = (
    await db.membership.findFirstOrThrow({ where: { organizationId: ctxB.organizationId } })
  ).id;
  b.invitation = (await createInvitation(db, ctxB, { role: 'viewer' })).invitationId;
  b.user = owner.userId;
});

const CASES: Array<[string, () => Promise<unknown>]> = [
  ['resolveMembership (page/action guard)', () => resolveMembership(db, a.actor.id, b.slug!, 'viewer')],
  ['getServer', () => getServer(db, a, b.server!)],
  ['deleteServer', () => deleteServer(db, a, b.server!)],
  ['testConnection', () => testConnection(db, a, b.server!)],
  ['syncServer', () => syncServer(db, a, b.server!)],
  ['listTools', () => listTools(db, a, b.server!)],
  ['approveToolChange', () => approveToolChange(db, a, b.tool!, '0'.repeat(64))],
  ['keepToolBlocked', () => keepToolBlocked(db, a, b.tool!)],
  ['overrideToolRisk', () => overrideToolRisk(db, a, b.tool!, null)],
  ['getActivePolicy', () => getActivePolicy(db, a, b.server!)],
  ['listPolicyVersions', () => listPolicyVersions(db, a, b.server!)],
  ['savePolicy', () => savePolicy(db, a, b.server!, { version: '1', default: 'allow' })],
  ['rollbackPolicy', () => rollbackPolicy(db, a, b.server!, b.policy!)],
  ['recommendedPolicyFor', () => recommendedPolicyFor(db, a, b.server!)],
  ['replayPolicy', () => replayPolicy(db, a, b.server!, { version: '1', default: 'allow' })],
  ['createGrant on B server', () => createGrant(db, a, { name: 'x', serverId: b.server! })],
  ['revokeGrant', () => revokeGrant(db, a, b.grant!)],
  ['decideApproval', () => decideApproval(db, a, b.approval!, 'approve')],
  ['getAuditEvent', () => getAuditEvent(db, a, b.audit!)],
  ['revokeApiKey', () => revokeApiKey(db, a, b.key!)],
  ['removeMember', () => removeMember(db, a, b.membership!)],
  ['changeMemberRole', () => changeMemberRole(db, a, b.membership!, 'viewer')],
  ['revokeInvitation', () => revokeInvitation(db, a, b.invitation!)],
];

describe('module functions with another organization’s ids', () => {
  for (const [name, call] of CASES) {
    it(`${name} → 404`, async () => {
      await expect(call()).rejects.toBeInstanceOf(NotFoundError);
    });
  }
  it('changed nothing in B', async () => {
    expect(
      await db.adminEvent.count({
        where: {
          organizationId: { not: a.organizationId },
          action: {
            notIn: ['organization.create', 'policy.save', 'grant.create', 'api_key.create', 'member.invite'],
          },
        },
      }),
    ).toBe(0);
    expect(await db.mcpServer.count({ where: { id: b.server, deletedAt: null } })).toBe(1);
  });
});
