// The dashboard's one way out by e-mail: SMTP_URL through nodemailer, or, when SMTP is not configured,
// the dashboard's log, so an operator running `npm start` locally can open the link from there.
import nodemailer, { type Transporter } from 'nodemailer';
import { env } from '../../env';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

let transport: Transporter | undefined;
const transports = new Map<string, Transporter>();

/**
 * Sends through `smtpUrl` (default SMTP_URL) and throws when that fails, for callers that retry
 * (approval notifications). Connecting, greeting and each socket wait are bounded to 10 s.
 */
export async function deliverMail(mail: Mail, smtpUrl = env().SMTP_URL): Promise<void> {
  if (!smtpUrl) throw new Error('E-mail is not configured (SMTP_URL is not set)');
  let t = transports.get(smtpUrl);
  if (!t) {
    t = nodemailer.createTransport({
      url: smtpUrl,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 10_000,
    });
    transports.set(smtpUrl, t);
  }
  await t.sendMail({ from: env().SMTP_FROM, to: mail.to, subject: mail.subject, text: mail.text });
}

/** Never throws: a mail that could not be sent is logged, and callers answer the same either way. */
export async function sendMail(mail: Mail): Promise<void> {
  const { SMTP_URL, SMTP_FROM } = env();
  if (!SMTP_URL) {
    console.info(
      `[mail] SMTP_URL is not set, so this was not sent. To: ${mail.to} | Subject: ${mail.subject}\n${mail.text}\n[mail] end`,
    );
    return;
  }
  try {
    transport ??= nodemailer.createTransport(SMTP_URL);
    await transport.sendMail({ from: SMTP_FROM, to: mail.to, subject: mail.subject, text: mail.text });
  } catch (error) {
    console.error(
      `[mail] could not send "${mail.subject}" to ${mail.to}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
