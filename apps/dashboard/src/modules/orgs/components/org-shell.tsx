import Link from 'next/link';
import type { ReactNode } from 'react';
import type { OrgContext } from '../../../server/context';
import { SignOutButton } from '../../accounts/components/sign-out-button';
import { PendingCount } from '../../approvals/components/pending-count';
import { OrgSwitcher } from './org-switcher';
import { NavLink } from './nav-link';

const NAV = [
  { href: 'overview', label: 'Overview' },
  { href: 'servers', label: 'Servers' },
  { href: 'toolsets', label: 'Toolsets' },
  { href: 'connections', label: 'Connections' },
  { href: 'grants', label: 'Grants' },
  { href: 'approvals', label: 'Approvals' },
  { href: 'audit', label: 'Audit log' },
  { href: 'trail', label: 'Admin trail' },
  { href: 'members', label: 'Members' },
  { href: 'settings/api-keys', label: 'API keys' },
  { href: 'settings/notifications', label: 'Notifications' },
  { href: 'settings/audit', label: 'Audit retention & export' },
];

export function OrgShell({
  ctx,
  user,
  orgs,
  children,
}: {
  ctx: OrgContext;
  user: { email: string; name: string | null };
  orgs: Array<{ slug: string; name: string }>;
  children: ReactNode;
}) {
  return (
    <div className="flex min-h-screen">
      {/* Sticky, so the navigation stays in reach down long pages (a full catalog is ~6,000 px). */}
      <aside className="sticky top-0 flex h-screen w-56 shrink-0 flex-col overflow-y-auto border-r border-slate-200 bg-white">
        <div className="border-b border-slate-200 px-4 py-3">
          <Link href="/" className="text-sm font-semibold tracking-wide text-slate-900 uppercase">
            Portcullis
          </Link>
        </div>
        <div className="px-3 py-3">
          <OrgSwitcher current={ctx.orgSlug} orgs={orgs} />
        </div>
        <nav aria-label="Organization" className="flex-1 px-2">
          <ul className="space-y-0.5">
            {NAV.map((item) => (
              <li key={item.href}>
                <NavLink href={`/o/${ctx.orgSlug}/${item.href}`}>
                  {item.label}
                  {item.href === 'approvals' ? <PendingCount orgSlug={ctx.orgSlug} /> : null}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="space-y-2 border-t border-slate-200 px-3 py-3 text-xs text-slate-600">
          <p className="truncate" title={user.email}>
            {user.name ?? user.email}
          </p>
          <p>
            Role: <span className="font-medium">{ctx.role}</span>
          </p>
          <SignOutButton />
        </div>
      </aside>
      <main id="main" tabIndex={-1} className="min-w-0 flex-1 px-8 py-6 focus:outline-none">
        {children}
      </main>
    </div>
  );
}
