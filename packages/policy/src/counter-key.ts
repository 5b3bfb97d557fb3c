// Storage key of a counter: which scope instance it belongs to, its name and its window.

import type { CounterRequest, CounterScope, CounterScopeIds } from './types.ts';

const SCOPE_ID_FIELD: Record<CounterScope, keyof CounterScopeIds> = {
  grant: 'grantId',
  session: 'sessionId',
  server: 'serverId',
  org: 'orgId',
  upstream: 'upstreamId',
};

/**
 * `<scope>:<id>:<name>:<windowMs>`, each part URI-encoded so `:` in ids cannot collide.
 * The window is part of the key so that two limits sharing a name but not a window never
 * prune each other's entries. Throws when the id for the counter's scope is missing, because
 * silently sharing one counter across unrelated callers would be worse.
 */
export function counterKey(counter: Pick<CounterRequest, 'name' | 'scope' | 'windowMs'>, scopeIds: CounterScopeIds): string {
  const field = SCOPE_ID_FIELD[counter.scope];
  const id = scopeIds[field];
  if (id === undefined || id === '') {
    throw new Error(`counterKey: a ${counter.scope}-scoped counter (${counter.name}) needs scopeIds.${field}`);
  }
  return `${counter.scope}:${encodeURIComponent(id)}:${encodeURIComponent(counter.name)}:${counter.windowMs}`;
}
