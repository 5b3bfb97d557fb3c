import type { Role } from '@portcullis/db/types';

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };

export const ROLES: readonly Role[] = ['owner', 'admin', 'editor', 'viewer'];

export function roleAtLeast(role: Role, min: Role): boolean {
  return RANK[role] >= RANK[min];
}
