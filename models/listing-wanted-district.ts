import { DataTypes, Model, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';

// One row per district a listing's owner would move to. A table rather than a list in a
// column so that "who wants a flat in Kallio" is an indexed lookup on both databases.
export class ListingWantedDistrict extends Model<
  InferAttributes<ListingWantedDistrict>,
  InferCreationAttributes<ListingWantedDistrict>
> {
  declare listingId: number;
  declare district: string;

  static initModel(sequelize: Sequelize): typeof ListingWantedDistrict {
    ListingWantedDistrict.init(
      {
        listingId: { type: DataTypes.INTEGER, primaryKey: true },
        district: { type: DataTypes.STRING(40), primaryKey: true },
      },
      { sequelize, tableName: 'listing_wanted_districts', underscored: true, timestamps: false },
    );
    return ListingWantedDistrict;
  }
}
