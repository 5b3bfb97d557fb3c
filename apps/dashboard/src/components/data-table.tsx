// The dashboard's lists: a card with a heading over a table, or a line saying the list is empty.
// One place for the markup (and its accessibility: labelled sections, column headers with scope,
// action columns named for screen readers) instead of a copy in every page.
import type { ReactNode } from 'react';

/** A column header; `{ label, hidden: true }` is read by screen readers but not shown (action columns). */
export type Column = string | { label: string; hidden: true };

/** The table, or `empty` (when given and not false) in its place. `caption` names the table for screen readers. */
export function DataTable({
  columns,
  empty,
  caption,
  children,
}: {
  columns: readonly Column[];
  empty?: ReactNode;
  caption?: string;
  children: ReactNode;
}) {
  if (empty !== undefined && empty !== null && empty !== false)
    return <p className="p-4 text-sm text-slate-500">{empty}</p>;
  return (
    <table className="table">
      {caption ? <caption className="sr-only">{caption}</caption> : null}
      <thead>
        <tr>
          {columns.map((column) =>
            typeof column === 'string' ? (
              <th key={column} scope="col">
                {column}
              </th>
            ) : (
              <th key={column.label} scope="col">
                <span className="sr-only">{column.label}</span>
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** A card whose heading labels it; `children` is usually a DataTable. */
export function ListSection({ id, title, children }: { id: string; title: ReactNode; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="card">
      <h2 id={id} className="h2 border-b border-slate-200 p-4">
        {title}
      </h2>
      {children}
    </section>
  );
}

export const ACTIONS_COLUMN: Column = { label: 'Actions', hidden: true };
