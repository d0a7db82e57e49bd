import type { QueryInterface } from 'sequelize';

// Three-way swaps: one row per directed ring A → B → C → A of active listings, where B's
// flat meets A's wishes, C's meets B's and A's meets C's (three edges of match_edges).
// Each ring is stored once, rotated so that its smallest listing id is listing_a (the
// order of the other two is the ring's direction: A → C → B → A is another ring).
// score is the mean of the three fits, rounded half up (40–100). created_at is when the
// ring was first found: a refresh keeps the rows of rings that still exist.
//
// One index per position, each ending in the score, finds a listing's rings best first
// from whichever position it holds; every foreign key cascades, so deleting a listing
// takes its rings with it (server/services/rings.ts).
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const dialect = qi.sequelize.getDialect();
  const id = dialect === 'postgres' ? 'id SERIAL PRIMARY KEY' : 'id INTEGER PRIMARY KEY AUTOINCREMENT';
  const time = dialect === 'postgres' ? 'TIMESTAMP WITH TIME ZONE' : 'DATETIME';
  await qi.sequelize.query(`CREATE TABLE match_rings (
    ${id},
    listing_a INTEGER NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    listing_b INTEGER NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    listing_c INTEGER NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    score SMALLINT NOT NULL,
    created_at ${time} NOT NULL
  )`);
  await qi.sequelize.query('CREATE UNIQUE INDEX match_rings_members ON match_rings (listing_a, listing_b, listing_c)');
  await qi.sequelize.query('CREATE INDEX match_rings_a_score ON match_rings (listing_a, score)');
  await qi.sequelize.query('CREATE INDEX match_rings_b_score ON match_rings (listing_b, score)');
  await qi.sequelize.query('CREATE INDEX match_rings_c_score ON match_rings (listing_c, score)');
  await qi.sequelize.query('CREATE INDEX match_rings_created ON match_rings (created_at)');
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query('DROP TABLE match_rings');
}
