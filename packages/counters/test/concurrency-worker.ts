// Child process for the cross-process test: waits for a shared start time, then fires
// `consumers` reserves at once against one counter and prints how many were allowed.

import { openStore, type StoreTarget } from './test-stores.ts';

interface WorkerInput extends StoreTarget {
  key: string;
  max: number;
  windowMs: number;
  consumers: number;
  startAt: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as WorkerInput;
const store = openStore(input);
// Warm the connection(s) before the start line so the burst is truly concurrent.
await store.reserve([{ key: `${input.key}:warmup`, windowMs: 1000, max: 1_000_000 }]);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, input.startAt - Date.now())));
const results = await Promise.all(
  Array.from({ length: input.consumers }, () =>
    store.reserve([{ key: input.key, windowMs: input.windowMs, max: input.max }]),
  ),
);
await store.close();
process.stdout.write(
  JSON.stringify({
    allowed: results.filter((r) => r.ok).length,
    denied: results.filter((r) => !r.ok).length,
  }) + '\n',
);
