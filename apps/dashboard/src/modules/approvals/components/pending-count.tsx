'use client';

import { useEffect, useState } from 'react';

/**
 * The number of calls waiting for approval, beside "Approvals" in the navigation; polls every
 * `ms` while the tab is visible, so approvers see a new call without opening the page.
 */
export function PendingCount({ orgSlug, ms = 5000 }: { orgSlug: string; ms?: number }) {
  const [pending, setPending] = useState<number | null>(null);
  useEffect(() => {
    let stopped = false;
    const load = async () => {
      if (document.visibilityState !== 'visible') return;
      try {
        const res = await fetch(`/o/${orgSlug}/approvals/count`, { cache: 'no-store' });
        if (!res.ok) return;
        const body = (await res.json()) as { pending?: number };
        if (!stopped && typeof body.pending === 'number') setPending(body.pending);
      } catch {
        // Offline for a moment: the count stays as it was until the next poll.
      }
    };
    void load();
    const timer = setInterval(() => void load(), ms);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [orgSlug, ms]);
  if (!pending) return null;
  return (
    <span
      data-testid="pending-approvals"
      className="ml-2 inline-flex min-w-5 items-center justify-center rounded-full bg-violet-600 px-1.5 text-xs font-semibold text-white"
    >
      {pending}
      <span className="sr-only"> waiting for approval</span>
    </span>
  );
}
