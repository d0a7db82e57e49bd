import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

/** queued: waiting (first try or a retry); sending: claimed by a worker; failed: given up. */
export const MAIL_STATE = { QUEUED: 'queued', SENDING: 'sending', FAILED: 'failed' } as const;
export type MailState = (typeof MAIL_STATE)[keyof typeof MAIL_STATE];

// One e-mail waiting to be delivered (the outbox of server/mail/queue.ts). A sent mail's
// row is deleted; a mail given up on keeps no address, subject or body, only its purpose,
// account id, attempts and the kind of error, so the failure can be counted.
export class QueuedMail extends Model<InferAttributes<QueuedMail>, InferCreationAttributes<QueuedMail>> {
  declare id: CreationOptional<number>;
  declare userId: number;
  declare purpose: string;
  declare recipient: string;
  declare subject: string;
  declare textBody: string;
  declare htmlBody: string | null;
  /** Extra headers as JSON (e.g. List-Unsubscribe), or null. */
  declare headers: string | null;
  /** The sender's display name in the recipient's language, or null for MAIL_FROM's own. */
  declare fromName: CreationOptional<string | null>;
  declare state: CreationOptional<MailState>;
  declare attempts: CreationOptional<number>;
  declare nextAttemptAt: Date;
  declare claimedBy: CreationOptional<string | null>;
  declare claimedUntil: CreationOptional<Date | null>;
  declare lastError: CreationOptional<string | null>;
  declare createdAt: Date;
  declare failedAt: CreationOptional<Date | null>;

  static initModel(sequelize: Sequelize): typeof QueuedMail {
    QueuedMail.init(
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        userId: { type: DataTypes.INTEGER, allowNull: false },
        purpose: { type: DataTypes.STRING(40), allowNull: false },
        recipient: { type: DataTypes.STRING(254), allowNull: false },
        subject: { type: DataTypes.STRING(500), allowNull: false },
        textBody: { type: DataTypes.TEXT, allowNull: false },
        htmlBody: { type: DataTypes.TEXT, allowNull: true },
        headers: { type: DataTypes.TEXT, allowNull: true },
        fromName: { type: DataTypes.STRING(100), allowNull: true },
        state: { type: DataTypes.STRING(10), allowNull: false, defaultValue: MAIL_STATE.QUEUED },
        attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        nextAttemptAt: { type: DataTypes.DATE, allowNull: false },
        claimedBy: { type: DataTypes.STRING(64), allowNull: true },
        claimedUntil: { type: DataTypes.DATE, allowNull: true },
        lastError: { type: DataTypes.STRING(200), allowNull: true },
        createdAt: { type: DataTypes.DATE, allowNull: false },
        failedAt: { type: DataTypes.DATE, allowNull: true },
      },
      { sequelize, tableName: 'mail_queue', underscored: true, timestamps: false },
    );
    return QueuedMail;
  }
}
