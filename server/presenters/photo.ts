import type { User } from '../../models/user';
import { PHOTO_STATUS } from '../../models/listing-photo';
import { can } from '../policies';
import { photoPath } from '../services/photo-images';
import { coverOf, type PhotoMeta } from '../services/photos';

// What a page may show of a listing's photos: visible photos to everyone who may see the
// listing; a photo hidden by moderators only to the listing's owner (with the reason)
// and to moderators.

export interface PhotoView {
  id: number;
  src: string;
  thumbSrc: string;
  alt: string;
  width: number;
  height: number;
  thumbWidth: number;
  thumbHeight: number;
  position: number;
  isCover: boolean;
  hidden: boolean;
  /** null unless the viewer is the owner or a moderator. */
  hiddenReason: string | null;
}

interface ListingRef {
  userId?: number;
  ownerId?: number;
  status: string;
}

export function presentPhoto(p: PhotoMeta): PhotoView {
  return {
    id: p.id,
    src: photoPath(p.key, 'large'),
    thumbSrc: photoPath(p.key, 'thumb'),
    alt: p.altText,
    width: p.width,
    height: p.height,
    thumbWidth: p.thumbWidth,
    thumbHeight: p.thumbHeight,
    position: p.position,
    isCover: !!p.isCover,
    hidden: p.status === PHOTO_STATUS.HIDDEN,
    hiddenReason: p.hiddenReason,
  };
}

/** The photos this viewer may see, in order. */
export function presentPhotos(photos: PhotoMeta[], listing: ListingRef, viewer: User | undefined): PhotoView[] {
  const seesHidden = can(viewer, 'listing.seeModeration', listing);
  return photos
    .filter((p) => p.status === PHOTO_STATUS.VISIBLE || seesHidden)
    .map((p) => {
      const view = presentPhoto(p);
      return seesHidden ? view : { ...view, hiddenReason: null };
    });
}

/** The card's picture: the cover among the visible photos, or null. */
export function presentCover(photos: PhotoMeta[] | undefined): PhotoView | null {
  const cover = photos ? coverOf(photos) : null;
  return cover ? { ...presentPhoto(cover), hiddenReason: null } : null;
}
