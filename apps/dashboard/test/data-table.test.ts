// The shared list markup every dashboard page uses: a table with scoped column headers (action
// columns named for screen readers only), or the empty-state line in its place.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ACTIONS_COLUMN, DataTable, ListSection } from '../src/components/data-table.tsx';

const row = createElement('tr', null, createElement('td', null, 'alpha'));

describe('DataTable', () => {
  it('renders scoped headers, a hidden actions header, a caption and the rows', () => {
    const html = renderToStaticMarkup(
      createElement(DataTable, { columns: ['Name', ACTIONS_COLUMN], caption: 'Tools of x', children: row }),
    );
    expect(html).toBe(
      '<table class="table"><caption class="sr-only">Tools of x</caption><thead><tr><th scope="col">Name</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead><tbody><tr><td>alpha</td></tr></tbody></table>',
    );
  });

  it('shows the empty line instead of the table when there is nothing to list, and the table when empty is false', () => {
    expect(
      renderToStaticMarkup(
        createElement(DataTable, { columns: ['Name'], empty: 'No grants yet.', children: null }),
      ),
    ).toBe('<p class="p-4 text-sm text-slate-500">No grants yet.</p>');
    expect(
      renderToStaticMarkup(createElement(DataTable, { columns: ['Name'], empty: false, children: row })),
    ).toContain('<td>alpha</td>');
  });

  it('labels its section with its heading', () => {
    const html = renderToStaticMarkup(
      createElement(ListSection, { id: 'keys-heading', title: 'Keys', children: 'x' }),
    );
    expect(html).toBe(
      '<section aria-labelledby="keys-heading" class="card"><h2 id="keys-heading" class="h2 border-b border-slate-200 p-4">Keys</h2>x</section>',
    );
  });
});
