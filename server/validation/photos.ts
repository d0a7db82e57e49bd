import type { FieldErrors } from '../errors';
import { PHOTO_LIMITS } from '../services/photo-images';
import { hasBadCharacters } from './index';

// The text of the photo forms: each slot's alt text (photo_N_alt), and the alt text of
// one photo on the photos page. The files themselves are judged by the image library
// (services/photo-images.ts), never here.

/** An alt text's error key, or null when it will do. */
export function altTextError(raw: unknown): string | null {
  const alt = typeof raw === 'string' ? raw.trim() : '';
  if (alt === '') return 'photos:errors.alt_required';
  if (alt.length > PHOTO_LIMITS.altText || hasBadCharacters(alt)) return 'photos:errors.alt_invalid';
  return null;
}

/**
 * The slots' alt texts, trimmed, by slot number, with an error for any that is too long
 * or holds control characters. Whether a slot needs one (a file was chosen) is for the
 * photo service to say.
 */
export function parsePhotoAlts(body: unknown): { alts: Record<number, string>; errors: FieldErrors } {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const alts: Record<number, string> = {};
  const errors: FieldErrors = {};
  for (let n = 1; n <= PHOTO_LIMITS.perListing; n++) {
    const raw = b[`photo_${n}_alt`];
    const alt = typeof raw === 'string' ? raw.trim() : '';
    alts[n] = alt;
    if (alt !== '' && altTextError(alt)) errors[`photo_${n}_alt`] = altTextError(alt)!;
  }
  return { alts, errors };
}
