// Holding calls for a person's approval, across replicas: the pending row lives in PostgreSQL, the
// dashboard decides it and sends an `approval` change event, and whichever replica holds the call
// wakes (or notices on its next poll). An approved row is consumed by exactly one call, with a
// conditional UPDATE, so one approval never runs a call twice.
import type { Db } from '@portcullis/db/client';
import type { Prisma } from '@portcullis/db/types';
import { storableJson } from '../audit/storable-text.ts';

export interface ApprovalRequest {
  organizationId: string;
  grantId: string;
  serverId: string;
  toolName: string;
  argumentsHash: string;
  arguments: unknown;
  sessionId: string;
  ruleId: string;
  timeoutMs: number;
}

export type ApprovalOutcome = 'approved' | 'denied' | 'expired' | 'cancelled';

/** What the wait ended with; `held` means the hold ran out while the approval is still pending. */
export interface WaitResult {
  outcome: ApprovalOutcome | 'held';
  /** The approver's note, for the agent. */
  note: string | null;
}

export class ApprovalCoordinator {
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly db: Db,
    private readonly pollMs: number,
  ) {}

  get waitingCount(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }

  /** Wakes calls waiting on this approval (from a change event). */
  wake(approvalId: string): void {
    for (const wake of this.waiters.get(approvalId) ?? []) wake();
  }

  /**
   * An approval for exactly this grant, server, tool and arguments: an approved unused one, else the latest
   * pending one (a retried call joins it rather than asking twice) or denial (the agent is told the
   * person's answer, not a new question), else a new pending one. Decided rows count while valid.
   */
  async findOrCreate(request: ApprovalRequest): Promise<{
    id: string;
    status: 'approved' | 'pending' | 'denied';
    expiresAt: Date;
    note: string | null;
  }> {
    const now = new Date();
    const rows = await this.db.approval.findMany({
      where: {
        grantId: request.grantId,
        // A toolset grant spans servers: an approval is for one server's tool, never another's of the same name.
        serverId: request.serverId,
        toolName: request.toolName,
        argumentsHash: request.argumentsHash,
        status: { in: ['approved', 'pending', 'denied'] },
        expiresAt: { gt: now },
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: 10,
      select: { id: true, status: true, expiresAt: true, note: true },
    });
    const existing = rows.find((r) => r.status === 'approved') ?? rows[0];
    if (
      existing &&
      (existing.status === 'approved' || existing.status === 'pending' || existing.status === 'denied')
    ) {
      return { id: existing.id, status: existing.status, expiresAt: existing.expiresAt, note: existing.note };
    }
    const created = await this.db.approval.create({
      data: {
        organizationId: request.organizationId,
        grantId: request.grantId,
        serverId: request.serverId,
        toolName: request.toolName,
        argumentsHash: request.argumentsHash,
        arguments: storableJson(request.arguments) as Prisma.InputJsonValue,
        sessionId: request.sessionId,
        ruleId: request.ruleId,
        status: 'pending',
        expiresAt: new Date(now.getTime() + request.timeoutMs),
      },
      select: { id: true, expiresAt: true },
    });
    return { id: created.id, status: 'pending', expiresAt: created.expiresAt, note: null };
  }

  /**
   * Waits until the approval is decided or expires, or until `holdUntil` (then `held`: the approval
   * stays pending for a later identical call); `tick.run` runs every `tick.everyMs` while waiting.
   */
  async waitForDecision(
    approvalId: string,
    expiresAt: Date,
    signal: AbortSignal,
    tick?: { everyMs: number; run: (elapsedMs: number) => void },
    holdUntil = Infinity,
  ): Promise<WaitResult> {
    const started = Date.now();
    let nextTick = tick ? started + tick.everyMs : Infinity;
    for (;;) {
      const row = await this.db.approval.findUnique({
        where: { id: approvalId },
        select: { status: true, note: true },
      });
      if (!row) return { outcome: 'denied', note: null };
      const note = row.note;
      if (row.status === 'approved') return { outcome: 'approved', note };
      if (row.status === 'denied') return { outcome: 'denied', note };
      if (row.status === 'expired' || row.status === 'consumed') return { outcome: 'expired', note: null };
      if (signal.aborted) {
        await this.expire(approvalId, 'cancelled by the client');
        return { outcome: 'cancelled', note: null };
      }
      const now = Date.now();
      if (now >= expiresAt.getTime()) {
        // Only a still-pending row expires; a decision that raced in wins and is read on the next pass.
        if (await this.expire(approvalId, 'timed out')) return { outcome: 'expired', note: null };
        continue;
      }
      if (now >= holdUntil) return { outcome: 'held', note: null };
      if (tick && now >= nextTick) {
        tick.run(now - started);
        nextTick = now + tick.everyMs;
      }
      await this.sleep(
        approvalId,
        Math.min(this.pollMs, expiresAt.getTime() - now, nextTick - now, holdUntil - now),
        signal,
      );
    }
  }

  /** True when this call won the approval (status approved → consumed). */
  async consume(approvalId: string): Promise<boolean> {
    const updated = await this.db.approval.updateMany({
      where: { id: approvalId, status: 'approved' },
      data: { status: 'consumed' },
    });
    return updated.count === 1;
  }

  /** Gives a consumed approval back when its call could not go ahead after all (the audit store failed). */
  async restore(approvalId: string): Promise<void> {
    await this.db.approval.updateMany({
      where: { id: approvalId, status: 'consumed' },
      data: { status: 'approved' },
    });
  }

  private async expire(approvalId: string, note: string): Promise<boolean> {
    const updated = await this.db.approval.updateMany({
      where: { id: approvalId, status: 'pending' },
      data: { status: 'expired', note },
    });
    return updated.count === 1;
  }

  private sleep(approvalId: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(approvalId);
      if (!set) this.waiters.set(approvalId, (set = new Set()));
      const waiters = set;
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        waiters.delete(done);
        if (waiters.size === 0) this.waiters.delete(approvalId);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      signal.addEventListener('abort', done, { once: true });
      waiters.add(done);
    });
  }
}
