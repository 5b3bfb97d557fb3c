// Without SMTP_URL the dashboard writes each e-mail to its log; the stack's output is kept in
// E2E_STACK_LOG (global-setup), where a local operator would find the link too.
import { readFileSync } from 'node:fs';

function mailsTo(email: string): string[] {
  const log = readFileSync(process.env.E2E_STACK_LOG!, 'utf8');
  const mails: string[] = [];
  const marker = `[mail] SMTP_URL is not set, so this was not sent. To: ${email} |`;
  for (let at = log.indexOf(marker); at >= 0; at = log.indexOf(marker, at + 1)) {
    const end = log.indexOf('[mail] end', at);
    mails.push(log.slice(at, end < 0 ? undefined : end));
  }
  return mails;
}

/** Waits for a mail to `email` whose text matches `pattern`; returns that mail's text. */
export async function waitForMail(email: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = mailsTo(email)
      .filter((m) => pattern.test(m))
      .at(-1);
    if (found) return found;
    if (Date.now() > deadline)
      throw new Error(`no mail to ${email} matching ${pattern} in the dashboard log`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The path of the newest verification link mailed to `email`. */
export async function verificationPath(email: string): Promise<string> {
  const mail = await waitForMail(email, /\/verify-email\/pcv_/);
  return mail.match(/\/verify-email\/pcv_[A-Za-z0-9_-]+/)![0];
}
