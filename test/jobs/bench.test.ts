import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import querystring from 'node:querystring';
import { expect } from 'chai';
import { searchUrls } from '../../bench/crowd';
import type { PurgeBenchResult } from '../../bench/purge';
import type { WebBenchResult } from '../../bench/web';
import { ROOT } from '../../server/paths';
import { DISTRICTS } from '../../server/services/districts';
import { parseSearchQuery, searchQueryString } from '../../server/validation/listing';

const run = promisify(execFile);

// The full-size runs are commands (npm run bench); these run the same command at a tiny
// size, in a process of its own (it opens databases of its own), once, in the SQLite run.
function withoutDatabase(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.TEST_DATABASE_URL;
  delete env.PAGE_CACHE_SECONDS;
  return env;
}

async function bench(args: string[]): Promise<{ output: string; result: unknown }> {
  const env = withoutDatabase();
  const { stdout } = await run(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(ROOT, 'bench', 'index.ts'), ...args, '--from-source', '--json'],
    {
      env,
      cwd: ROOT,
      maxBuffer: 10 << 20,
    },
  ).catch((err: { stdout?: string; stderr?: string }) => {
    // A failed target exits 1 but still prints its table: that is not a harness failure.
    if (err.stdout?.includes('"runs"') || err.stdout?.includes('"checks"')) return { stdout: err.stdout };
    throw new Error(`bench failed: ${err.stderr ?? ''}${err.stdout ?? ''}`);
  });
  const lines = stdout.trim().split('\n');
  return { output: stdout, result: JSON.parse(lines[lines.length - 1]) };
}

describe('the benchmark harness', function () {
  this.timeout(180_000);
  before(function () {
    if (process.env.TEST_DATABASE_URL) this.skip();
  });

  it('sends each row a crowd of different URLs and tenants, with the page cache on and off, against the ceiling', async () => {
    const { output, result } = await bench([
      '--tenants',
      '40',
      '--listings',
      '25',
      '--messages',
      '60',
      '--conversations',
      '24',
      '--seconds',
      '1',
      '--connections',
      '4',
      '--searches',
      '30',
      '--listing-pages',
      '15',
      '--signed-in',
      '4',
      '--threads',
      '4',
    ]);
    const web = result as WebBenchResult;
    expect(web.runs.map((r) => r.processes)).to.deep.equal([1]);
    const [run] = web.runs;
    const row = (name: string) => run.rows.find((r) => r.name === name)!;
    expect(run.rows.map((r) => r.name)).to.deep.equal([
      'bare route (ceiling)',
      'anonymous searches',
      'anonymous listing pages',
      'photos, cards and large views (target ≥ 50 %)',
      '/matches with three-way swaps, signed-in tenants',
      'inbox of demo_bench, every page',
      'inboxes of the signed-in tenants',
      'conversation pages',
      'sending a message',
      'bare route (ceiling), again after the rows',
    ]);
    // The crowd the rows were given, at this size.
    const planned = (name: string) => [row(name).plannedUrls, row(name).plannedTenants];
    expect(planned('anonymous searches')).to.deep.equal([30, 0]);
    expect(planned('anonymous listing pages')).to.deep.equal([15, 0]);
    // The seeded photos of active listings, each as its card and its large view.
    const photoUrls = planned('photos, cards and large views (target ≥ 50 %)');
    expect(photoUrls[0]).to.be.above(0);
    expect(photoUrls[0]! % 2).to.equal(0);
    expect(photoUrls[1]).to.equal(0);
    expect(planned('/matches with three-way swaps, signed-in tenants')).to.deep.equal([1, 4]);
    expect(planned('inbox of demo_bench, every page')).to.deep.equal([2, 1]);
    expect(planned('inboxes of the signed-in tenants')).to.deep.equal([1, 4]);
    expect(planned('conversation pages')[0]).to.equal(4);
    expect(planned('conversation pages')[1]).to.be.at.least(2);
    expect(planned('sending a message')).to.deep.equal(planned('conversation pages'));
    // Every row was answered. (On a starved machine a slow row can get no answer back
    // in one of its one-second runs; the harness then marks it FAIL, and the test asks
    // only that one of its two runs measured something.)
    for (const r of run.rows) expect(r.cells.on!.requests + r.cells.off!.requests, r.name).to.be.greaterThan(0);
    for (const mode of ['on', 'off'] as const) {
      for (const r of run.rows) {
        const cell = r.cells[mode]!;
        expect(cell.errors, `${r.name}, cache ${mode}: ${JSON.stringify(cell.statuses)}`).to.equal(0);
      }
      // The rows are compared with the mean of the ceiling measured before and after them.
      const ceilings = [row('bare route (ceiling)'), row('bare route (ceiling), again after the rows')].map(
        (r) => r.cells[mode]!,
      );
      expect(ceilings[0].share + ceilings[1].share).to.be.closeTo(2, 1e-9);
      const searches = row('anonymous searches').cells[mode]!;
      expect(searches.share).to.be.closeTo((2 * searches.reqPerSec) / (ceilings[0].reqPerSec + ceilings[1].reqPerSec), 1e-9);
      // Every request is the crowd's next visit: a row asks for a new URL (and tenant)
      // each time until it has used them all, however few requests a busy machine allows.
      for (const r of run.rows) {
        const cell = r.cells[mode]!;
        expect(cell.urls, `${r.name}, cache ${mode}: URLs`).to.be.at.least(Math.min(r.plannedUrls, cell.requests));
        expect(cell.tenants, `${r.name}, cache ${mode}: tenants`).to.be.at.least(Math.min(r.plannedTenants, cell.requests));
      }
      expect(run.rss[mode]!.afterMb).to.be.greaterThan(10);
    }
    expect(output).to.match(/^Machine: .+ GiB, Node v\d+/m);
    expect(output).to.match(/^Load average at start: [\d.]+ [\d.]+ [\d.]+$/m);
    expect(output).to.contain(
      '| page | different URLs / tenants | cache on: req/s | share | p50 / p99 ms | errors | result | cache off: req/s |',
    );
    expect(output).to.match(/^\| anonymous searches \| 30( \(\d+ reached\))? \| \d+ \| \d+(\.\d)? % \|/m);
    expect(output).to.match(/\| server RSS after the run \(peak\) \| \| \d+ MB \(\d+\)/);
  });

  it('refuses several app processes on SQLite before seeding anything', async () => {
    const failed = await run(
      process.execPath,
      ['--require', 'tsx/cjs', path.join(ROOT, 'bench', 'index.ts'), '--processes', '2', '--tenants', '10'],
      {
        env: withoutDatabase(),
        cwd: ROOT,
      },
    ).then(
      () => null,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(failed?.code).to.equal(2);
    expect(failed?.stderr).to.contain('several app processes need PostgreSQL');
  });

  it('purges a small database with the job and with one hand-written DELETE and compares them', async () => {
    const { output, result } = await bench(['purge', '--accounts', '80', '--listings', '40', '--messages', '100']);
    const purge = result as PurgeBenchResult;
    expect(purge.deleted).to.be.greaterThan(30);
    expect(purge.deleted).to.equal(purge.floorDeleted);
    expect(purge.jobPeakRssMb).to.be.greaterThan(10);
    expect(purge.transactions).to.be.greaterThan(0);
    expect(output).to.contain('rate ≥ 50 % of the hand-written SQL');
  });
});

describe('the benchmark crowd', () => {
  it('builds different searches that the search form itself could have produced', () => {
    const codes = DISTRICTS.map((d) => d.code);
    const visits = searchUrls(codes, 400);
    expect(new Set(visits.map((v) => v.path)).size).to.equal(400);
    expect(searchUrls(codes, 400)).to.deep.equal(visits);
    for (const v of visits) {
      const query = v.path.split('?')[1] ?? '';
      const filters = parseSearchQuery(querystring.parse(query));
      // Every parameter is valid and in the form's own order: nothing is dropped or clamped.
      expect(`/listings${searchQueryString(filters, filters.page)}`).to.equal(v.path);
    }
    const sorted = visits.filter((v) => /sort=(rent|size)/.test(v.path)).length;
    const later = visits.filter((v) => /page=\d/.test(v.path)).length;
    const districts = visits.filter((v) => v.path.includes('district=')).length;
    expect(sorted).to.be.within(80, 240);
    expect(later).to.be.within(100, 250);
    expect(districts).to.be.within(250, 380);
  });
});
