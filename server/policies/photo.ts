import { PHOTO_STATUS } from '../types/constants';
import { actsAsModerator, allow, deny, type Actor, type Decision, type Rule } from './decision';
import { listingRules } from './listing';

interface PhotoTarget {
  status: string;
}

// A listing's photos follow their listing (docs/photos.md): whoever may see the listing
// sees its visible photos (so a paused listing's photo is not found by others, like the
// listing); only its owner, while they may edit it, adds, orders, describes and deletes
// them; a photo hidden by moderators is seen by its owner (with the reason) and
// moderators only.
function view(actor: Actor, t?: { listing: unknown; photo: PhotoTarget }): Decision {
  if (!t) return deny('not_visible');
  const listing = listingRules['listing.view']!(actor, t.listing);
  if (!listing.ok) return listing;
  if (t.photo.status === PHOTO_STATUS.VISIBLE) return allow;
  return listingRules['listing.seeModeration']!(actor, t.listing).ok ? allow : deny('not_visible');
}

function moderate(inState: string): Rule {
  return (actor, photo?: PhotoTarget) => {
    if (!actsAsModerator(actor)) return deny('not_moderator');
    return photo?.status === inState ? allow : deny('wrong_state');
  };
}

export const photoRules: Record<string, Rule> = {
  'photo.manage': (actor, listing) => listingRules['listing.edit']!(actor, listing),
  'photo.view': view,
  'admin.photo.hide': moderate(PHOTO_STATUS.VISIBLE),
  'admin.photo.restore': moderate(PHOTO_STATUS.HIDDEN),
};
