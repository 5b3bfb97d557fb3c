// Module hooks for `npm run bench -- tracing`, registered in each gateway it starts (after tsx's).
// In the "bypassed" arm (data.bypass) every import of src/ops/tracing.ts resolves to
// bench/tracing-bypassed.ts instead, except that module's own import of the real one; in the
// "shipped" arm they change nothing (registered there too, so both gateways load alike).
const BYPASSED = new URL('./tracing-bypassed.ts', import.meta.url).href;
const TRACING = new URL('../src/ops/tracing.ts', import.meta.url).pathname;
let bypass = false;

export function initialize(data) {
  bypass = Boolean(data?.bypass);
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (!bypass || context.parentURL?.split('?')[0] === BYPASSED) return resolved;
  if (resolved.url.startsWith('file:') && new URL(resolved.url).pathname === TRACING)
    return { ...resolved, url: BYPASSED, shortCircuit: true };
  return resolved;
}
