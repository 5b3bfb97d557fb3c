// The admission queues on their own: round robin across organizations when the replica is full,
// an organization's cap never lent to another, busy after the wait, overrides over defaults.
import { describe, expect, it } from 'vitest';
import { CallAdmission, CallsBusyError, type OrganizationCaps } from '../src/admission/call-admission.ts';

const limits = { maxInFlight: 2, maxInFlightPerOrganization: 4, maxInFlightPerGrant: 4, waitMs: 2_000 };
const none = async (): Promise<OrganizationCaps | undefined> => undefined;

describe('CallAdmission', () => {
  it('hands freed replica slots to the organizations in turn, not in arrival order', async () => {
    const admission = new CallAdmission(limits, none);
    const first = await Promise.all([admission.admit('A', 'a1'), admission.admit('A', 'a1')]);
    const order: string[] = [];
    const slots: Array<{ release(): void }> = [];
    const queued = ['A', 'A', 'A', 'B', 'B'].map((org) =>
      admission.admit(org, `${org}1`).then((slot) => {
        order.push(org);
        slots.push(slot);
      }),
    );
    const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
    await tick();
    expect(order).toEqual([]);
    for (const slot of first) slot.release();
    await tick();
    expect(order).toEqual(['A', 'B']);
    slots.shift()!.release();
    await tick();
    slots.shift()!.release();
    await tick();
    expect(order).toEqual(['A', 'B', 'A', 'B']);
    while (slots.length > 0 || order.length < 5) {
      slots.shift()?.release();
      await tick();
    }
    await Promise.all(queued);
    slots.forEach((slot) => slot.release());
    expect(order).toEqual(['A', 'B', 'A', 'B', 'A']);
  });

  it("answers busy at an organization's cap with retryAfterMs, while another organization is admitted", async () => {
    const admission = new CallAdmission({ ...limits, maxInFlight: 100, waitMs: 30 }, async (id) =>
      id === 'A' ? { maxCallsInFlight: 1, maxCallsInFlightPerGrant: null } : undefined,
    );
    const held = await admission.admit('A', 'a1');
    const refused = await admission.admit('A', 'a2').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CallsBusyError);
    expect((refused as CallsBusyError).data).toEqual({ retryAfterMs: 100 });
    expect((refused as Error).message).toContain('this organization already has 1 calls in flight');
    const others = await Promise.all([1, 2, 3].map(() => admission.admit('B', 'b1')));
    expect(admission.inFlightOf('B')).toBe(3);
    expect(admission.refused.organization).toBe(1);
    held.release();
    held.release();
    others.forEach((slot) => slot.release());
    expect(admission.inFlightOf()).toBe(0);
  });

  it('caps one grant below its organization, and a cancelled waiter leaves the queue', async () => {
    const admission = new CallAdmission({ ...limits, maxInFlight: 100, maxInFlightPerGrant: 1 }, none);
    const held = await admission.admit('A', 'g1');
    const other = await admission.admit('A', 'g2');
    const controller = new AbortController();
    const waiting = admission.admit('A', 'g1', controller.signal).catch((e: unknown) => e);
    controller.abort();
    expect(((await waiting) as Error).message).toContain('cancelled');
    held.release();
    expect(admission.inFlightOf('A')).toBe(1);
    other.release();
  });
});
