// The catalog list's filter keys, shared by the page (which writes them into review forms) and the
// review action (which sends a reviewer back to the same filtered list).
export const CATALOG_FILTER_KEYS = ['q', 'category', 'severity', 'pin', 'effect'] as const;

/** The given filter as a query string, keeping only the catalog's own keys (values cut to 200 chars). */
export function catalogFilterQuery(
  filter: URLSearchParams | Partial<Record<string, string | undefined>>,
): string {
  const get = (key: string) => (filter instanceof URLSearchParams ? filter.get(key) : filter[key]);
  const params = new URLSearchParams();
  for (const key of CATALOG_FILTER_KEYS) {
    const value = get(key);
    if (value) params.set(key, value.slice(0, 200));
  }
  return params.toString();
}
