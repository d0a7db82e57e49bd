import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import type { ConversationParticipant } from './conversation-participant';

// The one conversation between a tenant (startedById) and a listing's owner about that
// listing. The listing or either account may be deleted later: the columns become NULL
// and the conversation stays for whoever is left ("removed user").
export class Conversation extends Model<InferAttributes<Conversation>, InferCreationAttributes<Conversation>> {
  declare id: CreationOptional<number>;
  declare listingId: number | null;
  declare startedById: number | null;
  declare lastMessageAt: Date;
  declare lastSenderId: number | null;
  declare createdAt: CreationOptional<Date>;
  /** The three-way swap this conversation belongs to ('r:a-b-c'), or null for a pair's. */
  declare swapKey: CreationOptional<string | null>;
  declare swapAgreedAt: CreationOptional<Date | null>;
  declare swapCompletedAt: CreationOptional<Date | null>;

  declare participants?: NonAttribute<ConversationParticipant[]>;

  static initModel(sequelize: Sequelize): typeof Conversation {
    Conversation.init(
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        listingId: { type: DataTypes.INTEGER, allowNull: true },
        startedById: { type: DataTypes.INTEGER, allowNull: true },
        lastMessageAt: { type: DataTypes.DATE, allowNull: false },
        lastSenderId: { type: DataTypes.INTEGER, allowNull: true },
        createdAt: DataTypes.DATE,
        swapKey: { type: DataTypes.STRING(40), allowNull: true },
        swapAgreedAt: { type: DataTypes.DATE, allowNull: true },
        swapCompletedAt: { type: DataTypes.DATE, allowNull: true },
      },
      { sequelize, tableName: 'conversations', underscored: true, updatedAt: false },
    );
    return Conversation;
  }
}
