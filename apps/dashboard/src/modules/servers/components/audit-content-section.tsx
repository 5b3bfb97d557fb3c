import { Badge } from '../../../components/badge';
import { db } from '../../../server/db';
import type { OrgContext } from '../../../server/context';
import { roleAtLeast } from '../../../server/roles';
import { auditContentSettings } from '../audit-content';
import { setServerAuditContentAction, setToolAuditContentAction } from '../audit-content-actions';

const WORDS = {
  redacted: 'redacted (argument names and keyed hashes, no results)',
  full: 'plain text (arguments and results, up to 64 KiB)',
} as const;

/** The server's and its tools' audit content settings; admins change them. */
export async function AuditContentSection({ ctx, serverId }: { ctx: OrgContext; serverId: string }) {
  const settings = await auditContentSettings(db(), ctx, serverId);
  const isAdmin = roleAtLeast(ctx.role, 'admin');
  return (
    <section aria-labelledby="audit-content-heading" className="card space-y-3 p-4 text-sm">
      <h2 id="audit-content-heading" className="h2">
        Audit content
      </h2>
      <p>
        This server&apos;s calls are stored{' '}
        <Badge tone={settings.server === 'full' ? 'amber' : 'slate'}>{WORDS[settings.server]}</Badge>. Plain
        text answers &quot;what did the agent do?&quot; but keeps whatever the arguments and results hold; the
        audit log and its export mark such rows.
      </p>
      {isAdmin ? (
        <form action={setServerAuditContentAction} className="flex flex-wrap items-end gap-2">
          <input type="hidden" name="orgSlug" value={ctx.orgSlug} />
          <input type="hidden" name="serverId" value={serverId} />
          <input type="hidden" name="mode" value={settings.server === 'full' ? 'redacted' : 'full'} />
          <button type="submit" className="btn btn-sm">
            {settings.server === 'full'
              ? 'Store this server’s calls redacted'
              : 'Store this server’s arguments and results in plain text'}
          </button>
        </form>
      ) : null}
      {settings.overrides.length ? (
        <ul aria-label="Tools with their own setting" className="space-y-1">
          {settings.overrides.map((o) => (
            <li key={o.toolName}>
              <span className="font-mono">{o.toolName}</span>: {WORDS[o.mode]}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted text-xs">No tool has its own setting.</p>
      )}
      {isAdmin && settings.toolNames.length ? (
        <form action={setToolAuditContentAction} className="flex flex-wrap items-end gap-2">
          <input type="hidden" name="orgSlug" value={ctx.orgSlug} />
          <input type="hidden" name="serverId" value={serverId} />
          <div className="text-xs">
            <label htmlFor="audit-content-tool" className="block">
              Tool
            </label>
            <select id="audit-content-tool" name="toolName" className="input mt-0.5">
              {settings.toolNames.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </div>
          <div className="text-xs">
            <label htmlFor="audit-content-mode" className="block">
              Stores
            </label>
            <select id="audit-content-mode" name="mode" className="input mt-0.5" defaultValue="full">
              <option value="full">Plain text</option>
              <option value="redacted">Redacted</option>
              <option value="inherit">As the server</option>
            </select>
          </div>
          <button type="submit" className="btn btn-sm">
            Set for this tool
          </button>
        </form>
      ) : null}
    </section>
  );
}
