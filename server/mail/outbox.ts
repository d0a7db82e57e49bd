import fs from 'node:fs';
import path from 'node:path';

// The .eml outbox (no SMTP_URL) is a development transport: a developer or a browser
// test opens the files. It holds personal data all the same (addresses, names, links),
// so it is pruned on a schedule and a tenant's mails go with their account.

/** How long an .eml file is kept. */
export const OUTBOX_RETENTION_MS = 7 * 24 * 3600 * 1000;

function emlFiles(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((name) => name.endsWith('.eml'))
      .map((name) => path.join(dir, name));
  } catch {
    return []; // no outbox yet
  }
}

/** Deletes .eml files older than `maxAgeMs` at `now`; returns how many. */
export function pruneOutbox(dir: string, now: Date, maxAgeMs = OUTBOX_RETENTION_MS): number {
  let removed = 0;
  for (const file of emlFiles(dir)) {
    try {
      if (now.getTime() - fs.statSync(file).mtimeMs > maxAgeMs) {
        fs.rmSync(file, { force: true });
        removed += 1;
      }
    } catch {
      // gone meanwhile
    }
  }
  return removed;
}

/** Deletes every .eml file addressed to one of `addresses` (an erased account's); returns how many. */
export function deleteOutboxMailsTo(dir: string, addresses: readonly string[]): number {
  const wanted = new Set(addresses.map((a) => a.trim().toLowerCase()));
  if (wanted.size === 0) return 0;
  let removed = 0;
  for (const file of emlFiles(dir)) {
    try {
      const head = fs.readFileSync(file, 'utf8').split(/\r?\n\r?\n/, 1)[0];
      const to = /^To:\s*(.+(?:\r?\n[ \t].+)*)$/im.exec(head)?.[1] ?? '';
      const recipients = to.match(/[^\s<>,"]+@[^\s<>,"]+/g) ?? [];
      if (recipients.some((r) => wanted.has(r.toLowerCase()))) {
        fs.rmSync(file, { force: true });
        removed += 1;
      }
    } catch {
      // gone meanwhile
    }
  }
  return removed;
}
