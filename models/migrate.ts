import path from 'node:path';
import { SequelizeStorage, Umzug } from 'umzug';
import type { Db } from './index';

// Timestamped migrations, run at start-up by the server and the CLIs, the same on
// SQLite and PostgreSQL. Works from the TypeScript sources and from dist/.
export function createMigrator(db: Db) {
  return new Umzug({
    migrations: {
      glob: ['migrations/*.{js,ts}', { cwd: path.join(__dirname), ignore: ['**/*.d.ts', '**/*.map'] }],
      resolve: ({ name, path: file, context }) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const migration = require(file!) as {
          up: (p: { context: unknown }) => Promise<void>;
          down: (p: { context: unknown }) => Promise<void>;
        };
        return {
          name: name.replace(/\.(js|ts)$/, ''),
          up: () => migration.up({ context }),
          down: () => migration.down({ context }),
        };
      },
    },
    context: db.sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize: db.sequelize, tableName: 'schema_migrations' }),
    logger: undefined,
  });
}

export async function migrate(db: Db): Promise<string[]> {
  const done = await createMigrator(db).up();
  return done.map((m) => m.name);
}
