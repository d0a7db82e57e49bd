import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createDb } from '../models';
import { migrate } from '../models/migrate';
import { User } from '../models/user';
import { loadConfig } from '../server/config';
import { createLogger } from '../server/logger';
import { createMailer } from '../server/mail/mailer';
import { deliverDue, enqueueMail } from '../server/mail/queue';

// npm run bench -- mail: queues N mails (10,000 by default) in a fresh SQLite database and
// lets the queue's worker pass (deliverDue, the same function the server loops) deliver
// them over SMTP to a local sink on 127.0.0.1 — a minimal SMTP server written here, that
// accepts every mail and counts it. Target: 10,000 mails in under 60 s.

export interface MailBenchOptions {
  mails: number;
  databaseUrl?: string;
  out?: (line: string) => void;
}

export interface MailBenchResult {
  mails: number;
  received: number;
  left: number;
  enqueueMs: number;
  deliverMs: number;
  perSecond: number;
  pass: boolean;
}

/** A local SMTP sink: speaks just enough SMTP for nodemailer and counts the messages. */
export function startSmtpSink(): Promise<{ port: number; received: () => number; close: () => Promise<void> }> {
  let received = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    // Replies go out at once (Nagle's algorithm would hold each small reply back for the
    // client's delayed ACK, ~40 ms, as no real mail server does).
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    let inData = false;
    socket.write('220 sink ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          buffer = buffer.slice(end + 5);
          inData = false;
          received += 1;
          socket.write('250 OK queued\r\n');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n');
        else if (verb === 'HELO') socket.write('250 sink\r\n');
        else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'QUIT') {
          socket.end('221 bye\r\n');
          return;
        } else socket.write('250 OK\r\n');
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        received: () => received,
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

export async function runMailBench(opts: MailBenchOptions): Promise<MailBenchResult> {
  const out = opts.out ?? ((l: string) => console.log(l));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-mailbench-'));
  const sink = await startSmtpSink();
  const config = loadConfig({
    NODE_ENV: 'production',
    DATA_DIR: tmp,
    SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-1234',
    DATABASE_URL: opts.databaseUrl ?? `sqlite:${path.join(tmp, 'mail.sqlite')}`,
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
  });
  const logger = createLogger('warn');
  const db = createDb(config);
  try {
    if (db.dialect === 'postgres') await db.sequelize.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
    await migrate(db);
    const now = new Date();
    const user = await User.create({
      username: 'bench_mail',
      usernameLower: 'bench_mail',
      email: 'bench@demo.invalid',
      phone: null,
      passwordHash: 'x',
      role: 'tenant',
      locale: 'sv',
      emailVerifiedAt: now,
      pendingEmail: null,
      suspendedAt: null,
      suspendedReason: null,
      totpSecret: null,
      totpLastStep: null,
      lastLoginAt: now,
      purgeWarningFor: null,
    });
    out(`Queueing ${opts.mails} mails…`);
    const t0 = Date.now();
    for (let i = 0; i < opts.mails; i += 500) {
      await db.sequelize.transaction(async (transaction) => {
        for (let j = i; j < Math.min(i + 500, opts.mails); j += 1) {
          await enqueueMail(
            {
              to: `tenant${j}@demo.invalid`,
              subject: 'Du har ett nytt meddelande',
              text: `Hej!\n\nLänk: http://localhost:3000/messages/${j}\n`,
            },
            { userId: user.id, purpose: 'bench', now, transaction },
          );
        }
      });
    }
    const enqueueMs = Date.now() - t0;
    out(`Delivering to the SMTP sink on 127.0.0.1:${sink.port}…`);
    const mailer = createMailer(config);
    const t1 = Date.now();
    for (;;) {
      const r = await deliverDue({ now: new Date(), mailer, logger, limit: 200, concurrency: 8 });
      if (r.claimed === 0) break;
    }
    const deliverMs = Date.now() - t1;
    mailer.close?.();
    const [{ n }] = (await db.sequelize.query('SELECT COUNT(*) AS n FROM mail_queue', { type: 'SELECT' })) as {
      n: number | string;
    }[];
    const received = sink.received();
    const perSecond = Math.round(received / (deliverMs / 1000));
    return {
      mails: opts.mails,
      received,
      left: Number(n),
      enqueueMs,
      deliverMs,
      perSecond,
      pass: received === opts.mails && Number(n) === 0 && deliverMs < 60_000 * (opts.mails / 10_000),
    };
  } finally {
    await db.close();
    await sink.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export function formatMailTable(r: MailBenchResult): string {
  return [
    '| measure | value | target | result |',
    '|---|---:|---|---|',
    `| mails queued | ${r.mails} | | |`,
    `| queueing (500 per transaction) | ${(r.enqueueMs / 1000).toFixed(1)} s | | |`,
    `| delivered to the SMTP sink | ${r.received} | all | ${r.received === r.mails ? 'pass' : 'FAIL'} |`,
    `| rows left in mail_queue | ${r.left} | 0 | ${r.left === 0 ? 'pass' : 'FAIL'} |`,
    `| delivery wall time | ${(r.deliverMs / 1000).toFixed(1)} s | < 60 s per 10,000 | ${r.pass ? 'pass' : 'FAIL'} |`,
    `| mails/s | ${r.perSecond} | | |`,
  ].join('\n');
}
