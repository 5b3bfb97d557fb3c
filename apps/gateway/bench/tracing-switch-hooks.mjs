// Module hooks for `npm run bench -- tracing`, registered in each gateway it starts (after tsx's):
// every import of src/ops/tracing.ts resolves to bench/tracing-switch.ts instead, except that
// module's own import of the real one.
const SWITCH = new URL('./tracing-switch.ts', import.meta.url).href;
const TRACING = new URL('../src/ops/tracing.ts', import.meta.url).pathname;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (context.parentURL?.split('?')[0] === SWITCH) return resolved;
  if (resolved.url.startsWith('file:') && new URL(resolved.url).pathname === TRACING)
    return { ...resolved, url: SWITCH, shortCircuit: true };
  return resolved;
}
