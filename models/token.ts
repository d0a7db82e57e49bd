import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

export const TOKEN_PURPOSES = ['verify_email', 'reset_password', 'undo_email'] as const;
export type TokenPurpose = (typeof TOKEN_PURPOSES)[number];

// Only a SHA-256 of the token is stored: a copy of the database cannot be used to
// take over accounts through pending links.
export class Token extends Model<InferAttributes<Token>, InferCreationAttributes<Token>> {
  declare id: CreationOptional<number>;
  declare userId: number;
  declare purpose: TokenPurpose;
  declare tokenHash: string;
  declare expiresAt: Date;
  declare usedAt: Date | null;
  /** What the token acts on, when it acts on more than its user (the address an undo link restores). */
  declare payload: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof Token {
    Token.init(
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        userId: { type: DataTypes.INTEGER, allowNull: false },
        purpose: { type: DataTypes.STRING(20), allowNull: false },
        tokenHash: { type: DataTypes.STRING(64), allowNull: false, unique: true },
        expiresAt: { type: DataTypes.DATE, allowNull: false },
        usedAt: { type: DataTypes.DATE, allowNull: true },
        payload: { type: DataTypes.STRING(254), allowNull: true },
        createdAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'tokens', underscored: true, updatedAt: false },
    );
    return Token;
  }
}
