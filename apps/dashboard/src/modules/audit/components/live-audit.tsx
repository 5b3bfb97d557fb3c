'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';

type State = 'live' | 'scrolling' | 'row-open' | 'paging' | 'hidden';

const WORDS: Record<State, string> = {
  live: 'Live: new calls appear as they happen.',
  scrolling: 'Paused while you scroll; scroll back to the top to resume.',
  'row-open': 'Paused while a call is open; close it to resume.',
  paging: 'Paused on an older page; go to the first page to resume.',
  hidden: 'Paused while this tab is hidden.',
};

/**
 * Keeps the audit log current by re-rendering the page every `ms` (polling: the page's server
 * component reads the newest rows and the chart). It pauses while the user reads: scrolled down,
 * a row's details open, or on an older page, so nothing moves under them.
 */
export function LiveAudit({ ms, rowOpen, paging }: { ms: number; rowOpen: boolean; paging: boolean }) {
  const router = useRouter();
  const [scrolled, setScrolled] = useState(false);
  const [hidden, setHidden] = useState(false);
  const state: State = rowOpen
    ? 'row-open'
    : paging
      ? 'paging'
      : scrolled
        ? 'scrolling'
        : hidden
          ? 'hidden'
          : 'live';

  useEffect(() => {
    const onScroll = () => setScrolled(window.scrollY > 40);
    const onVisibility = () => setHidden(document.visibilityState !== 'visible');
    onScroll();
    onVisibility();
    window.addEventListener('scroll', onScroll, { passive: true });
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      window.removeEventListener('scroll', onScroll);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, []);

  useEffect(() => {
    if (state !== 'live') return;
    const timer = setInterval(() => router.refresh(), ms);
    return () => clearInterval(timer);
  }, [router, ms, state]);

  return (
    <p role="status" data-live-state={state} className="flex items-center gap-2 text-xs text-slate-600">
      <span
        aria-hidden
        className={`inline-block h-2 w-2 rounded-full ${state === 'live' ? 'animate-pulse bg-emerald-500' : 'bg-slate-400'}`}
      />
      {WORDS[state]}
    </p>
  );
}
