import type { Listing } from '../../models/listing';
import type { User } from '../../models/user';
import type { Locale } from '../i18n';
import { can } from '../policies';
import { collatorFor, districtName } from '../services/districts';
import type { ListingFormValues } from '../validation/listing';
import { presentCover, presentPhotos, type PhotoView } from './photo';

// What a page may show of a listing (docs/product.md, "Who sees what"): the flat and the wishes to everyone who
// may see the listing; the username only to signed-in tenants; the phone only when the
// owner chose to show it and only to signed-in tenants; the e-mail address never; the
// moderator's reason only to the owner (and moderators).

export interface ListingView {
  id: number;
  status: string;
  /** For policy checks in templates (`can('listing.pause', listing)`); never rendered. */
  ownerId: number;
  isOwner: boolean;
  district: string;
  districtName: string;
  postalCode: string;
  rooms: number;
  sizeM2: number;
  rentEur: number;
  floor: number | null;
  hasLift: boolean;
  hasBalcony: boolean;
  hasSauna: boolean;
  buildingType: string | null;
  availableFrom: string | null;
  description: string;
  wantedDistricts: { code: string; name: string }[];
  wantedRoomsMin: number | null;
  wantedSizeMin: number | null;
  wantedRentMax: number | null;
  wantedLift: boolean;
  wantedBalcony: boolean;
  wantedSauna: boolean;
  wantedDescription: string;
  createdAt: Date;
  updatedAt: Date;
  /** null unless the viewer is signed in. */
  username: string | null;
  /** null unless the owner shows it and the viewer is signed in. */
  phone: string | null;
  /** null unless the viewer is the owner or a moderator. */
  hiddenReason: string | null;
  reviewRequestedAt: Date | null;
  /** The photos this viewer may see, in order (empty when none were loaded). */
  photos: PhotoView[];
  /** The card's picture: the cover among the visible photos. */
  cover: PhotoView | null;
}

export function presentListing(listing: Listing, viewer: User | undefined, locale: Locale): ListingView {
  const owner = listing.owner;
  const seesModeration = can(viewer, 'listing.seeModeration', listing);
  return {
    id: listing.id,
    status: listing.status,
    ownerId: listing.userId,
    isOwner: !!viewer && viewer.id === listing.userId,
    district: listing.district,
    districtName: districtName(listing.district, locale),
    postalCode: listing.postalCode,
    rooms: listing.rooms,
    sizeM2: listing.sizeM2,
    rentEur: listing.rentEur,
    floor: listing.floor,
    hasLift: !!listing.hasLift,
    hasBalcony: !!listing.hasBalcony,
    hasSauna: !!listing.hasSauna,
    buildingType: listing.buildingType,
    availableFrom: listing.availableFrom,
    description: listing.description,
    wantedDistricts: (listing.wantedDistricts ?? [])
      .map((w) => ({ code: w.district, name: districtName(w.district, locale) }))
      .sort((a, b) => collatorFor(locale).compare(a.name, b.name)),
    wantedRoomsMin: listing.wantedRoomsMin,
    wantedSizeMin: listing.wantedSizeMin,
    wantedRentMax: listing.wantedRentMax,
    wantedLift: !!listing.wantedLift,
    wantedBalcony: !!listing.wantedBalcony,
    wantedSauna: !!listing.wantedSauna,
    wantedDescription: listing.wantedDescription,
    createdAt: listing.createdAt,
    updatedAt: listing.updatedAt,
    username: owner && can(viewer, 'listing.seeUsername', listing) ? owner.username : null,
    phone: owner && owner.phone && can(viewer, 'listing.seePhone', listing) ? owner.phone : null,
    hiddenReason: seesModeration ? listing.hiddenReason : null,
    reviewRequestedAt: seesModeration ? listing.reviewRequestedAt : null,
    photos: presentPhotos(listing.photos ?? [], listing, viewer),
    cover: presentCover(listing.photos),
  };
}

/** The owner's listing as the edit form shows it. */
export function listingFormValuesOf(listing: Listing): ListingFormValues {
  const num = (n: number | null) => (n === null ? '' : String(n));
  return {
    text: {
      district: listing.district,
      postal_code: listing.postalCode,
      rooms: String(listing.rooms),
      size_m2: String(listing.sizeM2),
      rent_eur: String(listing.rentEur),
      floor: num(listing.floor),
      building_type: listing.buildingType ?? '',
      // Shown the way Finns and Swedes write a date; the form reads this and YYYY-MM-DD alike.
      available_from: listing.availableFrom
        ? listing.availableFrom
            .split('-')
            .reverse()
            .map((x) => String(Number(x)))
            .join('.')
        : '',
      description: listing.description,
      wanted_rooms_min: num(listing.wantedRoomsMin),
      wanted_size_min: num(listing.wantedSizeMin),
      wanted_rent_max: num(listing.wantedRentMax),
      wanted_description: listing.wantedDescription,
    },
    checked: {
      has_lift: !!listing.hasLift,
      has_balcony: !!listing.hasBalcony,
      has_sauna: !!listing.hasSauna,
      wanted_lift: !!listing.wantedLift,
      wanted_balcony: !!listing.wantedBalcony,
      wanted_sauna: !!listing.wantedSauna,
    },
    wantedDistricts: (listing.wantedDistricts ?? []).map((w) => w.district),
  };
}

/**
 * What a flat offers beyond a set of wishes, as facts a tenant can check ("+11 m²",
 * "222 € under your maximum", "balcony"), shown with a match instead of a bare number.
 * A wish left empty asks for nothing, so nothing is counted against it.
 */
export interface Headroom {
  extraRooms: number;
  extraM2: number;
  underRentEur: number;
  features: ('has_lift' | 'has_balcony' | 'has_sauna')[];
}

export function presentHeadroom(
  flat: Pick<Listing, 'rooms' | 'sizeM2' | 'rentEur' | 'hasLift' | 'hasBalcony' | 'hasSauna'>,
  wishes: Pick<Listing, 'wantedRoomsMin' | 'wantedSizeMin' | 'wantedRentMax' | 'wantedLift' | 'wantedBalcony' | 'wantedSauna'>,
): Headroom {
  const features: Headroom['features'] = [];
  // A feature the tenant asked for is part of "meets your wishes"; the extras are the others.
  if (flat.hasLift && !wishes.wantedLift) features.push('has_lift');
  if (flat.hasBalcony && !wishes.wantedBalcony) features.push('has_balcony');
  if (flat.hasSauna && !wishes.wantedSauna) features.push('has_sauna');
  return {
    extraRooms: wishes.wantedRoomsMin === null ? 0 : Math.max(0, flat.rooms - wishes.wantedRoomsMin),
    extraM2: wishes.wantedSizeMin === null ? 0 : Math.max(0, flat.sizeM2 - wishes.wantedSizeMin),
    underRentEur: wishes.wantedRentMax === null ? 0 : Math.max(0, wishes.wantedRentMax - flat.rentEur),
    features,
  };
}
