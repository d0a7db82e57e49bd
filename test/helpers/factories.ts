import { Listing } from '../../models/listing';
import { ListingWantedDistrict } from '../../models/listing-wanted-district';
import { User, type Locale, type Role } from '../../models/user';
import { hashPassword } from '../../server/auth/passwords';
import { refreshListingEdges } from '../../server/services/match-graph';
import { context } from './context';

export const DEFAULT_PASSWORD = 'correct horse battery staple';

let defaultHash: Promise<string> | undefined;
function hashFor(password: string): Promise<string> {
  const { config } = context();
  if (password === DEFAULT_PASSWORD) {
    defaultHash ??= hashPassword(DEFAULT_PASSWORD, config);
    return defaultHash;
  }
  return hashPassword(password, config);
}

let seq = 0;
export function unique(prefix: string): string {
  seq += 1;
  return `${prefix}${seq}`;
}

export interface UserOptions {
  username?: string;
  email?: string;
  phone?: string | null;
  password?: string;
  verified?: boolean;
  role?: Role;
  locale?: Locale;
  lastLoginAt?: Date;
  suspended?: string;
  showPhone?: boolean;
  notifyMessages?: boolean;
  totpSecret?: string | null;
}

export async function createUser(opts: UserOptions = {}): Promise<User> {
  const username = opts.username ?? unique('tenant');
  const now = context().clock.now();
  return User.create({
    username,
    usernameLower: username.toLowerCase(),
    email: (opts.email ?? `${username}@example.fi`).toLowerCase(),
    emailVerifiedAt: opts.verified === false ? null : now,
    pendingEmail: null,
    phone: opts.phone ?? null,
    showPhone: opts.showPhone ?? false,
    passwordHash: await hashFor(opts.password ?? DEFAULT_PASSWORD),
    role: opts.role ?? 'tenant',
    locale: opts.locale ?? 'sv',
    notifyMessages: opts.notifyMessages ?? false,
    suspendedAt: opts.suspended ? now : null,
    suspendedReason: opts.suspended ?? null,
    totpSecret: opts.totpSecret ?? null,
    totpLastStep: null,
    lastLoginAt: opts.lastLoginAt ?? now,
    purgeWarningFor: null,
  });
}

export interface ListingOptions {
  status?: 'active' | 'paused' | 'hidden' | 'removed';
  district?: string;
  postalCode?: string;
  rooms?: number;
  sizeM2?: number;
  rentEur?: number;
  hasLift?: boolean;
  hasBalcony?: boolean;
  hasSauna?: boolean;
  description?: string;
  wantedDistricts?: string[];
  wantedRoomsMin?: number | null;
  wantedSizeMin?: number | null;
  wantedRentMax?: number | null;
  wantedLift?: boolean;
  wantedBalcony?: boolean;
  wantedSauna?: boolean;
  wantedDescription?: string;
  hiddenReason?: string | null;
  createdAt?: Date;
}

/** A listing for `owner` (a verified tenant is created when none is given). */
export async function createListing(owner?: User, opts: ListingOptions = {}): Promise<Listing> {
  const user = owner ?? (await createUser());
  const listing = await Listing.create({
    userId: user.id,
    status: opts.status ?? 'active',
    hiddenReason: opts.hiddenReason ?? null,
    reviewRequestedAt: null,
    district: opts.district ?? 'kallio',
    postalCode: opts.postalCode ?? '00530',
    rooms: opts.rooms ?? 2,
    sizeM2: opts.sizeM2 ?? 48,
    rentEur: opts.rentEur ?? 780,
    floor: 3,
    hasLift: opts.hasLift ?? false,
    hasBalcony: opts.hasBalcony ?? false,
    hasSauna: opts.hasSauna ?? false,
    buildingType: 'block',
    availableFrom: null,
    description: opts.description ?? 'Bright two-room flat near the park.',
    wantedRoomsMin: opts.wantedRoomsMin ?? null,
    wantedSizeMin: opts.wantedSizeMin ?? null,
    wantedRentMax: opts.wantedRentMax ?? null,
    wantedLift: opts.wantedLift ?? false,
    wantedBalcony: opts.wantedBalcony ?? false,
    wantedSauna: opts.wantedSauna ?? false,
    wantedDescription: opts.wantedDescription ?? '',
    ...(opts.createdAt ? { createdAt: opts.createdAt } : {}),
  });
  const wanted = opts.wantedDistricts ?? ['vallila'];
  await ListingWantedDistrict.bulkCreate(wanted.map((district) => ({ listingId: listing.id, district })));
  // Written straight to the tables, so the match graph is brought up to date as the
  // listing service would do it.
  const { sequelize } = context().db;
  await sequelize.transaction((transaction) => refreshListingEdges(sequelize, listing.id, transaction));
  return listing;
}
