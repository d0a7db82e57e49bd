import { LISTING_STATUS } from '../../models/listing';
import type { Actor, Rule } from './index';
import { actsAsModerator } from './moderator';

/** What the listing rules need: a listing model or a presented listing. */
interface ListingTarget {
  status: string;
  userId?: number;
  ownerId?: number;
  owner?: { showPhone?: boolean } | null;
}

const ownerId = (l?: ListingTarget) => l?.userId ?? l?.ownerId;
const isOwner = (actor: Actor, l?: ListingTarget) => !!actor && !!l && ownerId(l) === actor.id;
const isActive = (l?: ListingTarget) => !!l && l.status === LISTING_STATUS.ACTIVE;
const isOther = (actor: Actor, l?: ListingTarget) => !!actor && !!l && ownerId(l) !== actor.id;

// Listings (SPEC §4, §6). Everyone sees active listings; a paused, hidden or removed
// one only its owner (and moderators). Only the owner changes a listing; a hidden one
// stays hidden when edited, and a removed one can only be deleted. Saving and reporting
// are for signed-in tenants other than the owner.
export const listingRules: Record<string, Rule> = {
  'listing.view': (actor, l?: ListingTarget) => isActive(l) || isOwner(actor, l) || actsAsModerator(actor),
  // Publishing waits for a verified address (SPEC §5).
  'listing.create': (actor) => !!actor && actor.isVerified && !actor.isSuspended,
  'listing.edit': (actor, l?: ListingTarget) => isOwner(actor, l) && l!.status !== LISTING_STATUS.REMOVED,
  'listing.pause': (actor, l?: ListingTarget) => isOwner(actor, l) && l!.status === LISTING_STATUS.ACTIVE,
  'listing.resume': (actor, l?: ListingTarget) => isOwner(actor, l) && l!.status === LISTING_STATUS.PAUSED,
  'listing.delete': (actor, l?: ListingTarget) => isOwner(actor, l),
  'listing.requestReview': (actor, l?: ListingTarget) => isOwner(actor, l) && l!.status === LISTING_STATUS.HIDDEN,
  'listing.favourite': (actor, l?: ListingTarget) => isOther(actor, l) && isActive(l),
  'listing.report': (actor, l?: ListingTarget) => isOther(actor, l) && isActive(l),
  // Who posted a listing is for signed-in tenants only; anonymous visitors see the flat.
  'listing.seeUsername': (actor) => !!actor,
  // The phone only when its owner chose to show it, and only to signed-in tenants.
  'listing.seePhone': (actor, l?: ListingTarget) => !!actor && (actsAsModerator(actor) || !!l?.owner?.showPhone),
  // The moderator's reason for hiding and the review request: the owner and moderators.
  'listing.seeModeration': (actor, l?: ListingTarget) => isOwner(actor, l) || actsAsModerator(actor),
};
