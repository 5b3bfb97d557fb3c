// Starts the audit export worker in this dashboard process, once (every replica may run one: claims
// in the database keep two from sending the same export's batch).
import { parseEncryptionKey } from '@portcullis/crypto/secret-box';
import { env } from '../../env';
import { db } from '../../server/db';
import { startAuditExportWorker } from './export-worker';

const holder = globalThis as typeof globalThis & { __portcullisAuditExport?: { stop(): Promise<void> } };

export function startAuditExport(): void {
  if (holder.__portcullisAuditExport) return;
  const e = env();
  holder.__portcullisAuditExport = startAuditExportWorker(db(), {
    privateOrigins: e.webhookPrivateOrigins,
    encryptionKey: parseEncryptionKey(e.PORTCULLIS_ENCRYPTION_KEY),
  });
  console.info('[audit-export] audit export worker started');
}
