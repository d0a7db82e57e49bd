import os from 'node:os';
import { parseArgs } from 'node:util';
import { formatMailTable, runMailBench } from './mail';
import { formatPurgeTable, runPurgeBench } from './purge';
import { formatWebTable, runWebBench } from './web';

// npm run bench [-- purge | -- mail [--mails N]] [--seconds N] [--tenants N] …
// Uses DATABASE_URL when it points to PostgreSQL (that database is emptied!), else a
// fresh SQLite file in a temporary folder.
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '32' },
      tenants: { type: 'string' },
      listings: { type: 'string' },
      messages: { type: 'string' },
      accounts: { type: 'string' },
      mails: { type: 'string' },
      conversations: { type: 'string', default: '200' },
      'from-source': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const fromSource = values['from-source'];
  // --json: the result as one JSON line at the end, for the harness's own tests.
  const emit = (result: unknown) => {
    if (values.json) console.log(JSON.stringify(result));
  };
  const pg = process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined;
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
  console.log(`Machine: ${machine}`);
  if (positionals[0] === 'mail') {
    const result = await runMailBench({ mails: Number(values.mails ?? 10_000), databaseUrl: pg });
    console.log('\n' + formatMailTable(result));
    emit(result);
    return result.pass ? 0 : 1;
  }
  if (positionals[0] === 'purge') {
    const result = await runPurgeBench({
      accounts: Number(values.accounts ?? 1_000_000),
      listings: Number(values.listings ?? 250_000),
      messages: Number(values.messages ?? 1_000_000),
      databaseUrl: pg,
      fromSource,
    });
    console.log('\n' + formatPurgeTable(result));
    emit(result);
    return result.checks.every((c) => c.pass) ? 0 : 1;
  }
  const result = await runWebBench({
    tenants: Number(values.tenants ?? 100_000),
    listings: Number(values.listings ?? 50_000),
    messages: Number(values.messages ?? 500_000),
    conversations: Number(values.conversations),
    seconds: Number(values.seconds),
    connections: Number(values.connections),
    databaseUrl: pg,
    fromSource,
  });
  console.log(`\nDatabase: ${result.database}; seeded in ${result.seedSeconds.toFixed(0)} s; ${values.connections} connections, ${values.seconds} s per row\n`);
  console.log(formatWebTable(result));
  emit(result);
  return result.rows.every((r) => r.pass) && result.rssPass ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
