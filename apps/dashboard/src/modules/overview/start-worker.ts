// Starts the overview's rollup job in this dashboard process, once (every replica may run it: an
// advisory lock lets one at a time roll an hour).
import { env } from '../../env';
import { db } from '../../server/db';
import { startRollupWorker } from './rollup';

const holder = globalThis as typeof globalThis & { __portcullisRollups?: { stop(): void } };

export function startRollups(): void {
  if (holder.__portcullisRollups) return;
  holder.__portcullisRollups = startRollupWorker(db(), { operatorDays: env().AUDIT_RETENTION_DAYS });
}
