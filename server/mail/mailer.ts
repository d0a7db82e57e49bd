import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** Extra headers (List-Unsubscribe, say). */
  headers?: Record<string, string>;
  /** The sender's name in the recipient's language ("Asunnonvaihtopörssi"); the address stays MAIL_FROM's. */
  fromName?: string;
}

/** MAIL_FROM with its display name replaced by the mail's own, when it has one. */
export function senderOf(mailFrom: string, fromName: string | undefined): string | { name: string; address: string } {
  if (!fromName) return mailFrom;
  const address = /<([^>]+)>\s*$/.exec(mailFrom)?.[1] ?? mailFrom.trim();
  return { name: fromName, address };
}

/** A transport. Only the mail queue's worker (server/mail/queue.ts) calls it. */
export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  /** Closes pooled connections (shutdown). */
  close?(): void;
}

// With SMTP_URL the mail goes to that server, the only outbound traffic the board makes.
// Without it, each mail is written as an .eml file to the outbox folder so a
// developer (or a browser test) can open it, and nothing leaves the machine.
export function createMailer(cfg: Pick<Config, 'smtpUrl' | 'outboxDir' | 'mailFrom'>): Mailer {
  // A small pool of kept-open SMTP connections (the queue's worker sends several mails at
  // once), and timeouts well below the queue's own limit so a hanging server fails a
  // send instead of holding the worker.
  const transport: Transporter = cfg.smtpUrl
    ? nodemailer.createTransport({
        url: cfg.smtpUrl,
        pool: true,
        maxConnections: 4,
        maxMessages: 1000,
        connectionTimeout: 15_000,
        greetingTimeout: 15_000,
        socketTimeout: 30_000,
      })
    : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    close: () => transport.close(),
    async send(mail) {
      const info = await transport.sendMail({
        from: senderOf(cfg.mailFrom, mail.fromName),
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        headers: mail.headers,
      });
      if (!cfg.smtpUrl) {
        fs.mkdirSync(cfg.outboxDir, { recursive: true, mode: 0o700 });
        const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${crypto.randomBytes(4).toString('hex')}.eml`;
        fs.writeFileSync(path.join(cfg.outboxDir, name), (info as unknown as { message: Buffer }).message, { mode: 0o600 });
      }
    },
  };
}

/** Keeps mail in memory; tests read what the board would have sent. */
export class MemoryMailer implements Mailer {
  readonly sent: OutgoingMail[] = [];
  async send(mail: OutgoingMail): Promise<void> {
    this.sent.push(mail);
  }
  to(address: string): OutgoingMail[] {
    return this.sent.filter((m) => m.to === address);
  }
  last(address?: string): OutgoingMail | undefined {
    const list = address ? this.to(address) : this.sent;
    return list[list.length - 1];
  }
  clear(): void {
    this.sent.length = 0;
  }
}
