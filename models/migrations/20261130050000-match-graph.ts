import type { QueryInterface } from 'sequelize';

// The match graph: one row per ordered pair of active listings (wanter, home) where the
// home's flat meets every wish of the wanter, with the fit score (40–100) of that
// direction. Mutual matches are the pairs present in both directions; "who wants my
// home" is the edges into my listing. Rows exist only between active listings and are
// rewritten whenever a listing changes (server/services/match-graph.ts).
//
// The primary key serves "edges out of a listing" (and the mutual join), the second index
// "edges into a listing, best first"; both foreign keys cascade, so deleting a listing
// (its owner's erasure, the purge) takes its edges with it.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  const dialect = qi.sequelize.getDialect();
  // On SQLite a WITHOUT ROWID table stores the rows in the primary key itself: no second
  // copy of each pair, which matters at tens of millions of edges.
  const suffix = dialect === 'sqlite' ? ' WITHOUT ROWID' : '';
  await qi.sequelize.query(`CREATE TABLE match_edges (
    wanter_id INTEGER NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    home_id INTEGER NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    fit SMALLINT NOT NULL,
    PRIMARY KEY (wanter_id, home_id)
  )${suffix}`);
  await qi.sequelize.query('CREATE INDEX match_edges_home_fit ON match_edges (home_id, fit)');
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query('DROP TABLE match_edges');
}
