import { DataTypes, Model, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';

// A lease in the database: whoever holds an unexpired row for a job name runs it. Works
// the same for two processes on one SQLite file and for many machines on PostgreSQL.
export class JobLock extends Model<InferAttributes<JobLock>, InferCreationAttributes<JobLock>> {
  declare name: string;
  declare holder: string;
  declare lockedUntil: Date;

  static initModel(sequelize: Sequelize): typeof JobLock {
    JobLock.init(
      {
        name: { type: DataTypes.STRING(40), primaryKey: true },
        holder: { type: DataTypes.STRING(80), allowNull: false },
        lockedUntil: { type: DataTypes.DATE, allowNull: false },
      },
      { sequelize, tableName: 'job_locks', underscored: true, timestamps: false },
    );
    return JobLock;
  }
}
