import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

export class Favourite extends Model<InferAttributes<Favourite>, InferCreationAttributes<Favourite>> {
  declare userId: number;
  declare listingId: number;
  declare createdAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof Favourite {
    Favourite.init(
      {
        userId: { type: DataTypes.INTEGER, primaryKey: true },
        listingId: { type: DataTypes.INTEGER, primaryKey: true },
        createdAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'favourites', underscored: true, updatedAt: false },
    );
    return Favourite;
  }
}
