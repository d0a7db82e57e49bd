import { expect } from 'chai';
import { QueryTypes } from 'sequelize';
import { checkInvariants, type Query } from '../faults/invariants';
import { context } from '../helpers/context';
import { createListing, createUser } from '../helpers/factories';

// The fault test trusts these checks to find a broken board after a crash; here they are
// shown to pass on a sound database and to name what was broken on a damaged one.

const q: Query = (sql) => context().db.sequelize.query(sql, { type: QueryTypes.SELECT }) as never;

describe("the fault test's invariants", () => {
  async function soundBoard() {
    const { listings, messages } = context().board.services;
    const a = await createUser();
    const b = await createUser();
    await createListing(a, { district: 'kallio', wantedDistricts: ['vallila'] });
    const theirs = await listings.findById((await createListing(b, { district: 'vallila', wantedDistricts: ['kallio'] })).id);
    const { conversationId } = await messages.startOrReuse(a, theirs!, 'Hej, byter du?');
    const ref = (await messages.find(conversationId))!;
    await messages.reply(b, ref, 'Gärna!');
    return { a, b };
  }

  it('hold on a board used through its services', async () => {
    await soundBoard();
    expect(await checkInvariants(q)).to.deep.equal([]);
  });

  it('name a lost match edge and a wrong unread counter', async () => {
    await soundBoard();
    const { sequelize } = context().db;
    await sequelize.query('DELETE FROM match_edges WHERE wanter_id = (SELECT MIN(wanter_id) FROM match_edges)');
    await sequelize.query('UPDATE conversation_participants SET unread_count = unread_count + 2');
    const found = await checkInvariants(q);
    expect(found.some((f) => f.startsWith('matchEdgesEqualRecomputation: edge'))).to.equal(true);
    expect(found.filter((f) => f.startsWith('unreadCountersMatchMessages:'))).to.have.length(2);
  });
});
