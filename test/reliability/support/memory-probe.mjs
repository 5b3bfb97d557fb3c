// Preloaded into gateway processes the suite measures: on SIGUSR2, collect garbage and write
// process.memoryUsage() to MEMORY_PROBE_FILE, so "memory flat" compares live memory, not whatever
// the collector had not got round to yet. Test-only; the product never loads it.
import { writeFileSync } from 'node:fs';

process.on('SIGUSR2', () => {
  globalThis.gc?.();
  if (process.env.MEMORY_PROBE_FILE)
    writeFileSync(process.env.MEMORY_PROBE_FILE, JSON.stringify(process.memoryUsage()));
});
