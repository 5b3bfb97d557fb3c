// The first-run checklist: each step is done when the organization's own rows say so, so it ticks
// itself (including the first call, which happens outside the dashboard, in the gateway).
import type { Db } from '@portcullis/db/client';
import type { OrgContext } from '../../server/context';

export interface FirstRunStep {
  label: string;
  hint: string;
  href: string;
  done: boolean;
}

/** How long the finished checklist stays on the page after the first call. */
const SHOW_DONE_FOR_MS = 24 * 3_600_000;

/** The steps, or null once everything was done more than a day ago. */
export async function firstRunSteps(db: Db, ctx: OrgContext): Promise<FirstRunStep[] | null> {
  const org = { organizationId: ctx.organizationId };
  const [server, synced, policy, grant, firstCall] = await Promise.all([
    db.mcpServer.findFirst({
      where: { ...org, deletedAt: null },
      select: { id: true },
      orderBy: { createdAt: 'asc' },
    }),
    db.mcpServer.findFirst({
      where: { ...org, deletedAt: null, lastSyncAt: { not: null } },
      select: { id: true },
      orderBy: { createdAt: 'asc' },
    }),
    db.policyVersion.findFirst({ where: org, select: { id: true } }),
    db.grant.findFirst({ where: org, select: { id: true } }),
    db.auditEvent.findFirst({
      where: org,
      select: { createdAt: true },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    }),
  ]);
  if (firstCall && Date.now() - firstCall.createdAt.getTime() > SHOW_DONE_FOR_MS) return null;
  const base = `/o/${ctx.orgSlug}`;
  const serverPath =
    (synced ?? server) ? `${base}/servers/${(synced ?? server)!.id}` : `${base}/servers#register-server`;
  return [
    {
      label: 'Register a server',
      hint: 'Below, or start with the Twikit preset.',
      href: `${base}/servers#register-server`,
      done: Boolean(server),
    },
    {
      label: 'Sync its tools',
      hint: 'Each tool gets a risk class; registering syncs at once.',
      href: serverPath,
      done: Boolean(synced),
    },
    {
      label: 'Save a policy',
      hint: 'Start from the recommended policy; without one every call is denied.',
      href: server ? `${serverPath}/policy` : serverPath,
      done: Boolean(policy),
    },
    {
      label: 'Create a grant',
      hint: 'A proxy URL and token for one agent, with client setups.',
      href: `${base}/grants`,
      done: Boolean(grant),
    },
    {
      label: 'Make a first call',
      hint: 'From your agent through the gateway; it lands in the audit log.',
      href: `${base}/audit`,
      done: Boolean(firstCall),
    },
  ];
}
