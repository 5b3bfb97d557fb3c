// Starts the notification worker in this dashboard process, once (every replica may run one: claims
// in the database keep them from sending a delivery twice).
import { parseEncryptionKey } from '@portcullis/crypto/secret-box';
import { env } from '../../env';
import { db } from '../../server/db';
import { deliverMail } from '../mail/send-mail';
import { startNotificationWorker } from './delivery-worker';

const holder = globalThis as typeof globalThis & { __portcullisNotifications?: { stop(): Promise<void> } };

export function startNotifications(): void {
  if (holder.__portcullisNotifications) return;
  const e = env();
  holder.__portcullisNotifications = startNotificationWorker(db(), {
    baseUrl: e.AUTH_URL ?? 'http://localhost:3000',
    privateOrigins: e.webhookPrivateOrigins,
    sendMail: e.SMTP_URL ? (mail) => deliverMail(mail) : undefined,
    encryptionKey: parseEncryptionKey(e.PORTCULLIS_ENCRYPTION_KEY),
  });
  console.info('[notify] approval notification worker started');
}
