import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

export const PURGE_OUTCOME = { RUNNING: 'running', OK: 'ok', FAILED: 'failed', SKIPPED: 'skipped' } as const;
export type PurgeOutcome = (typeof PURGE_OUTCOME)[keyof typeof PURGE_OUTCOME];

// One row per run of the purge job: counts and times, never a username.
export class PurgeRun extends Model<InferAttributes<PurgeRun>, InferCreationAttributes<PurgeRun>> {
  declare id: CreationOptional<number>;
  declare startedAt: Date;
  declare finishedAt: Date | null;
  declare asOf: Date;
  declare dryRun: boolean;
  declare deletedCount: CreationOptional<number>;
  declare warnedCount: CreationOptional<number>;
  declare outcome: PurgeOutcome;
  declare error: string | null;

  static initModel(sequelize: Sequelize): typeof PurgeRun {
    PurgeRun.init(
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        startedAt: { type: DataTypes.DATE, allowNull: false },
        finishedAt: { type: DataTypes.DATE, allowNull: true },
        asOf: { type: DataTypes.DATE, allowNull: false },
        dryRun: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        deletedCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        warnedCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        outcome: { type: DataTypes.STRING(10), allowNull: false },
        error: { type: DataTypes.STRING(1000), allowNull: true },
      },
      { sequelize, tableName: 'purge_runs', underscored: true, timestamps: false },
    );
    return PurgeRun;
  }
}
