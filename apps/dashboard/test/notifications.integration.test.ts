// Approval notifications: channels managed by admins, a queue worked by the dashboard's worker,
// signed webhooks through the private-address guard, Slack format, e-mail over SMTP, retries with
// per-channel backoff, and a delivery log.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMember, db, newOwner, resetDatabase, seedServer } from './helpers.ts';

// E-mail channels exist only when the operator configured SMTP; the worker is handed the sink's URL.
process.env.SMTP_URL ??= 'smtp://127.0.0.1:2525';

const { createChannel, deleteChannel, listDeliveries, updateChannel } =
  await import('../src/modules/notifications/channels.ts');
const { queueNewApprovals, startDueDeliveries } =
  await import('../src/modules/notifications/delivery-worker.ts');
const { verifyWebhook } = await import('../src/modules/notifications/webhook-signature.ts');
const { deliverMail } = await import('../src/modules/mail/send-mail.ts');

const encryptionKey = Buffer.from(process.env.PORTCULLIS_ENCRYPTION_KEY!, 'base64');
const ARGS = { tweet_id: '1850000000000001', reason: 'the launch code is 0000' };

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

const closers: Array<() => Promise<void>> = [];
beforeEach(resetDatabase);
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A webhook receiver on loopback answering `status` (or never answering when `hang`). */
async function receiver(status = 200, hang = false) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      if (!hang) res.writeHead(status).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closers.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { received, url: `${origin}/hook`, origin };
}

async function seedApproval(organizationId: string) {
  const server = await seedServer(organizationId);
  const grant = await db.grant.create({
    data: {
      organizationId,
      serverId: server.id,
      name: 'agent',
      tokenHash: randomBytes(8).toString('hex'),
      tokenPrefix: 'pcg_x',
    },
  });
  return db.approval.create({
    data: {
      organizationId,
      grantId: grant.id,
      serverId: server.id,
      toolName: 'delete_tweet',
      argumentsHash: randomBytes(8).toString('hex'),
      arguments: ARGS,
      ruleId: 'destructive',
      expiresAt: new Date(Date.now() + 600_000),
    },
  });
}

const options = (privateOrigins: string[], extra = {}) => ({
  baseUrl: 'http://dashboard.test',
  privateOrigins,
  encryptionKey,
  timeoutMs: 2_000,
  backoffMs: () => 50,
  ...extra,
});

/** Runs the worker's two steps until nothing is due or in flight (or `rounds` run out). */
async function work(opts: ReturnType<typeof options>, rounds = 1) {
  const inFlight = new Set<string>();
  for (let i = 0; i < rounds; i += 1) {
    await queueNewApprovals(db, opts);
    await Promise.all(await startDueDeliveries(db, opts, inFlight));
    if (i < rounds - 1) await new Promise((r) => setTimeout(r, 60));
  }
}

describe('approval notifications', () => {
  it('a webhook gets a signed, verifiable JSON message linking the approval, with argument values only when trusted', async () => {
    const { ctx, orgSlug } = await newOwner();
    const trustedHook = await receiver();
    const plainHook = await receiver();
    const trusted = await createChannel(db, ctx, {
      name: 'trusted',
      kind: 'webhook',
      target: trustedHook.url,
      trusted: true,
    });
    const plain = await createChannel(db, ctx, { name: 'plain', kind: 'webhook', target: plainHook.url });
    expect(trusted.secret).toMatch(/^whsec_/);
    const approval = await seedApproval(ctx.organizationId);
    await work(options([trustedHook.origin, plainHook.origin]));

    expect(trustedHook.received).toHaveLength(1);
    const got = trustedHook.received[0]!;
    const headers = {
      signature: String(got.headers['x-portcullis-signature']),
      timestamp: String(got.headers['x-portcullis-timestamp']),
    };
    expect(verifyWebhook(trusted.secret!, headers, got.body)).toBe(true);
    // A changed body, another channel's secret or an old timestamp do not verify.
    expect(verifyWebhook(trusted.secret!, headers, got.body.replace('delete_tweet', 'get_tweet'))).toBe(
      false,
    );
    expect(verifyWebhook(plain.secret!, headers, got.body)).toBe(false);
    expect(verifyWebhook(trusted.secret!, headers, got.body, Date.now() + 3_600_000)).toBe(false);
    const body = JSON.parse(got.body);
    expect(body.type).toBe('approval.requested');
    expect(body.approval.url).toBe(`http://dashboard.test/o/${orgSlug}/approvals#approval-${approval.id}`);
    expect(body.approval.arguments).toEqual(ARGS);

    expect(plainHook.received).toHaveLength(1);
    const plainBody = JSON.parse(plainHook.received[0]!.body);
    expect(plainBody.approval.argumentNames.sort()).toEqual(['reason', 'tweet_id']);
    expect(plainHook.received[0]!.body).not.toContain('launch code');
    expect(plainHook.received[0]!.body).not.toContain('1850000000000001');

    // Each approval is announced once.
    await work(options([trustedHook.origin, plainHook.origin]));
    expect(trustedHook.received).toHaveLength(1);
    const log = await listDeliveries(db, ctx);
    expect(log.map((d) => d.status)).toEqual(['delivered', 'delivered']);
  });

  it('refuses private addresses unless the operator allowed the exact origin', async () => {
    const { ctx } = await newOwner();
    const hook = await receiver();
    await createChannel(db, ctx, { name: 'internal', kind: 'webhook', target: hook.url });
    await seedApproval(ctx.organizationId);
    // Another port on the same host is not the allowed origin.
    await work(options([`http://127.0.0.1:1`], { maxAttempts: 1 }));
    expect(hook.received).toHaveLength(0);
    const [delivery] = await listDeliveries(db, ctx);
    expect(delivery?.status).toBe('failed');
    expect(delivery?.lastError).toMatch(/private, loopback or link-local/);
  });

  it('a receiver that is down is retried with backoff and logged, and holds up neither other channels nor the approval', async () => {
    const { ctx } = await newOwner();
    const down = await receiver(503);
    const hanging = await receiver(200, true);
    const healthy = await receiver();
    await createChannel(db, ctx, { name: 'down', kind: 'webhook', target: down.url });
    await createChannel(db, ctx, { name: 'hanging', kind: 'webhook', target: hanging.url });
    await createChannel(db, ctx, { name: 'healthy', kind: 'slack', target: healthy.url });
    const approval = await seedApproval(ctx.organizationId);
    const opts = options([down.origin, hanging.origin, healthy.origin], { maxAttempts: 3, timeoutMs: 1_500 });
    const inFlight = new Set<string>();
    await queueNewApprovals(db, opts);
    const started = Date.now();
    const sends = await startDueDeliveries(db, opts, inFlight);
    // The healthy channel is answered while the hanging one is still waiting.
    await expect.poll(() => healthy.received.length, { timeout: 1_000 }).toBe(1);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(JSON.parse(healthy.received[0]!.body).text).toContain(`#approval-${approval.id}`);
    await Promise.all(sends);
    // The hanging receiver was cut off at the time bound.
    expect(Date.now() - started).toBeLessThan(4_000);
    for (let i = 0; i < 4; i += 1) {
      await new Promise((r) => setTimeout(r, 80));
      await Promise.all(await startDueDeliveries(db, opts, inFlight));
    }
    expect(down.received.length).toBe(3);
    const log = await listDeliveries(db, ctx);
    const byChannel = Object.fromEntries(log.map((d) => [d.channel.name, d]));
    expect(byChannel.down).toMatchObject({ status: 'failed', attempts: 3, lastStatusCode: 503 });
    expect(byChannel.down!.attemptLog.map((a) => a.ok)).toEqual([false, false, false]);
    expect(byChannel.hanging!.lastError).toBe('No answer in time');
    expect(byChannel.healthy).toMatchObject({ status: 'delivered', attempts: 1 });
    // The approval itself is untouched by any of it.
    expect((await db.approval.findUniqueOrThrow({ where: { id: approval.id } })).status).toBe('pending');
  });

  it('sends e-mail over SMTP with the link and only argument names', async () => {
    const mails: string[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, callback) {
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString()));
        stream.on('end', () => {
          // Quoted-printable soft line breaks joined again.
          mails.push(data.replace(/=\r?\n/g, ''));
          callback();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => smtp.close(() => r())));
    const smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
    const { ctx, orgSlug } = await newOwner();
    await createChannel(db, ctx, { name: 'on-call', kind: 'email', target: 'oncall@example.test' });
    const approval = await seedApproval(ctx.organizationId);
    await work(
      options([], {
        sendMail: (mail: { to: string; subject: string; text: string }) => deliverMail(mail, smtpUrl),
      }),
    );
    expect(mails).toHaveLength(1);
    expect(mails[0]).toContain('Subject: Approval needed: delete_tweet on Twikit');
    expect(mails[0]).toContain(`/o/${orgSlug}/approvals#approval-${approval.id}`);
    expect(mails[0]).toMatch(/Argument names: (reason, tweet_id|tweet_id, reason)/);
    expect(mails[0]).not.toContain('launch code');
  });

  it('only admins manage channels, every change is in the admin trail, and bad targets are refused with a sentence', async () => {
    const { ctx, orgSlug } = await newOwner();
    const editor = await addMember(ctx.organizationId, orgSlug, 'editor');
    await expect(
      createChannel(db, editor.ctx, { name: 'x', kind: 'webhook', target: 'https://example.test/h' }),
    ).rejects.toThrow();
    await expect(
      createChannel(db, ctx, { name: 'x', kind: 'webhook', target: 'file:///etc/passwd' }),
    ).rejects.toThrow(/http\(s\) URL/);
    await expect(
      createChannel(db, ctx, { name: 'x', kind: 'email', target: 'not-an-address' }),
    ).rejects.toThrow(/not an e-mail address/);
    const channel = await createChannel(db, ctx, {
      name: 'x',
      kind: 'webhook',
      target: 'https://example.test/h',
    });
    await updateChannel(db, ctx, channel.id, { trusted: true });
    await deleteChannel(db, ctx, channel.id);
    const trail = await db.adminEvent.findMany({
      where: { organizationId: ctx.organizationId, targetType: 'notification_channel' },
      orderBy: { createdAt: 'asc' },
    });
    expect(trail.map((e) => e.action)).toEqual([
      'notification_channel.create',
      'notification_channel.update',
      'notification_channel.delete',
    ]);
    // The secret never reaches the trail or the row in clear.
    expect(JSON.stringify(trail)).not.toContain(channel.secret!);
  });
});
