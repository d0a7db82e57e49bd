import { LISTING_STATUS } from '../types/constants';
import { actsAsModerator, allow, deny, mayWrite, type Actor, type Decision, type Rule } from './decision';

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

/** Everyone sees active listings; a paused, hidden or removed one only its owner and moderators. */
function view(actor: Actor, l?: ListingTarget): Decision {
  return isActive(l) || isOwner(actor, l) || actsAsModerator(actor) ? allow : deny('not_visible');
}

/** The owner's own actions: seen, owned, and in one of the states the action applies to. */
function ownerAction(inState: (status: string) => boolean): Rule {
  return (actor, l?: ListingTarget) => {
    if (!actor) return deny('not_signed_in');
    const seen = view(actor, l);
    if (!seen.ok) return seen;
    if (!isOwner(actor, l)) return deny('not_owner');
    return inState(l!.status) ? allow : deny('wrong_state');
  };
}

/** What other signed-in tenants do with an active listing (saving, reporting). */
function othersAction(actor: Actor, l?: ListingTarget): Decision {
  if (!actor) return deny('not_signed_in');
  const seen = view(actor, l);
  if (!seen.ok) return seen;
  if (isOwner(actor, l)) return deny('own_listing');
  return isActive(l) ? allow : deny('not_active');
}

// Listings (docs/product.md, "Listings" and "Who sees what"). Only the owner changes a
// listing; a hidden one stays hidden when edited, and a removed one can only be deleted.
// Saving and reporting are for signed-in tenants other than the owner.
export const listingRules: Record<string, Rule> = {
  'listing.view': view,
  // Publishing waits for a verified address.
  'listing.create': (actor) => mayWrite(actor),
  'listing.edit': ownerAction((s) => s !== LISTING_STATUS.REMOVED),
  'listing.pause': ownerAction((s) => s === LISTING_STATUS.ACTIVE),
  'listing.resume': ownerAction((s) => s === LISTING_STATUS.PAUSED),
  'listing.delete': ownerAction(() => true),
  'listing.requestReview': ownerAction((s) => s === LISTING_STATUS.HIDDEN),
  'listing.favourite': othersAction,
  // Taking a listing off one's own list is always allowed, whatever its state now, but
  // a listing the tenant may not see (and has not saved) is still not found.
  'listing.unfavourite': (actor, t?: { listing: ListingTarget; saved: boolean }) => {
    if (!actor) return deny('not_signed_in');
    return t?.saved ? allow : view(actor, t?.listing);
  },
  'listing.report': othersAction,
  // Who posted a listing is for signed-in tenants only; anonymous visitors see the flat.
  'listing.seeUsername': (actor) => (actor ? allow : deny('not_signed_in')),
  // The phone only when its owner chose to show it, and only to signed-in tenants.
  'listing.seePhone': (actor, l?: ListingTarget) => {
    if (!actor) return deny('not_signed_in');
    return actsAsModerator(actor) || l?.owner?.showPhone ? allow : deny('phone_hidden');
  },
  // The moderator's reason for hiding and the review request: the owner and moderators.
  'listing.seeModeration': (actor, l?: ListingTarget) =>
    isOwner(actor, l) || actsAsModerator(actor) ? allow : deny('not_owner'),
};
