import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { matchesCli } from '../../jobs/matches-cli';
import { context } from '../helpers/context';
import { createListing } from '../helpers/factories';

async function cli(args: string[]) {
  const out: string[] = [];
  const code = await matchesCli(args, (l) => out.push(l), { db: context().db });
  return { code, out, last: out[out.length - 1] ?? '' };
}

const edgeCount = async () =>
  Number(
    (
      await context().db.sequelize.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM match_edges', {
        type: QueryTypes.SELECT,
      })
    )[0]!.n,
  );

describe('npm run matches (jobs/matches-cli.ts)', () => {
  it('--rebuild recomputes a lost graph and gives the edge count on its last line', async () => {
    await createListing(undefined, { district: 'kallio', wantedDistricts: ['vallila'] });
    await createListing(undefined, { district: 'vallila', wantedDistricts: ['kallio'] });
    await createListing(undefined, { district: 'vallila', wantedDistricts: ['eira'] });
    // Kallio→Vallila twice (both Vallila flats fit the first wish) and Vallila→Kallio once.
    expect(await edgeCount()).to.equal(3);
    await context().db.sequelize.query('DELETE FROM match_edges');
    const { code, last } = await cli(['--rebuild']);
    expect(code).to.equal(0);
    expect(last).to.match(/^Rebuilt the match graph in \d+\.\d s: 3 edges, 0 three-way swaps\.$/);
    expect(await edgeCount()).to.equal(3);
  });

  it('exits 2 with the usage when --rebuild is missing or an option is unknown', async () => {
    expect((await cli([])).code).to.equal(2);
    expect((await cli([])).last).to.contain('npm run matches -- --rebuild');
    expect((await cli(['--everything'])).code).to.equal(2);
  });
});
