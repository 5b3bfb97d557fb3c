// The admin trail in words: what was changed, by name, and its details as labelled values.
// `names` maps ids (of servers, grants, tools, users, keys…) to what people call them.

const TARGET_LABEL: Record<string, string> = {
  server: 'Server',
  toolset: 'Toolset',
  grant: 'Grant',
  tool: 'Tool',
  policy: 'Policy',
  membership: 'Member',
  invitation: 'Invitation',
  api_key: 'API key',
  approval: 'Approval',
  organization: 'Organization',
  notification_channel: 'Notification channel',
};

const ID = /^c[a-z0-9]{20,}$/;
const HASH = /^[0-9a-f]{40,}$/;

export function describeTarget(
  event: { targetType: string; targetId: string | null },
  names: ReadonlyMap<string, string>,
): string {
  const kind = TARGET_LABEL[event.targetType] ?? event.targetType.replace(/_/g, ' ');
  if (!event.targetId) return kind;
  const name = names.get(event.targetId);
  return name ? `${kind} ${name}` : `${kind} (no longer exists)`;
}

function label(key: string): string {
  const words = key
    .replace(/Id$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function text(value: unknown, names: ReadonlyMap<string, string>): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    if (ID.test(value)) return names.get(value) ?? '(no longer exists)';
    if (HASH.test(value)) return `${value.slice(0, 12)}…`;
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const items = value.map((v) => text(v, names)).filter((v): v is string => v !== null);
    return items.length ? items.join(', ') : null;
  }
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => {
        const t = text(v, names);
        return t === null ? null : `${label(k).toLowerCase()} ${t}`;
      })
      .filter((v): v is string => v !== null);
    return parts.length ? parts.join(', ') : null;
  }
  return null;
}

/** Labelled values; empty values are left out, `null` for a whole object reads "none". */
export function describeDetails(
  details: unknown,
  names: ReadonlyMap<string, string>,
): Array<{ label: string; value: string }> {
  if (!details || typeof details !== 'object' || Array.isArray(details)) return [];
  const rows: Array<{ label: string; value: string }> = [];
  for (const [key, value] of Object.entries(details as Record<string, unknown>)) {
    // An explicit null for a structured field (an override cleared) is worth saying; an empty note is not.
    if (value === null && ['override', 'previous'].includes(key)) {
      rows.push({ label: label(key), value: 'none' });
      continue;
    }
    const t = text(value, names);
    if (t !== null) rows.push({ label: label(key), value: t });
  }
  return rows;
}

/** Every id an event mentions (its target, and string values under keys ending in Id), for one lookup per kind. */
export function mentionedIds(events: ReadonlyArray<{ targetId: string | null; details: unknown }>): string[] {
  const ids = new Set<string>();
  const visit = (value: unknown) => {
    if (typeof value === 'string' && ID.test(value)) ids.add(value);
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  for (const e of events) {
    if (e.targetId) ids.add(e.targetId);
    visit(e.details);
  }
  return [...ids];
}
