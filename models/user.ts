import {
  DataTypes,
  Model,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  type NonAttribute,
  type Sequelize,
} from 'sequelize';

import { LOCALES, ROLES, type Locale, type Role } from '../server/types/constants';

export { LOCALES, ROLES, type Locale, type Role };

export class User extends Model<InferAttributes<User>, InferCreationAttributes<User>> {
  declare id: CreationOptional<number>;
  declare username: string;
  // Lower-cased copy: usernames are unique ignoring case on both databases.
  declare usernameLower: string;
  declare email: string;
  declare emailVerifiedAt: Date | null;
  // A new address waits here until its owner clicks the link sent to it.
  declare pendingEmail: string | null;
  declare phone: string | null;
  declare showPhone: CreationOptional<boolean>;
  declare passwordHash: string;
  declare role: CreationOptional<Role>;
  declare locale: CreationOptional<Locale>;
  declare notifyMessages: CreationOptional<boolean>;
  declare emailsEnabled: CreationOptional<boolean>;
  declare suspendedAt: Date | null;
  declare suspendedReason: string | null;
  declare totpSecret: string | null;
  declare totpLastStep: number | null;
  // When the moderator first signed in with a code (migration 20261128050000-moderation).
  declare totpConfirmedAt: CreationOptional<Date | null>;
  declare lastLoginAt: Date;
  // The purge deadline for which the 14-day warning was sent, so it goes out once.
  declare purgeWarningFor: Date | null;
  /**
   * Not stored: set on each request for the signed-in user, true when this session has
   * passed the second factor. Moderator powers in the policies need it, not the role alone.
   */
  declare secondFactorPassed?: NonAttribute<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;

  static initModel(sequelize: Sequelize): typeof User {
    User.init(
      {
        id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
        username: { type: DataTypes.STRING(30), allowNull: false },
        usernameLower: { type: DataTypes.STRING(30), allowNull: false, unique: true },
        email: { type: DataTypes.STRING(254), allowNull: false, unique: true },
        emailVerifiedAt: { type: DataTypes.DATE, allowNull: true },
        pendingEmail: { type: DataTypes.STRING(254), allowNull: true },
        phone: { type: DataTypes.STRING(20), allowNull: true },
        showPhone: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        passwordHash: { type: DataTypes.STRING(255), allowNull: false },
        role: { type: DataTypes.STRING(10), allowNull: false, defaultValue: 'tenant' },
        locale: { type: DataTypes.STRING(2), allowNull: false, defaultValue: 'sv' },
        notifyMessages: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
        emailsEnabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
        suspendedAt: { type: DataTypes.DATE, allowNull: true },
        suspendedReason: { type: DataTypes.STRING(500), allowNull: true },
        totpSecret: { type: DataTypes.STRING(64), allowNull: true },
        totpLastStep: { type: DataTypes.BIGINT, allowNull: true },
        totpConfirmedAt: { type: DataTypes.DATE, allowNull: true },
        lastLoginAt: { type: DataTypes.DATE, allowNull: false },
        purgeWarningFor: { type: DataTypes.DATE, allowNull: true },
        createdAt: DataTypes.DATE,
        updatedAt: DataTypes.DATE,
      },
      { sequelize, tableName: 'users', underscored: true },
    );
    return User;
  }

  get isAdmin(): NonAttribute<boolean> {
    return this.role === 'admin';
  }
  get isVerified(): NonAttribute<boolean> {
    return this.emailVerifiedAt !== null;
  }
  get isSuspended(): NonAttribute<boolean> {
    return this.suspendedAt !== null;
  }
}
