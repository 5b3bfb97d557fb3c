// Per-organization admission caps set by the operator (organizations.max_calls_in_flight and
// max_calls_in_flight_per_grant; null: the gateway's default). Read at most every ttlMs per
// organization, and never on a call's path once cached: a stale entry is answered while it refreshes.
import type { Db } from '@portcullis/db/client';
import type { OrganizationCaps } from './call-admission.ts';

interface Entry {
  caps: OrganizationCaps | undefined;
  fetchedAt: number;
  loading?: Promise<OrganizationCaps | undefined> | undefined;
}

export class OrganizationCapsCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly db: Db,
    private readonly ttlMs = 5_000,
  ) {}

  get(organizationId: string): Promise<OrganizationCaps | undefined> {
    const entry = this.entries.get(organizationId);
    if (!entry) return this.load(organizationId);
    if (entry.fetchedAt === 0 && entry.loading) return entry.loading;
    if (Date.now() - entry.fetchedAt > this.ttlMs && !entry.loading) void this.load(organizationId);
    return Promise.resolve(entry.caps);
  }

  private load(organizationId: string): Promise<OrganizationCaps | undefined> {
    const running = this.entries.get(organizationId)?.loading;
    if (running) return running;
    const loading = this.db.organization
      .findUnique({
        where: { id: organizationId },
        select: { maxCallsInFlight: true, maxCallsInFlightPerGrant: true },
      })
      .then((row) => {
        const caps = row ?? undefined;
        this.entries.set(organizationId, { caps, fetchedAt: Date.now() });
        if (this.entries.size > 10_000) this.entries.delete(this.entries.keys().next().value!);
        return caps;
      })
      .catch(() => {
        // Unreadable: the defaults apply until the next try (the call's own store reads fail closed).
        this.entries.delete(organizationId);
        return undefined;
      });
    const entry = this.entries.get(organizationId);
    if (entry) entry.loading = loading;
    else this.entries.set(organizationId, { caps: undefined, fetchedAt: 0, loading });
    return loading;
  }
}
