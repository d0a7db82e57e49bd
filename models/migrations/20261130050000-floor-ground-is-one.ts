import type { QueryInterface } from 'sequelize';

// Floors are numbered as in Finland: the ground floor is 1 (1. kerros, första våningen).
// The form used to say "0 = ground floor", which contradicted what every Finnish tenant
// knows; a listing saved that way said 0 for the ground floor and 1 for the floor
// above it. Stored floors from 0 up move one up; basements (negative) stay as they are.
export async function up({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query('UPDATE listings SET floor = floor + 1 WHERE floor >= 0');
}

export async function down({ context: qi }: { context: QueryInterface }): Promise<void> {
  await qi.sequelize.query('UPDATE listings SET floor = floor - 1 WHERE floor >= 1');
}
