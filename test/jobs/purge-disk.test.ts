import fs from 'node:fs';
import { expect } from 'chai';
import { context } from '../helpers/context';
import { createConversation, createListing, createUser, DEFAULT_PASSWORD, purge } from '../helpers/factories';
import { agent, signIn, submit } from '../helpers/http';

// "Deleted means gone from disk" (docs/product.md#the-purge). SQLite only: with secure_delete on and the
// write-ahead log checkpointed (TRUNCATE) after deletions, the bytes of the database file
// and of its -wal file no longer contain anything of the deleted tenant.

function databaseBytes(): { main: Buffer; wal: Buffer } {
  const file = context().config.database.storage!;
  const wal = `${file}-wal`;
  return { main: fs.readFileSync(file), wal: fs.existsSync(wal) ? fs.readFileSync(wal) : Buffer.alloc(0) };
}

function occurrences(strings: string[]): string[] {
  const { main, wal } = databaseBytes();
  const found: string[] = [];
  for (const s of strings) {
    const needle = Buffer.from(s, 'utf8');
    if (main.includes(needle)) found.push(`${s} in the database file`);
    if (wal.includes(needle)) found.push(`${s} in the -wal file`);
  }
  return found;
}

describe('no trace on disk after deletion (SQLite)', function () {
  before(function () {
    if (context().db.dialect !== 'sqlite') this.skip();
  });

  const TRACES = {
    username: 'zanzibar_quokka',
    email: 'zanzibar.quokka.unique@example.fi',
    phone: '+358409871234',
    listing: 'Quokka-themed loft with a copper sauna, ZX81 edition',
    wanted: 'Looking for a lighthouse keeper flat in Vallila QX',
    message: 'Purple elephant whisper number 4711',
  };

  async function seedTenant(lastLoginAt: Date) {
    const tenant = await createUser({ username: TRACES.username, email: TRACES.email, phone: TRACES.phone, lastLoginAt });
    await createListing(tenant, { description: TRACES.listing, wantedDescription: TRACES.wanted });
    const other = await createUser({ username: 'stays_here' });
    const othersListing = await createListing(other);
    await createConversation(othersListing, tenant, [TRACES.message, 'a reply that stays']);
    await context().db.checkpoint();
    return tenant;
  }

  it("finds the tenant's data in the files before, and none of it after the purge", async () => {
    await seedTenant(new Date('2026-01-01T00:00:00Z'));
    expect(occurrences(Object.values(TRACES)), 'the test can see the data while it exists').to.have.length.above(0);
    const result = await purge('2026-06-01T00:00:00Z');
    expect(result.deleted).to.equal(1);
    expect(occurrences(Object.values(TRACES))).to.deep.equal([]);
    expect(occurrences(['a reply that stays']), "the other tenant's message is still there").to.have.length.above(0);
  });

  it('leaves no trace either when the tenant deletes the account with POST /account/delete', async () => {
    const tenant = await seedTenant(new Date());
    const a = await signIn(tenant, DEFAULT_PASSWORD, agent());
    const res = await submit(a, '/account/delete', { password: DEFAULT_PASSWORD }, '/account/data');
    expect(res.status).to.equal(303);
    expect(occurrences(Object.values(TRACES))).to.deep.equal([]);
  });
});
