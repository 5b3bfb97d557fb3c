// Who is acting in which organization. Every module function takes one and checks its role;
// every query it makes filters by ctx.organizationId.
import type { Role } from '@portcullis/db/types';
import { ForbiddenError } from './errors';
import { roleAtLeast } from './roles';

export interface OrgContext {
  organizationId: string;
  orgSlug: string;
  orgName: string;
  role: Role;
  actor: { kind: 'user' | 'apiKey'; id: string; label: string };
}

const ACTION_NAMES: Record<Role, string> = {
  viewer: 'viewers',
  editor: 'editors',
  admin: 'admins',
  owner: 'owners',
};

export function assertRole(ctx: OrgContext, min: Role): void {
  if (!roleAtLeast(ctx.role, min)) {
    throw new ForbiddenError(`Only ${ACTION_NAMES[min]} and above can do this; your role is ${ctx.role}.`);
  }
}

/** The user id to store as author / decider, when the actor is a person. */
export function actorUserId(ctx: OrgContext): string | null {
  return ctx.actor.kind === 'user' ? ctx.actor.id : null;
}
