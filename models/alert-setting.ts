import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

// A tenant's alert opt-ins and the daily cap (migration 20261201020000-alerts).
export class AlertSetting extends Model<InferAttributes<AlertSetting>, InferCreationAttributes<AlertSetting>> {
  declare userId: number;
  /** E-mail me new two-way and three-way swaps for my home (off by default). */
  declare newSwaps: CreationOptional<boolean>;
  /** The Helsinki calendar day (YYYY-MM-DD) of the last alert e-mail: at most one a day. */
  declare lastSentDay: string | null;
  declare lastSentAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof AlertSetting {
    AlertSetting.init(
      {
        userId: { type: DataTypes.INTEGER, primaryKey: true },
        newSwaps: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        lastSentDay: { type: DataTypes.STRING(10), allowNull: true },
        lastSentAt: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'alert_settings', underscored: true },
    );
    return AlertSetting;
  }
}
