'use client';

import { useRouter } from 'next/navigation';

export function OrgSwitcher({
  current,
  orgs,
}: {
  current: string;
  orgs: Array<{ slug: string; name: string }>;
}) {
  const router = useRouter();
  return (
    <div>
      <label htmlFor="org-switcher" className="mb-1 block text-xs font-medium text-slate-500">
        Organization
      </label>
      <select
        id="org-switcher"
        className="input"
        value={current}
        onChange={(event) => {
          const value = event.target.value;
          router.push(value === '__new' ? '/orgs/new' : `/o/${value}/servers`);
        }}
      >
        {orgs.map((org) => (
          <option key={org.slug} value={org.slug}>
            {org.name}
          </option>
        ))}
        <option value="__new">+ New organization…</option>
      </select>
    </div>
  );
}
