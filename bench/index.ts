import os from 'node:os';
import { parseArgs } from 'node:util';
import { formatAlertTable, runAlertBench } from './alerts';
import { formatListingChangeTable, runListingChangeBench } from './listing-change';
import { formatMailTable, runMailBench } from './mail';
import { formatPhotoTable, runPhotoBench } from './photos';
import { formatPurgeTable, runPurgeBench } from './purge';
import { FULL_CROWD } from './crowd';
import { cpuPressure, formatWebTable, machineLine, runWebBench, type CacheMode } from './web';

// npm run bench [-- purge | -- photos [--runs N] | -- mail [--mails N] | -- listing-change [--changes N] | -- alerts] [--seconds N] [--tenants N] [--database postgres://…] [--processes 1,2] …
// Uses --database (or DATABASE_URL) when it points to PostgreSQL (that database is
// emptied!), else a fresh SQLite file in a temporary folder.
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
      changes: { type: 'string', default: '200' },
      runs: { type: 'string' },
      conversations: { type: 'string', default: '200' },
      database: { type: 'string' },
      // App processes, one table each: "1", "2" or "1,2" (PostgreSQL's default).
      processes: { type: 'string' },
      // Page-cache settings each row is measured with: "on,off" (default), "on" or "off".
      cache: { type: 'string', default: 'on,off' },
      // The crowd: different searches, listing pages, signed-in tenants, conversations.
      searches: { type: 'string', default: String(FULL_CROWD.searches) },
      'listing-pages': { type: 'string', default: String(FULL_CROWD.listingPages) },
      'signed-in': { type: 'string', default: String(FULL_CROWD.signedIn) },
      threads: { type: 'string', default: String(FULL_CROWD.threads) },
      'accept-encoding': { type: 'string', default: 'gzip, deflate, br' },
      'from-source': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      // Keep the seeded board (SQLite's file, or a marker for PostgreSQL's) in this folder and reuse it on the next run.
      data: { type: 'string' },
    },
  });
  const fromSource = values['from-source'];
  // --json: the result as one JSON line at the end, for the harness's own tests.
  const emit = (result: unknown) => {
    if (values.json) console.log(JSON.stringify(result));
  };
  const given = values.database ?? process.env.DATABASE_URL;
  if (values.database && !values.database.startsWith('postgres'))
    throw new Error('--database takes a postgres:// URL (SQLite is the default)');
  const pg = given?.startsWith('postgres') ? given : undefined;
  console.log(`Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  console.log(`Machine: ${machineLine()}`);
  const pressure = cpuPressure();
  console.log(
    `Load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (pressure !== null)
    console.log(`CPU pressure at start: ${pressure.toFixed(0)} % of the last minute some task waited for a CPU`);
  if (positionals[0] === 'mail') {
    const result = await runMailBench({ mails: Number(values.mails ?? 10_000), databaseUrl: pg });
    console.log('\n' + formatMailTable(result));
    emit(result);
    return result.pass ? 0 : 1;
  }
  if (positionals[0] === 'alerts') {
    const result = await runAlertBench({
      tenants: Number(values.tenants ?? 100_000),
      listings: Number(values.listings ?? 50_000),
      databaseUrl: pg,
    });
    console.log('\n' + formatAlertTable(result));
    emit(result);
    return result.rows.every((r) => r.pass) ? 0 : 1;
  }
  if (positionals[0] === 'listing-change') {
    const result = await runListingChangeBench({
      tenants: Number(values.tenants ?? 100_000),
      listings: Number(values.listings ?? 50_000),
      changes: Number(values.changes),
    });
    console.log('\n' + formatListingChangeTable(result));
    emit(result);
    return result.pass ? 0 : 1;
  }
  if (positionals[0] === 'photos') {
    const result = await runPhotoBench(Number(values.runs ?? 9));
    console.log('\n' + formatPhotoTable(result));
    emit(result);
    return 0;
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
  const processes = (values.processes ?? (pg ? '1,2' : '1')).split(',').map(Number);
  if (processes.some((n) => !Number.isInteger(n) || n < 1 || n > 8))
    throw new Error('--processes takes counts such as 1, 2 or 1,2');
  const cache = values.cache.split(',');
  if (cache.some((c) => c !== 'on' && c !== 'off')) throw new Error('--cache takes on, off or on,off');
  const result = await runWebBench({
    tenants: Number(values.tenants ?? 100_000),
    listings: Number(values.listings ?? 50_000),
    messages: Number(values.messages ?? 500_000),
    conversations: Number(values.conversations),
    seconds: Number(values.seconds),
    connections: Number(values.connections),
    databaseUrl: pg,
    processes,
    cache: cache as CacheMode[],
    crowd: {
      searches: Number(values.searches),
      listingPages: Number(values['listing-pages']),
      signedIn: Number(values['signed-in']),
      threads: Number(values.threads),
    },
    acceptEncoding: values['accept-encoding'],
    fromSource,
    dataDir: values.data,
  });
  console.log(`\nDatabase: ${result.database}; seeded in ${result.seedSeconds.toFixed(0)} s`);
  for (const run of result.runs) console.log('\n' + formatWebTable(result, run));
  emit(result);
  return result.runs.every((r) => r.pass) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
