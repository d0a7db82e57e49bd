import crypto from 'node:crypto';
import sharp from 'sharp';
import type { Transaction } from 'sequelize';
import type { Db } from '../models';
import { processPhoto, type ProcessedPhoto } from '../server/services/photo-images';

// Demo photos: a few generated pictures of rooms (flat shapes, no people, no text), put
// through the same pipeline as an upload, so demo data and the benchmarks have covers and
// photo URLs. The pictures are shared between listings (each row has its own key), and
// only a share of listings gets any, which keeps a 50,000-listing database small.

const ROOMS: { wall: string; floor: string; label: string }[] = [
  { wall: '#e8dcc8', floor: '#9c7a54', label: 'Living room with a window onto the yard' },
  { wall: '#dfe8ec', floor: '#b0b7bd', label: 'Kitchen with white cupboards' },
  { wall: '#f3efe6', floor: '#7f6a55', label: 'Bedroom with a wide window' },
  { wall: '#d9e4d2', floor: '#8d8a7d', label: 'Balcony with a view of trees' },
  { wall: '#ece3f0', floor: '#a39482', label: 'Hallway with a wardrobe' },
  { wall: '#e4e9f2', floor: '#c9c9c9', label: 'Bathroom with a shower' },
];

function roomSvg(i: number): Buffer {
  const r = ROOMS[i % ROOMS.length]!;
  const w = 1200;
  const h = 900;
  const win = 180 + ((i * 70) % 300);
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
  <rect width="${w}" height="${h}" fill="${r.wall}"/>
  <rect y="${h * 0.7}" width="${w}" height="${h * 0.3}" fill="${r.floor}"/>
  <rect x="${win}" y="140" width="360" height="300" fill="#bcd9ef" stroke="#fff" stroke-width="16"/>
  <line x1="${win + 180}" y1="140" x2="${win + 180}" y2="440" stroke="#fff" stroke-width="10"/>
  <rect x="${700 - ((i * 40) % 200)}" y="${h * 0.7 - 160}" width="320" height="160" rx="18" fill="#6d7f8f"/>
</svg>`);
}

/** One demo picture as a JPEG, as a tenant would upload it (the browser tests do). */
export function demoJpeg(i: number): Promise<Buffer> {
  return sharp(roomSvg(i)).jpeg({ quality: 85 }).toBuffer();
}

/** The alt text written for demo picture i. */
export function demoAltText(i: number): string {
  return ROOMS[i % ROOMS.length]!.label;
}

let made: Promise<(ProcessedPhoto & { altText: string })[]> | undefined;

/** The demo pictures, processed as uploads are (once per process: they never change). */
export function demoPictures(): Promise<(ProcessedPhoto & { altText: string })[]> {
  made ??= makeDemoPictures();
  return made;
}

async function makeDemoPictures(): Promise<(ProcessedPhoto & { altText: string })[]> {
  const out: (ProcessedPhoto & { altText: string })[] = [];
  for (let i = 0; i < ROOMS.length; i++) {
    const jpeg = await demoJpeg(i);
    out.push({ ...(await processPhoto(jpeg)), altText: ROOMS[i]!.label });
  }
  return out;
}

/**
 * Gives `share` of the listings one to three demo photos (the first the cover). Returns
 * the number of photo rows written.
 */
export async function seedPhotos(
  db: Db,
  listingIds: number[],
  random: { chance(p: number): boolean; int(min: number, max: number): number },
  transaction: Transaction,
  share = 0.2,
): Promise<number> {
  if (listingIds.length === 0) return 0;
  const pictures = await demoPictures();
  const now = new Date();
  const rows: Record<string, unknown>[] = [];
  let written = 0;
  const flush = async () => {
    if (rows.length === 0) return;
    await db.sequelize.getQueryInterface().bulkInsert('listing_photos', rows.splice(0), { transaction });
  };
  for (const listingId of listingIds) {
    if (!random.chance(share)) continue;
    const n = random.int(1, 3);
    for (let k = 0; k < n; k++) {
      const p = pictures[random.int(0, pictures.length - 1)]!;
      rows.push({
        listing_id: listingId,
        key: crypto.createHash('sha256').update(`demo:${listingId}:${k}:`).update(p.large).digest('base64url'),
        position: k + 1,
        is_cover: k === 0,
        alt_text: p.altText,
        width: p.width,
        height: p.height,
        thumb_width: p.thumbWidth,
        thumb_height: p.thumbHeight,
        large: p.large,
        thumb: p.thumb,
        status: 'visible',
        hidden_reason: null,
        created_at: now,
        updated_at: now,
      });
      written += 1;
    }
    if (rows.length >= 200) await flush();
  }
  await flush();
  return written;
}
