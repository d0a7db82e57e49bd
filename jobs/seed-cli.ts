import { parseArgs } from 'node:util';
import { createDb } from '../models';
import { migrate } from '../models/migrate';
import { loadConfig } from '../server/config';
import { DEMO_PASSWORD, runSeed, SeedRefused } from './seed';

// npm run seed -- --tenants N [--listings M] [--messages K] [--seed S] [--force]
export async function seedCli(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        tenants: { type: 'string' },
        listings: { type: 'string' },
        messages: { type: 'string' },
        seed: { type: 'string' },
        'bench-conversations': { type: 'string' },
        force: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    out(`seed: ${(err as Error).message}`);
    return 2;
  }
  const num = (v: string | undefined, name: string, fallback?: number): number => {
    if (v === undefined && fallback !== undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new SeedRefused(`--${name} needs a whole number`);
    return n;
  };
  const config = loadConfig();
  const db = createDb(config);
  try {
    await migrate(db);
    const tenants = num(values.tenants, 'tenants');
    const result = await runSeed(
      {
        tenants,
        listings: values.listings === undefined ? undefined : num(values.listings, 'listings'),
        messages: values.messages === undefined ? undefined : num(values.messages, 'messages'),
        seed: num(values.seed, 'seed', 1),
        benchConversations: num(values['bench-conversations'], 'bench-conversations', 200),
        force: values.force,
      },
      { db, config, log: (line) => out(`  ${line}`) },
    );
    out(
      `Demo tenants sign in with the password "${DEMO_PASSWORD}" (demo_bench has ${Math.min(200, result.listings - 1)} conversations).`,
    );
    out(`Demo moderator: ${result.moderator}, its own random password (shown only now): ${result.moderatorPassword}`);
    out('Its TOTP secret, for an authenticator app:');
    out(result.moderatorTotpUri);
    out(
      `Seeded ${result.tenants} tenants (${result.passive} passive), ${result.listings} listings, ${result.conversations} conversations and ${result.messages} messages in ${(result.ms / 1000).toFixed(1)} s.`,
    );
    return 0;
  } catch (err) {
    out(`seed: ${err instanceof SeedRefused ? err.message : ((err as Error).stack ?? String(err))}`);
    return 1;
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  seedCli(process.argv.slice(2))
    .then((code) => process.exit(code))
    .catch((err: unknown) => {
      // The CLI reports its own failures; this is for the unexpected ones.
      console.error(err);
      process.exit(1);
    });
}
