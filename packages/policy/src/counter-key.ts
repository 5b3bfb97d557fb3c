// Storage key of a counter: which scope instance it belongs to, its name and its window.

import type { CounterRequest, CounterScope, CounterScopeIds } from './types.ts';

const SCOPE_ID_FIELD: Record<CounterScope, keyof CounterScopeIds> = {
  grant: 'grantId',
  session: 'sessionId',
  server: 'serverId',
  org: 'orgId',
  upstream: 'upstreamId',
};

/** Scopes whose instance can span several servers' policies. */
const CROSS_SERVER_SCOPES: ReadonlySet<CounterScope> = new Set(['org', 'upstream']);
/** …and, for a toolset grant, its grant and its sessions too. */
const TOOLSET_CROSS_SERVER_SCOPES: ReadonlySet<CounterScope> = new Set([
  'org',
  'upstream',
  'grant',
  'session',
]);

/**
 * `<scope>:<id>:<name>:<windowMs>`, each part URI-encoded so `:` in ids cannot collide.
 * An unnamed limit's name is its pointer (`tools/send_dm/limits/0`), which another server's policy
 * may have too; in org and upstream scope its name is therefore prefixed with the server
 * (`~<serverId>~<name>`; counter names cannot start with `~`), so it never shares a budget by accident;
 * so it is in grant and session scope of a toolset grant (`acrossServers`), whose named limits
 * count across all its servers.
 * The window is part of the key so that two limits sharing a name but not a window never
 * prune each other's entries. Throws when the id for the counter's scope is missing, because
 * silently sharing one counter across unrelated callers would be worse.
 */
export function counterKey(
  counter: Pick<CounterRequest, 'name' | 'scope' | 'windowMs'> & { named?: boolean },
  scopeIds: CounterScopeIds,
): string {
  const field = SCOPE_ID_FIELD[counter.scope];
  const id = scopeIds[field];
  if (id === undefined || id === '') {
    throw new Error(
      `counterKey: a ${counter.scope}-scoped counter (${counter.name}) needs scopeIds.${field}`,
    );
  }
  let name = encodeURIComponent(counter.name);
  const crossServer = scopeIds.acrossServers ? TOOLSET_CROSS_SERVER_SCOPES : CROSS_SERVER_SCOPES;
  if (counter.named === false && crossServer.has(counter.scope)) {
    if (!scopeIds.serverId)
      throw new Error(
        `counterKey: an unnamed ${counter.scope}-scoped counter (${counter.name}) needs scopeIds.serverId`,
      );
    name = `~${encodeURIComponent(scopeIds.serverId)}~${name}`;
  }
  return `${counter.scope}:${encodeURIComponent(id)}:${name}:${counter.windowMs}`;
}
