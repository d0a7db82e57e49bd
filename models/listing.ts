import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';
import type { PhotoMeta } from './listing-photo';
import type { ListingWantedDistrict } from './listing-wanted-district';
import type { User } from './user';

import { BUILDING_TYPES, LISTING_STATUS, type BuildingType, type ListingStatus } from '../server/types/constants';

// Moderation and owner states are named constants, shared with every layer.
export { BUILDING_TYPES, LISTING_STATUS, type BuildingType, type ListingStatus };

export class Listing extends Model<InferAttributes<Listing>, InferCreationAttributes<Listing>> {
  declare id: CreationOptional<number>;
  declare userId: number;
  declare status: CreationOptional<ListingStatus>;
  declare hiddenReason: string | null;
  declare reviewRequestedAt: Date | null;
  // The flat the tenant lives in now.
  declare district: string;
  declare postalCode: string;
  declare rooms: number;
  declare sizeM2: number;
  declare rentEur: number;
  declare floor: number | null;
  declare hasLift: CreationOptional<boolean>;
  declare hasBalcony: CreationOptional<boolean>;
  declare hasSauna: CreationOptional<boolean>;
  declare buildingType: BuildingType | null;
  declare availableFrom: string | null;
  declare description: string;
  // The flat the tenant wants. Wanted districts live in listing_wanted_districts.
  declare wantedRoomsMin: number | null;
  declare wantedSizeMin: number | null;
  declare wantedRentMax: number | null;
  declare wantedLift: CreationOptional<boolean>;
  declare wantedBalcony: CreationOptional<boolean>;
  declare wantedSauna: CreationOptional<boolean>;
  declare wantedDescription: string;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  declare owner?: NonAttribute<User>;
  declare wantedDistricts?: NonAttribute<ListingWantedDistrict[]>;
  /** Its photos without their bytes, in order, when loaded with the listing. */
  declare photos?: NonAttribute<PhotoMeta[]>;

  static initModel(sequelize: Sequelize): typeof Listing {
    Listing.init(
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        userId: { type: DataTypes.INTEGER, allowNull: false, unique: true },
        status: { type: DataTypes.STRING(10), allowNull: false, defaultValue: LISTING_STATUS.ACTIVE },
        hiddenReason: { type: DataTypes.STRING(500), allowNull: true },
        reviewRequestedAt: { type: DataTypes.DATE, allowNull: true },
        district: { type: DataTypes.STRING(40), allowNull: false },
        postalCode: { type: DataTypes.STRING(5), allowNull: false },
        rooms: { type: DataTypes.INTEGER, allowNull: false },
        sizeM2: { type: DataTypes.INTEGER, allowNull: false },
        rentEur: { type: DataTypes.INTEGER, allowNull: false },
        floor: { type: DataTypes.INTEGER, allowNull: true },
        hasLift: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        hasBalcony: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        hasSauna: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        buildingType: { type: DataTypes.STRING(20), allowNull: true },
        availableFrom: { type: DataTypes.DATEONLY, allowNull: true },
        description: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
        wantedRoomsMin: { type: DataTypes.INTEGER, allowNull: true },
        wantedSizeMin: { type: DataTypes.INTEGER, allowNull: true },
        wantedRentMax: { type: DataTypes.INTEGER, allowNull: true },
        wantedLift: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        wantedBalcony: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        wantedSauna: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        wantedDescription: { type: DataTypes.TEXT, allowNull: false, defaultValue: '' },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'listings', underscored: true },
    );
    return Listing;
  }
}
