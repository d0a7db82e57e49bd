import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

// Who did what to which object, and why. Only ids and a non-personal label
// ("listing #12", "user #40") are kept, so rows stay readable after the target is purged
// and never hold an e-mail or phone. No foreign keys on purpose: the row must outlive
// both the moderator and the target.
export class AuditLog extends Model<InferAttributes<AuditLog>, InferCreationAttributes<AuditLog>> {
  declare id: CreationOptional<number>;
  declare actorId: number | null;
  declare action: string;
  declare targetType: string;
  declare targetId: number | null;
  declare targetLabel: string;
  declare reason: string | null;
  declare reportId: number | null;
  declare createdAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof AuditLog {
    AuditLog.init(
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        actorId: { type: DataTypes.INTEGER, allowNull: true },
        action: { type: DataTypes.STRING(40), allowNull: false },
        targetType: { type: DataTypes.STRING(20), allowNull: false },
        targetId: { type: DataTypes.INTEGER, allowNull: true },
        targetLabel: { type: DataTypes.STRING(80), allowNull: false },
        reason: { type: DataTypes.STRING(1000), allowNull: true },
        reportId: { type: DataTypes.INTEGER, allowNull: true },
        createdAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'audit_logs', underscored: true, updatedAt: false },
    );
    return AuditLog;
  }
}
