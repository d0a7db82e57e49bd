import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

import {
  LISTING_REPORT_REASONS,
  REPORT_REASONS,
  REPORT_STATUS,
  type ReportReason,
  type ReportStatus,
} from '../server/types/constants';

export { LISTING_REPORT_REASONS, REPORT_REASONS, REPORT_STATUS, type ReportReason, type ReportStatus };
export const REPORT_KINDS = ['listing', 'message'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

// A tenant's report of a listing or a message. The reporter is set to NULL when their
// account is deleted: the report stays for the moderators without the reporter.
export class Report extends Model<InferAttributes<Report>, InferCreationAttributes<Report>> {
  declare id: CreationOptional<number>;
  declare kind: ReportKind;
  declare reporterId: number | null;
  declare listingId: number | null;
  declare conversationId: number | null;
  declare messageId: number | null;
  declare reason: ReportReason;
  declare details: string;
  declare status: CreationOptional<ReportStatus>;
  declare handledById: number | null;
  declare handledAt: Date | null;
  declare resolutionNote: string | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof Report {
    Report.init(
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        kind: { type: DataTypes.STRING(10), allowNull: false },
        reporterId: { type: DataTypes.INTEGER, allowNull: true },
        listingId: { type: DataTypes.INTEGER, allowNull: true },
        conversationId: { type: DataTypes.INTEGER, allowNull: true },
        messageId: { type: DataTypes.INTEGER, allowNull: true },
        reason: { type: DataTypes.STRING(20), allowNull: false },
        details: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
        status: { type: DataTypes.STRING(10), allowNull: false, defaultValue: REPORT_STATUS.OPEN },
        handledById: { type: DataTypes.INTEGER, allowNull: true },
        handledAt: { type: DataTypes.DATE, allowNull: true },
        resolutionNote: { type: DataTypes.STRING(1000), allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'reports', underscored: true },
    );
    return Report;
  }
}
