// Admission of tools/call on this replica: a cap on calls in flight per organization and per grant
// (operator defaults, per-organization overrides), under a cap for the whole replica. A call beyond
// its organization's or grant's cap waits in that organization's own queue for at most waitMs, then
// is answered "busy, retry after": it never takes another organization's slot. When the replica
// itself is full, freed slots go to the organizations' queues in turn (round robin, one call per
// turn), so a flood costs the flooder its own queue time, not everyone's.
//
// Counted locally: an in-flight cap protects this process's event loop and upstream connections,
// which are per replica; a shared count would add a store round trip to every call and leak slots
// when a replica dies. With R replicas an organization has at most R × its cap in flight overall
// (docs/scaling.md). Session caps and rate limits are the ones counted across replicas.
import { JsonRpcError } from '../errors.ts';

/** Implementation-defined JSON-RPC server error (-32000…-32099): the gateway is busy for this tenant. */
export const BUSY_CODE = -32050;

export class CallsBusyError extends JsonRpcError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(BUSY_CODE, message, { retryAfterMs });
  }
}

export interface AdmissionLimits {
  /** Calls in flight on this replica, all organizations together. */
  maxInFlight: number;
  /** Default cap per organization (an organization's override replaces it). */
  maxInFlightPerOrganization: number;
  /** Default cap per grant (an organization's override replaces it). */
  maxInFlightPerGrant: number;
  /** How long a call beyond a cap waits in its organization's queue before the busy answer. */
  waitMs: number;
}

/** The env defaults (env.ts), for configs built without them. */
export const DEFAULT_ADMISSION: AdmissionLimits = {
  maxInFlight: 256,
  maxInFlightPerOrganization: 32,
  maxInFlightPerGrant: 16,
  waitMs: 1_000,
};

/** An organization's own caps, as the operator set them on its row (null: the default). */
export interface OrganizationCaps {
  maxCallsInFlight: number | null;
  maxCallsInFlightPerGrant: number | null;
}

export interface AdmissionSlot {
  /** Gives the slot back (idempotent). */
  release(): void;
  /** Takes a slot again after release() (a call that waited for approval goes on). */
  reacquire(): Promise<void>;
}

interface Waiter {
  grantId: string;
  admit: () => void;
}

interface OrganizationState {
  inFlight: number;
  grants: Map<string, number>;
  queue: Waiter[];
  orgCap: number;
  grantCap: number;
}

export class CallAdmission {
  private inFlight = 0;
  private readonly organizations = new Map<string, OrganizationState>();
  /** Organizations with waiters, in the order they are served; the head is served next. */
  private readonly turns: string[] = [];
  /** Calls answered busy, by reason (for /metrics and the bench). */
  readonly refused = { organization: 0, grant: 0, replica: 0 };

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly capsOf: (organizationId: string) => Promise<OrganizationCaps | undefined>,
  ) {}

  /** Calls in flight on this replica (for one organization when given). */
  inFlightOf(organizationId?: string): number {
    if (organizationId === undefined) return this.inFlight;
    return this.organizations.get(organizationId)?.inFlight ?? 0;
  }

  async admit(organizationId: string, grantId: string, signal?: AbortSignal): Promise<AdmissionSlot> {
    const caps = await this.capsOf(organizationId).catch(() => undefined);
    let held = false;
    const take = async () => {
      // Looked up on every take: the state of an organization with nothing in flight is dropped.
      const org = this.stateOf(organizationId);
      org.orgCap = caps?.maxCallsInFlight ?? this.limits.maxInFlightPerOrganization;
      org.grantCap = caps?.maxCallsInFlightPerGrant ?? this.limits.maxInFlightPerGrant;
      await this.acquire(organizationId, org, grantId, signal);
      held = true;
    };
    await take();
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.give(organizationId, grantId);
      },
      reacquire: async () => {
        if (!held) await take();
      },
    };
  }

  private stateOf(organizationId: string): OrganizationState {
    let org = this.organizations.get(organizationId);
    if (!org) {
      org = { inFlight: 0, grants: new Map(), queue: [], orgCap: 0, grantCap: 0 };
      this.organizations.set(organizationId, org);
    }
    return org;
  }

  private fits(org: OrganizationState, grantId: string): boolean {
    return (
      this.inFlight < this.limits.maxInFlight &&
      org.inFlight < org.orgCap &&
      (org.grants.get(grantId) ?? 0) < org.grantCap
    );
  }

  private take(org: OrganizationState, grantId: string): void {
    this.inFlight += 1;
    org.inFlight += 1;
    org.grants.set(grantId, (org.grants.get(grantId) ?? 0) + 1);
  }

  private acquire(
    organizationId: string,
    org: OrganizationState,
    grantId: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    // Whenever a slot is free no waiter that fits is left queued (give() serves them first), so a
    // call that fits now overtakes no one.
    if (this.fits(org, grantId)) {
      this.take(org, grantId);
      return Promise.resolve();
    }
    const why =
      org.inFlight >= org.orgCap
        ? 'organization'
        : this.inFlight >= this.limits.maxInFlight
          ? 'replica'
          : 'grant';
    if (signal?.aborted)
      return Promise.reject(new JsonRpcError(-32001, 'The call was cancelled while it waited for a slot'));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grantId,
        admit: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const leave = () => {
        const at = org.queue.indexOf(waiter);
        if (at >= 0) org.queue.splice(at, 1);
        if (org.queue.length === 0) this.dropTurn(organizationId);
      };
      const timer = setTimeout(() => {
        leave();
        this.refused[why] += 1;
        reject(busy(why, org, this.limits));
      }, this.limits.waitMs);
      const onAbort = () => {
        clearTimeout(timer);
        leave();
        reject(new JsonRpcError(-32001, 'The call was cancelled while it waited for a slot'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      org.queue.push(waiter);
      if (!this.turns.includes(organizationId)) this.turns.push(organizationId);
    });
  }

  private give(organizationId: string, grantId: string): void {
    const org = this.organizations.get(organizationId);
    if (!org) return;
    this.inFlight -= 1;
    org.inFlight -= 1;
    const left = (org.grants.get(grantId) ?? 1) - 1;
    if (left <= 0) org.grants.delete(grantId);
    else org.grants.set(grantId, left);
    this.serveQueues();
    if (org.inFlight === 0 && org.queue.length === 0) this.organizations.delete(organizationId);
  }

  /** Round robin over organizations with waiters: each turn admits at most one call of one organization. */
  private serveQueues(): void {
    let idle = 0;
    while (this.turns.length > 0 && this.inFlight < this.limits.maxInFlight && idle < this.turns.length) {
      const organizationId = this.turns.shift()!;
      const org = this.organizations.get(organizationId)!;
      const at = org.queue.findIndex((w) => this.fits(org, w.grantId));
      if (at < 0) {
        this.turns.push(organizationId);
        idle += 1;
        continue;
      }
      const [waiter] = org.queue.splice(at, 1);
      this.take(org, waiter!.grantId);
      waiter!.admit();
      if (org.queue.length > 0) this.turns.push(organizationId);
      idle = 0;
    }
  }

  private dropTurn(organizationId: string): void {
    const at = this.turns.indexOf(organizationId);
    if (at >= 0) this.turns.splice(at, 1);
  }
}

function busy(why: 'organization' | 'grant' | 'replica', org: OrganizationState, limits: AdmissionLimits) {
  // A slot frees when one of the calls in flight ends: soon, but not sooner than the wait just spent.
  const retryAfterMs = Math.max(100, Math.min(5_000, limits.waitMs));
  const what = {
    organization: `this organization already has ${org.orgCap} calls in flight on this gateway (its cap)`,
    grant: `this grant already has ${org.grantCap} calls in flight on this gateway (its cap)`,
    replica: `this gateway is at its limit of ${limits.maxInFlight} calls in flight`,
  }[why];
  return new CallsBusyError(
    `Busy: ${what}; the call waited ${limits.waitMs} ms and was not sent. Retry after ${retryAfterMs} ms`,
    retryAfterMs,
  );
}
