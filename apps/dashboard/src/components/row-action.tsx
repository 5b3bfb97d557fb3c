// A one-button form for a destructive action on a list row (revoke, remove, leave): the record's ids
// travel as hidden fields to the server action, which checks the caller's role again.
export function RowAction({
  action,
  fields,
  label,
  ariaLabel,
}: {
  action: (form: FormData) => Promise<void>;
  fields: Record<string, string>;
  label: string;
  /** Names the row for screen readers when the label alone ("Revoke") would be ambiguous. */
  ariaLabel?: string;
}) {
  return (
    <form action={action}>
      {Object.entries(fields).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <button type="submit" className="btn btn-sm btn-danger" aria-label={ariaLabel}>
        {label}
      </button>
    </form>
  );
}
