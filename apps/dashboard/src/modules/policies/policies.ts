// Policy versions: immutable rows; saving inserts version n+1 and makes it the only active one.
import type { Db } from '@portcullis/db/client';
import type { Prisma } from '@portcullis/db/types';
import { notifyChange } from '@portcullis/db/events';
import { catalogRowSelect, simulateCall } from './simulate';
import { hasGuards, simulateGuards, type GuardReplay } from './simulate-guards';
import { recommendPolicy } from '@portcullis/policy/recommend';
import type { PolicyDocument } from '@portcullis/policy/types';
import { validatePolicy } from '@portcullis/policy/validate';
import { checkTenantPatterns } from '@portcullis/guardrails/tenant-patterns';
import { effectiveRisk } from '../catalog/tools';
import { getServer } from '../servers/servers';
import { recordAdminEvent } from '../trail/record';
import { assertRole, actorUserId, type OrgContext } from '../../server/context';
import { NotFoundError, ValidationError } from '../../server/errors';

export const policyVersionSelect = {
  id: true,
  serverId: true,
  version: true,
  document: true,
  active: true,
  authorLabel: true,
  message: true,
  createdAt: true,
} satisfies Prisma.PolicyVersionSelect;
export type PolicyVersionView = Prisma.PolicyVersionGetPayload<{ select: typeof policyVersionSelect }>;

export async function getActivePolicy(
  db: Db,
  ctx: OrgContext,
  serverId: string,
): Promise<PolicyVersionView | null> {
  await getServer(db, ctx, serverId);
  return db.policyVersion.findFirst({
    where: { organizationId: ctx.organizationId, serverId, active: true },
    select: policyVersionSelect,
  });
}

export async function listPolicyVersions(
  db: Db,
  ctx: OrgContext,
  serverId: string,
  take = 50,
): Promise<PolicyVersionView[]> {
  await getServer(db, ctx, serverId);
  return db.policyVersion.findMany({
    where: { organizationId: ctx.organizationId, serverId },
    select: policyVersionSelect,
    orderBy: { version: 'desc' },
    take,
  });
}

/** Throws a ValidationError whose pointer and message name the first problem; all of them are in the message. */
export function parsePolicyDocument(document: unknown): PolicyDocument {
  const result = validatePolicy(document);
  // Tenant patterns must also compile with RE2 (the engine the gateway runs them on), which only
  // the server side has: an invalid one is refused here with RE2's reason.
  const errors = result.ok ? checkTenantPatterns(result.policy.patterns) : result.errors;
  if (result.ok && errors.length === 0) return result.policy;
  const [first] = errors;
  const list = errors.map((e) => `${e.pointer || '/'} ${e.message}`).join('; ');
  throw new ValidationError(`Policy rejected: ${list}`, first?.pointer);
}

export async function savePolicy(
  db: Db,
  ctx: OrgContext,
  serverId: string,
  document: unknown,
  message?: string | null,
): Promise<PolicyVersionView> {
  assertRole(ctx, 'editor');
  await getServer(db, ctx, serverId);
  const policy = parsePolicyDocument(document);
  const saved = await db.$transaction(async (tx) => {
    // Serializes concurrent saves for one server, so version numbers and "one active" hold.
    await tx.$queryRaw`SELECT id FROM mcp_servers WHERE id = ${serverId} AND "organizationId" = ${ctx.organizationId} FOR UPDATE`;
    const last = await tx.policyVersion.findFirst({
      where: { serverId },
      orderBy: { version: 'desc' },
      select: { version: true },
    });
    await tx.policyVersion.updateMany({ where: { serverId, active: true }, data: { active: false } });
    const created = await tx.policyVersion.create({
      data: {
        organizationId: ctx.organizationId,
        serverId,
        version: (last?.version ?? 0) + 1,
        document: policy as unknown as Prisma.InputJsonValue,
        active: true,
        authorId: actorUserId(ctx),
        authorLabel: ctx.actor.label,
        message: message?.slice(0, 500) || null,
      },
      select: policyVersionSelect,
    });
    await recordAdminEvent(
      tx,
      ctx,
      'policy.save',
      { type: 'policy', id: created.id },
      { serverId, version: created.version, message: created.message },
    );
    const expired = await expireApprovalsNoLongerRequired(tx, ctx, serverId, policy, created.version);
    return { created, expired };
  });
  await notifyChange(db, { type: 'policy', organizationId: ctx.organizationId, serverId });
  // Wakes the gateway replica holding each call, which then refuses it as expired.
  for (const approvalId of saved.expired)
    await notifyChange(db, { type: 'approval', organizationId: ctx.organizationId, approvalId });
  return saved.created;
}

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

const NOW_WOULD_BE: Record<string, string> = {
  allow: 'allowed without approval',
  deny: 'denied',
  hide: 'hidden (denied)',
  rate_limited: 'rate limited',
};

/**
 * A pending approval the new version would not ask for (the call would now be allowed outright, or
 * refused) is expired with the reason, for the approver's history and the admin trail. Decided by
 * the same evaluator the gateway uses, on the approval's stored arguments; rows without stored
 * arguments cannot be re-decided and stay pending until decided or timed out.
 */
async function expireApprovalsNoLongerRequired(
  tx: Tx,
  ctx: OrgContext,
  serverId: string,
  policy: PolicyDocument,
  version: number,
): Promise<string[]> {
  const now = new Date();
  const pending = await tx.approval.findMany({
    where: { organizationId: ctx.organizationId, serverId, status: 'pending', expiresAt: { gt: now } },
    select: { id: true, toolName: true, arguments: true, grantId: true },
  });
  if (pending.length === 0) return [];
  const tools = await tx.tool.findMany({
    where: {
      organizationId: ctx.organizationId,
      serverId,
      name: { in: [...new Set(pending.map((a) => a.toolName))] },
    },
    select: {
      ...catalogRowSelect,
      riskCategory: true,
      riskSeverity: true,
      riskOverrideCategory: true,
      riskOverrideSeverity: true,
    },
  });
  const catalog = new Map(tools.map((t) => [t.name, { ...t, category: effectiveRisk(t).category }]));
  const expired: string[] = [];
  for (const approval of pending) {
    const args = approval.arguments;
    if (!args || typeof args !== 'object' || Array.isArray(args)) continue;
    const decision = simulateCall(policy, catalog, approval.toolName, args as Record<string, unknown>);
    if (decision.effect === 'require_approval') continue;
    const note = `Expired: policy version ${version} no longer requires approval for this call; it would now be ${NOW_WOULD_BE[decision.effect] ?? decision.effect} (rule ${decision.rule}).`;
    const { count } = await tx.approval.updateMany({
      where: { id: approval.id, status: 'pending' },
      data: { status: 'expired', note },
    });
    if (!count) continue;
    await recordAdminEvent(
      tx,
      ctx,
      'approval.expired',
      { type: 'approval', id: approval.id },
      {
        toolName: approval.toolName,
        grantId: approval.grantId,
        policyVersion: version,
        now: decision.effect,
        rule: decision.rule,
        note,
      },
    );
    expired.push(approval.id);
  }
  return expired;
}

/** Rolling back never edits history: it saves the old document again as a new version. */
export async function rollbackPolicy(
  db: Db,
  ctx: OrgContext,
  serverId: string,
  versionId: string,
): Promise<PolicyVersionView> {
  assertRole(ctx, 'editor');
  const old = await db.policyVersion.findFirst({
    where: { id: versionId, serverId, organizationId: ctx.organizationId },
  });
  if (!old) throw new NotFoundError('Policy version not found');
  return savePolicy(db, ctx, serverId, old.document, `Rollback to version ${old.version}`);
}

/** The starting policy for the server's current catalog (risk overrides included). */
export async function recommendedPolicyFor(
  db: Db,
  ctx: OrgContext,
  serverId: string,
): Promise<PolicyDocument> {
  await getServer(db, ctx, serverId);
  const tools = await db.tool.findMany({
    where: { organizationId: ctx.organizationId, serverId, present: true },
    select: {
      riskCategory: true,
      riskSeverity: true,
      riskOverrideCategory: true,
      riskOverrideSeverity: true,
    },
  });
  return recommendPolicy(tools.map((t) => ({ classification: { category: effectiveRisk(t).category } })));
}

export interface ReplayRow {
  auditId: string;
  createdAt: Date;
  toolName: string;
  before: { decision: string; rule: string | null };
  after: { decision: string; rule: string };
  /** What the draft's content guards would have done (redactions, or a withheld result). */
  guards?: GuardReplay;
}

/**
 * Replays a draft over the server's last `limit` audited tool calls. Arguments of redacted events
 * are hashes, so argument conditions see what was stored; rate limits are not replayed (they need
 * counter state): an allow with counters counts as allow.
 */
export async function replayPolicy(db: Db, ctx: OrgContext, serverId: string, draft: unknown, limit = 200) {
  await getServer(db, ctx, serverId);
  const policy = parsePolicyDocument(draft);
  const take = Math.min(Math.max(1, limit), 1_000);
  const [events, tools] = await Promise.all([
    db.auditEvent.findMany({
      where: { organizationId: ctx.organizationId, serverId, method: 'tools/call', toolName: { not: null } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take,
      select: {
        id: true,
        createdAt: true,
        toolName: true,
        decision: true,
        ruleId: true,
        arguments: true,
        argumentsRedacted: true,
        result: true,
      },
    }),
    db.tool.findMany({
      where: { organizationId: ctx.organizationId, serverId },
      select: {
        ...catalogRowSelect,
        riskCategory: true,
        riskSeverity: true,
        riskOverrideCategory: true,
        riskOverrideSeverity: true,
      },
    }),
  ]);
  const catalog = new Map(tools.map((t) => [t.name, { ...t, category: effectiveRisk(t).category }]));
  const changed: ReplayRow[] = [];
  const guarded = hasGuards(policy);
  // Calls whose content the audit did not keep in plain text: guards cannot be replayed on them.
  let uncheckable = 0;
  for (const event of events) {
    const args =
      event.arguments && typeof event.arguments === 'object' && !Array.isArray(event.arguments)
        ? (event.arguments as Record<string, unknown>)
        : {};
    let decision = simulateCall(policy, catalog, event.toolName!, args);
    const before = event.decision === 'rate_limited' ? 'allow' : event.decision;
    let guards: GuardReplay | null = null;
    if (guarded && decision.effect !== 'deny' && decision.effect !== 'hide' && event.decision !== 'error') {
      if (event.argumentsRedacted) uncheckable += 1;
      else {
        guards = simulateGuards(policy, catalog, event.toolName!, args, event.result ?? undefined);
        if (guards?.blocked?.direction === 'arguments')
          decision = { ...decision, effect: 'deny', rule: `guard:${guards.blocked.detector}` };
      }
    }
    if ((before !== decision.effect || guards) && event.decision !== 'error') {
      changed.push({
        auditId: event.id,
        createdAt: event.createdAt,
        toolName: event.toolName!,
        before: { decision: event.decision, rule: event.ruleId },
        after: { decision: decision.effect, rule: decision.rule },
        ...(guards ? { guards } : {}),
      });
    }
  }
  return { replayed: events.length, changed, uncheckable };
}
