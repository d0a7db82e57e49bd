import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type Sequelize,
} from 'sequelize';

// A search a tenant saved from the search page (at most five), with its alert choice
// (migration 20261201020000-alerts).
export class SavedSearch extends Model<InferAttributes<SavedSearch>, InferCreationAttributes<SavedSearch>> {
  declare id: CreationOptional<number>;
  declare userId: number;
  /** The tenant's own label; empty means "show the filters". */
  declare name: CreationOptional<string>;
  /** The filters as JSON (server/services/alerts.ts SavedFilters). */
  declare filters: string;
  /** E-mail new listings that match. */
  declare alert: CreationOptional<boolean>;
  /** The highest listing id already looked at for this search: later ones are new. */
  declare seenListingId: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof SavedSearch {
    SavedSearch.init(
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        userId: { type: DataTypes.INTEGER, allowNull: false },
        name: { type: DataTypes.STRING(80), allowNull: false, defaultValue: '' },
        filters: { type: DataTypes.TEXT, allowNull: false },
        alert: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        seenListingId: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'saved_searches', underscored: true },
    );
    return SavedSearch;
  }
}
