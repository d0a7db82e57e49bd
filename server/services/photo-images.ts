import crypto from 'node:crypto';
import sharp, { type Metadata, type SharpOptions } from 'sharp';

// Turning an upload into the board's own pictures. Nothing of the uploaded file is kept:
// sharp (libvips) decodes it to pixels, applies the EXIF orientation, converts the colour
// to sRGB and encodes two new WebP files. sharp writes no metadata unless asked
// (withMetadata / keepExif / keepIccProfile are never called), so EXIF with its GPS
// position, camera and time, XMP, IPTC, comments, text chunks and embedded thumbnails
// are all left behind with the original bytes, which are dropped when the request ends.
// The kind of file is what its bytes decode as — never its name or content-type.

export const PHOTO_LIMITS = {
  /** Photos per listing. */
  perListing: 8,
  /** Bytes per uploaded file (the multipart parser stops reading after this). */
  fileBytes: 10 * 1024 * 1024,
  /**
   * Decoded pixels per image: a 60-megapixel photo decodes to about 180 MB of RGB, so a
   * small file that claims 20,000 × 20,000 pixels (a decompression bomb) is refused
   * before it is decoded.
   */
  inputPixels: 60_000_000,
  altText: 300,
  large: { width: 1600, height: 1600, quality: 80 },
  thumb: { width: 480, height: 360, quality: 72 },
} as const;

/** What the board accepts, as sharp names the decoded format. AVIF decodes as 'heif' with AV1 compression. */
export const ACCEPTED_KINDS = 'JPEG, PNG, WebP, AVIF';

export type PhotoRefusal = 'not_image' | 'too_many_pixels' | 'animated' | 'empty' | 'too_large';

export class PhotoRefused extends Error {
  constructor(readonly reason: PhotoRefusal) {
    super(reason);
    this.name = 'PhotoRefused';
  }
}

export interface ProcessedPhoto {
  /** The public name of the photo in its URLs: a hash of the large file and a random salt. */
  key: string;
  large: Buffer;
  width: number;
  height: number;
  thumb: Buffer;
  thumbWidth: number;
  thumbHeight: number;
}

// Decoding a large photo takes a few hundred megabytes for a moment; two at a time keeps
// a burst of uploads from exhausting memory (the rest wait their turn).
const MAX_AT_ONCE = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function inTurn<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await fn();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

function acceptedFormat(meta: Metadata): boolean {
  if (meta.format === 'jpeg' || meta.format === 'png' || meta.format === 'webp') return true;
  return meta.format === 'heif' && meta.compression === 'av1';
}

/** Decodes and re-encodes one upload; throws PhotoRefused with the reason a tenant is told. */
export function processPhoto(input: Buffer): Promise<ProcessedPhoto> {
  if (input.length === 0) return Promise.reject(new PhotoRefused('empty'));
  return inTurn(async () => {
    const options: SharpOptions = { limitInputPixels: PHOTO_LIMITS.inputPixels, failOn: 'error' };
    let meta: Metadata;
    try {
      // Reads the headers only; nothing is decoded yet.
      meta = await sharp(input, { ...options, limitInputPixels: false }).metadata();
    } catch {
      throw new PhotoRefused('not_image');
    }
    // Checked before the kind, so an animated GIF is told why rather than "not a photo".
    if ((meta.pages ?? 1) > 1) throw new PhotoRefused('animated');
    if (!acceptedFormat(meta)) throw new PhotoRefused('not_image');
    if (!meta.width || !meta.height) throw new PhotoRefused('not_image');
    if (meta.width * meta.height > PHOTO_LIMITS.inputPixels) throw new PhotoRefused('too_many_pixels');
    try {
      // rotate() without an angle applies the EXIF orientation to the pixels.
      const base = sharp(input, options).rotate();
      const { large: L, thumb: T } = PHOTO_LIMITS;
      const [large, thumb] = await Promise.all([
        base
          .clone()
          .resize({ width: L.width, height: L.height, fit: 'inside', withoutEnlargement: true })
          .toColourspace('srgb')
          .webp({ quality: L.quality })
          .toBuffer({ resolveWithObject: true }),
        base
          .clone()
          .resize({ width: T.width, height: T.height, fit: 'cover', position: 'centre' })
          .toColourspace('srgb')
          .webp({ quality: T.quality })
          .toBuffer({ resolveWithObject: true }),
      ]);
      const key = crypto.createHash('sha256').update(crypto.randomBytes(16)).update(large.data).digest('base64url');
      return {
        key,
        large: large.data,
        width: large.info.width,
        height: large.info.height,
        thumb: thumb.data,
        thumbWidth: thumb.info.width,
        thumbHeight: thumb.info.height,
      };
    } catch (err) {
      if (err instanceof Error && /pixel limit/i.test(err.message)) throw new PhotoRefused('too_many_pixels');
      // A file whose headers read but whose pixels do not (cut off, corrupt).
      throw new PhotoRefused('not_image');
    }
  });
}

/** A photo's URL path: the large view, or the card thumbnail. */
export function photoPath(key: string, size: 'large' | 'thumb'): string {
  return size === 'large' ? `/photos/${key}.webp` : `/photos/${key}-card.webp`;
}

/** Reads a photo URL's last segment back into its key and size; null for anything else. */
export function parsePhotoFile(file: string): { key: string; size: 'large' | 'thumb' } | null {
  const m = /^([A-Za-z0-9_-]{43})(-card)?\.webp$/.exec(file);
  return m ? { key: m[1]!, size: m[2] ? 'thumb' : 'large' } : null;
}
