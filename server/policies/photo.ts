import { PHOTO_STATUS } from '../../models/listing-photo';
import type { Rule } from './index';
import { listingRules } from './listing';
import { actsAsModerator } from './moderator';

interface PhotoTarget { status: string }

// A listing's photos follow their listing: whoever may see the listing sees its visible
// photos (so a paused listing's photo is not found by others, like the listing); only
// its owner, while they may edit it, adds, orders, describes and deletes them; a photo
// hidden by moderators is seen by its owner (with the reason) and moderators only.
export const photoRules: Record<string, Rule> = {
  'photo.manage': (actor, listing) => listingRules['listing.edit']!(actor, listing),
  'photo.view': (actor, t?: { listing: unknown; photo: PhotoTarget }) =>
    !!t && listingRules['listing.view']!(actor, t.listing)
    && (t.photo.status === PHOTO_STATUS.VISIBLE || listingRules['listing.seeModeration']!(actor, t.listing)),
  'admin.photo.hide': (actor, photo?: PhotoTarget) => actsAsModerator(actor) && photo?.status === PHOTO_STATUS.VISIBLE,
  'admin.photo.restore': (actor, photo?: PhotoTarget) => actsAsModerator(actor) && photo?.status === PHOTO_STATUS.HIDDEN,
};
