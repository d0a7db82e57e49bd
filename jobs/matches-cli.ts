import { parseArgs } from 'node:util';
import { createDb, type Db } from '../models';
import { migrate } from '../models/migrate';
import { loadConfig } from '../server/config';
import { rebuildMatchGraph } from '../server/services/match-graph';
import { rebuildRings } from '../server/services/rings';

// npm run matches -- --rebuild
// Recomputes the whole match graph (edges, then three-way swaps) from the listings. The board keeps the graph up to
// date by itself; this is for after a restore, a change of the matching rules, or data
// loaded into the tables by hand. It holds the database's write lock while it runs (on
// SQLite about 20 s per 10 million edges on a 2-core machine); readers keep seeing the
// old graph until it commits. Exits 0 when done, 1 on failure, 2 on bad arguments.
export async function matchesCli(
  argv: string[],
  out: (line: string) => void = console.log,
  deps: { db?: Db } = {},
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { rebuild: { type: 'boolean', default: false } } }));
  } catch (err) {
    out(`matches: ${(err as Error).message}`);
    return 2;
  }
  if (!values.rebuild) {
    out('usage: npm run matches -- --rebuild');
    return 2;
  }
  // The tests pass the suite's database; the command line opens the configured one.
  const db = deps.db ?? createDb(loadConfig());
  try {
    if (!deps.db) await migrate(db);
    const started = Date.now();
    const edges = await rebuildMatchGraph(db.sequelize);
    const rings = await rebuildRings(db.sequelize);
    await db.optimize();
    out(`Rebuilt the match graph in ${((Date.now() - started) / 1000).toFixed(1)} s: ${edges} edges, ${rings} three-way swaps.`);
    return 0;
  } catch (err) {
    out(`matches: ${(err as Error).stack ?? String(err)}`);
    return 1;
  } finally {
    if (!deps.db) await db.close();
  }
}

if (require.main === module) {
  matchesCli(process.argv.slice(2))
    .then((code) => process.exit(code))
    .catch((err: unknown) => {
      // The CLI reports its own failures; this is for the unexpected ones.
      console.error(err);
      process.exit(1);
    });
}
