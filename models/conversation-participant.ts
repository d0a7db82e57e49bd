import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

// Each participant's own view of a conversation: unread count kept by the database on
// every send, the time they last read it, and whether a notice e-mail is outstanding.
// lastMessageAt is copied here so the inbox is one indexed range scan per tenant.
export class ConversationParticipant extends Model<
  InferAttributes<ConversationParticipant>,
  InferCreationAttributes<ConversationParticipant>
> {
  declare conversationId: number;
  declare userId: number;
  declare unreadCount: CreationOptional<number>;
  declare lastReadAt: Date | null;
  declare lastMessageAt: Date;
  declare noticeSentAt: Date | null;
  /** Closing a swap: "We have agreed to swap" and "We have swapped", each participant's own. */
  declare agreedAt: CreationOptional<Date | null>;
  declare swappedAt: CreationOptional<Date | null>;

  static initModel(sequelize: Sequelize): typeof ConversationParticipant {
    ConversationParticipant.init(
      {
        conversationId: { type: DataTypes.INTEGER, primaryKey: true },
        userId: { type: DataTypes.INTEGER, primaryKey: true },
        unreadCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        lastReadAt: { type: DataTypes.DATE, allowNull: true },
        lastMessageAt: { type: DataTypes.DATE, allowNull: false },
        noticeSentAt: { type: DataTypes.DATE, allowNull: true },
        agreedAt: { type: DataTypes.DATE, allowNull: true },
        swappedAt: { type: DataTypes.DATE, allowNull: true },
      },
      { sequelize, tableName: 'conversation_participants', underscored: true, timestamps: false },
    );
    return ConversationParticipant;
  }
}
