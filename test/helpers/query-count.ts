import { context } from './context';

export interface QueryLog {
  count: number;
  sql: string[];
}

/**
 * Runs `fn` and records every SQL statement the app sends meanwhile (Sequelize's
 * afterQuery hook), so a test can hold a page to its query budget and name the
 * statements when it goes over.
 */
export async function countQueries<T>(fn: () => Promise<T>): Promise<{ result: T; queries: QueryLog }> {
  const { sequelize } = context().db;
  const queries: QueryLog = { count: 0, sql: [] };
  const hook = (_options: unknown, query: { sql?: string }) => {
    queries.count += 1;
    queries.sql.push(
      String(query.sql ?? '')
        .replace(/\s+/g, ' ')
        .slice(0, 160),
    );
  };
  sequelize.addHook('afterQuery', 'countQueries', hook as never);
  try {
    const result = await fn();
    return { result, queries };
  } finally {
    sequelize.removeHook('afterQuery', 'countQueries');
  }
}
