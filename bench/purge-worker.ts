import { createDb } from '../models';
import { runPurge } from '../jobs/purge';
import { loadConfig } from '../server/config';
import { createLogger } from '../server/logger';

// Runs the purge job alone in this process so its peak RSS is the job's own, and times
// every transaction it opens (the longest one is how long the site would wait).
async function main() {
  const now = new Date(process.argv[2]);
  const config = loadConfig();
  const db = createDb(config);
  const durations: number[] = [];
  const sequelize = db.sequelize as unknown as { transaction: (...a: unknown[]) => Promise<unknown> };
  const original = sequelize.transaction.bind(sequelize);
  sequelize.transaction = async (...args: unknown[]) => {
    const started = process.hrtime.bigint();
    try {
      return await original(...args);
    } finally {
      durations.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  };
  const started = Date.now();
  const result = await runPurge({ now, db, logger: createLogger('warn'), config });
  const wallMs = Date.now() - started;
  await db.close();
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    JSON.stringify({
      deleted: result.deleted,
      outcome: result.outcome,
      wallMs,
      maxRssMb,
      transactions: durations.length,
      maxTransactionMs: Math.max(0, ...durations),
    }) + '\n',
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
