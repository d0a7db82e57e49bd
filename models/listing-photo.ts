import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

import { PHOTO_STATUS, type PhotoStatus } from '../server/types/constants';

export { PHOTO_STATUS, type PhotoStatus };

/**
 * One photo of a listing: the board's two re-encodings (WebP, no metadata), never the
 * uploaded file. `key` names it in its URL. Deleted with its listing (foreign key).
 */
export class ListingPhoto extends Model<InferAttributes<ListingPhoto>, InferCreationAttributes<ListingPhoto>> {
  declare id: CreationOptional<number>;
  declare listingId: number;
  declare key: string;
  declare position: number;
  declare isCover: CreationOptional<boolean>;
  declare altText: string;
  declare width: number;
  declare height: number;
  declare thumbWidth: number;
  declare thumbHeight: number;
  declare large: Buffer;
  declare thumb: Buffer;
  declare status: CreationOptional<PhotoStatus>;
  declare hiddenReason: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof ListingPhoto {
    ListingPhoto.init(
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        listingId: { type: DataTypes.INTEGER, allowNull: false },
        key: { type: DataTypes.STRING(64), allowNull: false, unique: true },
        position: { type: DataTypes.INTEGER, allowNull: false },
        isCover: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        altText: { type: DataTypes.STRING(300), allowNull: false },
        width: { type: DataTypes.INTEGER, allowNull: false },
        height: { type: DataTypes.INTEGER, allowNull: false },
        thumbWidth: { type: DataTypes.INTEGER, allowNull: false },
        thumbHeight: { type: DataTypes.INTEGER, allowNull: false },
        large: { type: DataTypes.BLOB, allowNull: false },
        thumb: { type: DataTypes.BLOB, allowNull: false },
        status: { type: DataTypes.STRING(10), allowNull: false, defaultValue: PHOTO_STATUS.VISIBLE },
        hiddenReason: { type: DataTypes.STRING(500), allowNull: true, defaultValue: null },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'listing_photos', underscored: true },
    );
    return ListingPhoto;
  }
}

/** The columns of a photo without its bytes: what pages and cards need. */
export const PHOTO_META = [
  'id',
  'listingId',
  'key',
  'position',
  'isCover',
  'altText',
  'width',
  'height',
  'thumbWidth',
  'thumbHeight',
  'status',
  'hiddenReason',
] as const;
export type PhotoMeta = Pick<ListingPhoto, (typeof PHOTO_META)[number]>;
