// After a refused review the editor is sent back to the list they were looking at: the filter
// survives, and nothing but the catalog's own filter keys can ride along in the redirect.
import { describe, expect, it } from 'vitest';
import { catalogFilterQuery } from '../src/modules/catalog/catalog-filter.ts';

describe('catalogFilterQuery', () => {
  it('keeps the catalog filter from the page and from a submitted form alike', () => {
    expect(catalogFilterQuery({ q: 'tweet', category: 'write', severity: undefined, pin: 'pending' })).toBe(
      'q=tweet&category=write&pin=pending',
    );
    expect(catalogFilterQuery(new URLSearchParams('pin=changed&q=a%20b'))).toBe('q=a+b&pin=changed');
  });

  it('drops keys that are not catalog filters and cuts long values', () => {
    const query = new URLSearchParams(
      catalogFilterQuery(new URLSearchParams(`review=ok&next=https://evil.test&q=${'x'.repeat(500)}`)),
    );
    expect([...query.keys()]).toEqual(['q']);
    expect(query.get('q')).toHaveLength(200);
    expect(catalogFilterQuery({})).toBe('');
  });
});
