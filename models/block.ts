import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

export class Block extends Model<InferAttributes<Block>, InferCreationAttributes<Block>> {
  declare blockerId: number;
  declare blockedId: number;
  declare createdAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof Block {
    Block.init(
      {
        blockerId: { type: DataTypes.INTEGER, primaryKey: true },
        blockedId: { type: DataTypes.INTEGER, primaryKey: true },
        createdAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'blocks', underscored: true, updatedAt: false },
    );
    return Block;
  }
}
