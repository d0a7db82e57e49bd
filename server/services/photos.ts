import { Op, QueryTypes, type Transaction } from 'sequelize';
import { AuditLog } from '../../models/audit-log';
import { LISTING_STATUS, Listing } from '../../models/listing';
import { ListingPhoto, PHOTO_META, PHOTO_STATUS, type PhotoMeta } from '../../models/listing-photo';
import type { User } from '../../models/user';
import type { PhotoUpload } from '../types/domain';
import type { AppDeps } from '../context';
import { AppError, NotFound, type FieldErrors } from '../errors';
import { AUDIT_ACTIONS } from './moderation';
import { PHOTO_LIMITS, PhotoRefused, processPhoto, type ProcessedPhoto } from './photo-images';

// A listing's photos (the board's re-encodings, see photo-images.ts): adding them from a
// form, the owner's order / cover / alt text / deletion, moderators hiding one, and the
// bytes for the photo URLs. The rows go with their listing through its foreign key, in
// the same statement that deletes the listing (and so in the account erasure's and the
// purge's transactions); on SQLite secure_delete zeroes the freed pages and the WAL is
// checkpointed after deletions, so a deleted photo leaves nothing on disk.

const META = PHOTO_META;
export type { PhotoMeta };

/** One photo the form brought, processed and ready to be stored with its alt text. */
export interface PreparedPhoto extends ProcessedPhoto {
  altText: string;
}

export interface PreparedUpload {
  photos: PreparedPhoto[];
  /** Field name → i18n key, next to the file or alt-text field it is about. */
  errors: FieldErrors;
}

/** The photo slots of a form: photo_1 … photo_8, each with photo_N_alt. */
export function slotFields(n: number): { file: string; alt: string } {
  return { file: `photo_${n}`, alt: `photo_${n}_alt` };
}

const REFUSAL_KEYS: Record<string, string> = {
  not_image: 'photos:errors.not_image',
  too_many_pixels: 'photos:errors.too_many_pixels',
  animated: 'photos:errors.animated',
  empty: 'photos:errors.empty',
  too_large: 'photos:errors.too_large',
};

/** Picks a listing's cover: the one marked (when visible), else the first visible one. */
export function coverOf<P extends Pick<PhotoMeta, 'isCover' | 'status' | 'position'>>(photos: P[]): P | null {
  const visible = photos.filter((p) => p.status === PHOTO_STATUS.VISIBLE).sort((a, b) => a.position - b.position);
  return visible.find((p) => p.isCover) ?? visible[0] ?? null;
}

export function createPhotoService(deps: AppDeps) {
  const { db, clock, logger } = deps;
  const sequelize = db.sequelize;

  async function countFor(listingId: number, transaction?: Transaction): Promise<number> {
    return ListingPhoto.count({ where: { listingId }, transaction });
  }

  async function renumber(listingId: number, ordered: number[], transaction: Transaction): Promise<void> {
    for (let i = 0; i < ordered.length; i++) {
      await ListingPhoto.update({ position: i + 1 }, { where: { id: ordered[i]!, listingId }, transaction });
    }
  }

  return {
    /**
     * Reads the photo slots of a submitted form: every chosen file is decoded and
     * re-encoded, each refused one gets its own message next to its field, and each needs
     * its alt text. `existing` is how many photos the listing has already.
     */
    async prepare(upload: PhotoUpload | undefined, alts: Record<number, string>, existing: number): Promise<PreparedUpload> {
      const errors: FieldErrors = {};
      const photos: PreparedPhoto[] = [];
      if (!upload) return { photos, errors };
      if (upload.tooManyFiles) errors.photos = 'photos:errors.too_many';
      const chosen = upload.files.filter((f) => f.filename !== '' || f.data.length > 0 || f.tooLarge);
      if (existing + chosen.length > PHOTO_LIMITS.perListing) errors.photos = 'photos:errors.too_many';
      for (const file of chosen) {
        const m = /^photo_(\d)$/.exec(file.field);
        const field = m ? file.field : 'photos';
        const altText = m ? (alts[Number(m[1])] ?? '') : '';
        const altField = m ? slotFields(Number(m[1])).alt : 'photos';
        // Its length and characters are the form's to check (validation/photos.ts).
        if (altText === '') errors[altField] ??= 'photos:errors.alt_required';
        if (file.tooLarge) {
          errors[field] ??= REFUSAL_KEYS.too_large!;
          continue;
        }
        try {
          photos.push({ ...(await processPhoto(file.data)), altText });
        } catch (err) {
          if (!(err instanceof PhotoRefused)) throw err;
          errors[field] ??= REFUSAL_KEYS[err.reason]!;
        }
      }
      return { photos: Object.keys(errors).length > 0 ? [] : photos, errors };
    },

    /**
     * Stores prepared photos after the listing's others, inside the caller's transaction
     * (the listing form saves the listing and its new photos together). The first photo
     * a listing gets is its cover. Refused when they would make more than 8.
     */
    async addAll(listingId: number, photos: PreparedPhoto[], transaction: Transaction): Promise<void> {
      if (photos.length === 0) return;
      const existing = await ListingPhoto.findAll({
        where: { listingId },
        attributes: ['id', 'position', 'isCover'],
        transaction,
      });
      if (existing.length + photos.length > PHOTO_LIMITS.perListing) throw new AppError(422, 'photos:errors.too_many');
      let position = existing.reduce((max, p) => Math.max(max, p.position), 0);
      const hasCover = existing.some((p) => p.isCover);
      const now = clock();
      await ListingPhoto.bulkCreate(
        photos.map((p, i) => ({
          listingId,
          key: p.key,
          position: ++position,
          isCover: !hasCover && i === 0,
          altText: p.altText,
          width: p.width,
          height: p.height,
          thumbWidth: p.thumbWidth,
          thumbHeight: p.thumbHeight,
          large: p.large,
          thumb: p.thumb,
          status: PHOTO_STATUS.VISIBLE,
          hiddenReason: null,
          createdAt: now,
          updatedAt: now,
        })),
        { transaction },
      );
      logger.info({ listingId, photos: photos.length }, 'photos added');
    },

    /** Adds photos in their own transaction (the photos page). */
    async add(listing: Listing, photos: PreparedPhoto[]): Promise<void> {
      await sequelize.transaction((transaction) => this.addAll(listing.id, photos, transaction));
    },

    countFor,

    /** A listing's photos in order, without their bytes. */
    async forListing(listingId: number): Promise<PhotoMeta[]> {
      return ListingPhoto.findAll({
        where: { listingId },
        attributes: [...META],
        order: [
          ['position', 'ASC'],
          ['id', 'ASC'],
        ],
      });
    },

    /** The photos of many listings at once (cards): listing id → its photos in order. */
    async forListings(listingIds: number[]): Promise<Map<number, PhotoMeta[]>> {
      const out = new Map<number, PhotoMeta[]>();
      if (listingIds.length === 0) return out;
      const rows = await ListingPhoto.findAll({
        where: { listingId: { [Op.in]: listingIds } },
        attributes: [...META],
        order: [
          ['position', 'ASC'],
          ['id', 'ASC'],
        ],
      });
      for (const r of rows) {
        const list = out.get(r.listingId) ?? [];
        list.push(r);
        out.set(r.listingId, list);
      }
      return out;
    },

    async find(listingId: number, photoId: number): Promise<PhotoMeta | null> {
      return ListingPhoto.findOne({ where: { id: photoId, listingId }, attributes: [...META] });
    },

    /**
     * One photo's bytes for its URL, with what decides who may see it: the listing's
     * state and owner, and the photo's own state.
     */
    async bytes(key: string, size: 'large' | 'thumb') {
      const column = size === 'large' ? 'large' : 'thumb';
      const [row] = await sequelize.query<{ bytes: Buffer; status: string; listing_status: string; user_id: number | string }>(
        `SELECT p.${column} AS bytes, p.status AS status, l.status AS listing_status, l.user_id AS user_id
           FROM listing_photos p JOIN listings l ON l.id = p.listing_id
          WHERE p.key = :key`,
        { type: QueryTypes.SELECT, replacements: { key } },
      );
      if (!row) return null;
      return {
        bytes: Buffer.isBuffer(row.bytes) ? row.bytes : Buffer.from(row.bytes as unknown as Uint8Array),
        photoVisible: row.status === PHOTO_STATUS.VISIBLE,
        listing: { status: row.listing_status, userId: Number(row.user_id) },
        /** Anyone may see it: a visible photo of an active listing. */
        isPublic: row.status === PHOTO_STATUS.VISIBLE && row.listing_status === LISTING_STATUS.ACTIVE,
      };
    },

    async setAlt(photo: PhotoMeta, altText: string): Promise<void> {
      await ListingPhoto.update({ altText, updatedAt: clock() }, { where: { id: photo.id } });
    },

    async makeCover(photo: PhotoMeta): Promise<void> {
      await sequelize.transaction(async (transaction) => {
        await ListingPhoto.update({ isCover: false }, { where: { listingId: photo.listingId }, transaction });
        await ListingPhoto.update({ isCover: true }, { where: { id: photo.id }, transaction });
      });
    },

    /** Moves a photo one place earlier or later in its listing's order. */
    async move(photo: PhotoMeta, direction: 'up' | 'down'): Promise<void> {
      await sequelize.transaction(async (transaction) => {
        const ids = (
          await ListingPhoto.findAll({
            where: { listingId: photo.listingId },
            attributes: ['id'],
            order: [
              ['position', 'ASC'],
              ['id', 'ASC'],
            ],
            transaction,
          })
        ).map((p) => p.id);
        const i = ids.indexOf(photo.id);
        const j = direction === 'up' ? i - 1 : i + 1;
        if (i < 0 || j < 0 || j >= ids.length) return;
        [ids[i], ids[j]] = [ids[j]!, ids[i]!];
        await renumber(photo.listingId, ids, transaction);
      });
    },

    /** Deletes one photo; the next one becomes the cover if this was it. Nothing stays on disk. */
    async remove(photo: PhotoMeta): Promise<void> {
      await sequelize.transaction(async (transaction) => {
        await ListingPhoto.destroy({ where: { id: photo.id }, transaction });
        const rest = await ListingPhoto.findAll({
          where: { listingId: photo.listingId },
          attributes: ['id', 'isCover'],
          order: [
            ['position', 'ASC'],
            ['id', 'ASC'],
          ],
          transaction,
        });
        await renumber(
          photo.listingId,
          rest.map((p) => p.id),
          transaction,
        );
        if (rest.length > 0 && !rest.some((p) => p.isCover)) {
          await ListingPhoto.update({ isCover: true }, { where: { id: rest[0]!.id }, transaction });
        }
      });
      await db.checkpoint();
      logger.info({ listingId: photo.listingId, photoId: photo.id }, 'photo deleted');
    },

    /**
     * A moderator hides one photo (with the reason its owner is shown) or restores it.
     * The audit row and the change share one transaction; the target is the listing, so
     * the photo's history sits with its listing's in the audit log.
     */
    async moderate(actor: User, photo: PhotoMeta, action: 'hide' | 'restore', reason: string): Promise<void> {
      const hide = action === 'hide';
      await sequelize.transaction(async (transaction) => {
        await AuditLog.create(
          {
            actorId: actor.id,
            action: hide ? AUDIT_ACTIONS.HIDE_PHOTO : AUDIT_ACTIONS.RESTORE_PHOTO,
            targetType: 'listing',
            targetId: photo.listingId,
            targetLabel: `listing #${photo.listingId} photo #${photo.id}`,
            reason: reason || null,
            reportId: null,
            createdAt: clock(),
          },
          { transaction },
        );
        const [count] = await ListingPhoto.update(
          { status: hide ? PHOTO_STATUS.HIDDEN : PHOTO_STATUS.VISIBLE, hiddenReason: hide ? reason : null, updatedAt: clock() },
          { where: { id: photo.id, status: hide ? PHOTO_STATUS.VISIBLE : PHOTO_STATUS.HIDDEN }, transaction },
        );
        if (count === 0)
          throw (await ListingPhoto.count({ where: { id: photo.id }, transaction })) ? new AppError(409, 'conflict') : NotFound();
      });
      logger.info({ userId: actor.id, listingId: photo.listingId, photoId: photo.id, action }, 'moderator action');
    },

    /** The tenant's own photos for the export: every photo of their listing, with its large view. */
    async exportFor(userId: number) {
      const listing = await Listing.findOne({ where: { userId }, attributes: ['id'] });
      if (!listing) return [];
      const rows = await ListingPhoto.findAll({
        where: { listingId: listing.id },
        attributes: [...META, 'large', 'createdAt'],
        order: [
          ['position', 'ASC'],
          ['id', 'ASC'],
        ],
      });
      return rows.map((p) => ({
        position: p.position,
        cover: p.isCover,
        altText: p.altText,
        status: p.status,
        hiddenReason: p.hiddenReason,
        width: p.width,
        height: p.height,
        contentType: 'image/webp',
        createdAt: p.createdAt,
        data: Buffer.from(p.large).toString('base64'),
      }));
    },
  };
}

export type PhotoService = ReturnType<typeof createPhotoService>;
