import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { PurgeBenchResult } from '../../bench/purge';
import type { WebBenchResult } from '../../bench/web';
import { ROOT } from '../../server/paths';

const run = promisify(execFile);

// The full-size runs are commands (npm run bench); these run the same command at a tiny
// size, in a process of its own (it opens databases of its own), once, in the SQLite run.
async function bench(args: string[]): Promise<{ output: string; result: unknown }> {
  const env = { ...process.env };
  delete env.DATABASE_URL;
  delete env.TEST_DATABASE_URL;
  const { stdout } = await run(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'bench', 'index.ts'), ...args, '--from-source', '--json'], {
    env, cwd: ROOT, maxBuffer: 10 << 20,
  }).catch((err: { stdout?: string; stderr?: string }) => {
    // A failed target exits 1 but still prints its table: that is not a harness failure.
    if (err.stdout?.includes('"rows"') || err.stdout?.includes('"checks"')) return { stdout: err.stdout };
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

  it('measures every page against the bare-route ceiling and prints the table with pass or fail', async () => {
    const { output, result } = await bench(['--tenants', '40', '--listings', '25', '--messages', '60', '--conversations', '5', '--seconds', '1', '--connections', '4']);
    const web = result as WebBenchResult;
    expect(web.rows.map((r) => r.name)).to.deep.equal([
      'bare route (ceiling)', 'GET /listings, two filters', 'GET /listings?sort=rent&page=50', 'GET /listings/:id',
      'GET /matches (signed in)', 'GET /messages (200 conversations)', 'POST /messages/:id (signed in)',
    ]);
    for (const row of web.rows) {
      expect(row.reqPerSec, row.name).to.be.greaterThan(0);
      expect(row.errors, row.name).to.equal(0);
      expect(row.non2xx, row.name).to.equal(0);
    }
    expect(web.rows[0].ratio).to.equal(1);
    expect(web.peakRssMb).to.be.greaterThan(10);
    expect(output).to.match(/^Machine: /m);
    expect(output).to.contain('| bare route (ceiling) |');
    expect(output).to.match(/\| server peak RSS \| \d+ MB/);
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
