// The destructive row button: the record's ids as hidden fields, the row named for screen readers.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { RowAction } from '../src/components/row-action.tsx';

describe('RowAction', () => {
  it('posts the given fields and labels the button for the row', () => {
    const html = renderToStaticMarkup(
      createElement(RowAction, {
        action: async () => undefined,
        fields: { orgSlug: 'acme', grantId: 'g1' },
        label: 'Revoke',
        ariaLabel: 'Revoke ci-bot',
      }),
    );
    expect(html).toContain('<input type="hidden" name="orgSlug" value="acme"/>');
    expect(html).toContain('<input type="hidden" name="grantId" value="g1"/>');
    expect(html).toMatch(
      /<button type="submit" class="btn btn-sm btn-danger" aria-label="Revoke ci-bot">Revoke<\/button>/,
    );
  });
});
