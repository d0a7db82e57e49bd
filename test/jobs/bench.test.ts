import { expect } from 'chai';
import { formatPurgeTable, runPurgeBench } from '../../bench/purge';
import { formatWebTable, runWebBench } from '../../bench/web';

// The full-size runs are commands (npm run bench); these check the harness end to end at
// a tiny size, once, in the SQLite run of the suite.
describe('the benchmark harness', function () {
  this.timeout(120_000);
  before(function () {
    if (process.env.TEST_DATABASE_URL) this.skip();
  });

  it('measures every page against the bare-route ceiling and reports pass or fail', async () => {
    const lines: string[] = [];
    const result = await runWebBench({
      tenants: 40, listings: 25, messages: 60, conversations: 5, seconds: 1, connections: 4, fromSource: true, out: (l) => lines.push(l),
    });
    expect(result.rows.map((r) => r.name)).to.deep.equal([
      'bare route (ceiling)', 'GET /listings, two filters', 'GET /listings?sort=rent&page=50', 'GET /listings/:id',
      'GET /matches (signed in)', 'GET /messages (200 conversations)', 'POST /messages/:id (signed in)',
    ]);
    for (const row of result.rows) {
      expect(row.reqPerSec, row.name).to.be.greaterThan(0);
      expect(row.errors, row.name).to.equal(0);
      expect(row.non2xx, row.name).to.equal(0);
    }
    expect(result.rows[0].ratio).to.equal(1);
    expect(result.peakRssMb).to.be.greaterThan(10);
    const table = formatWebTable(result);
    expect(table).to.contain('| bare route (ceiling) |');
    expect(table).to.match(/\| server peak RSS \| \d+ MB/);
  });

  it('purges a small database with the job and with hand-written SQL and compares them', async () => {
    const result = await runPurgeBench({ accounts: 80, listings: 40, messages: 100, fromSource: true, out: () => undefined });
    expect(result.deleted).to.be.greaterThan(30);
    expect(result.deleted).to.equal(result.floorDeleted);
    expect(result.jobPeakRssMb).to.be.greaterThan(10);
    expect(result.transactions).to.be.greaterThan(0);
    expect(formatPurgeTable(result)).to.contain('rate ≥ 50 % of the hand-written SQL');
  });
});
