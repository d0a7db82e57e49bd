/* eslint-disable @typescript-eslint/no-require-imports */
import zlib from 'node:zlib';
import sharp from 'sharp';

// Hostile and ordinary uploads for the photo tests, built with libraries that write the
// formats (sharp, piexifjs, the png-chunks packages, gifenc) rather than by hand.

const piexif = require('piexifjs') as {
  dump(exif: Record<string, unknown>): string;
  insert(exif: string, jpeg: string): string;
  ImageIFD: Record<string, number>;
  GPSIFD: Record<string, number>;
  ExifIFD: Record<string, number>;
};
const encodeChunks = require('png-chunks-encode') as (chunks: { name: string; data: Uint8Array }[]) => Uint8Array;
const extractChunks = require('png-chunks-extract') as (png: Uint8Array) => { name: string; data: Uint8Array }[];
const textChunk = require('png-chunk-text') as { encode(keyword: string, text: string): { name: string; data: Uint8Array } };
const { GIFEncoder, quantize, applyPalette } = require('gifenc') as {
  GIFEncoder(): {
    writeFrame(index: Uint8Array, w: number, h: number, o: { palette: number[][]; delay?: number }): void;
    finish(): void;
    bytes(): Uint8Array;
  };
  quantize(rgba: Uint8Array, n: number): number[][];
  applyPalette(rgba: Uint8Array, palette: number[][]): Uint8Array;
};

/** Marks written into the metadata; none may come out of the board. */
export const CAMERA_MODEL = 'QuokkaCam Z9 serial 4711-ZANZIBAR';
export const PNG_TEXT = 'Secret address: Quokkagatan 7 B 42, 00950 Helsinki';

/** A photo-like picture: a gradient with some noise, so it is not trivially compressible. */
export async function plainJpeg(width = 800, height = 600, seed = 1): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let x = seed * 2654435761;
  for (let i = 0; i < raw.length; i += 3) {
    x = (x * 1103515245 + 12345) >>> 0;
    const p = i / 3;
    raw[i] = ((p % width) * 255) / width + (x & 15);
    raw[i + 1] = (Math.floor(p / width) * 255) / height;
    raw[i + 2] = (x >>> 8) & 127;
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/**
 * A JPEG as a phone writes it: EXIF with the camera model, GPS coordinates, the time,
 * an orientation (rotated 90°) and an embedded thumbnail.
 */
export async function phoneJpeg(): Promise<Buffer> {
  const main = await plainJpeg(640, 480, 7);
  const thumb = await sharp(await plainJpeg(160, 120, 9))
    .jpeg({ quality: 50 })
    .toBuffer();
  const exif = piexif.dump({
    '0th': {
      [piexif.ImageIFD.Make!]: 'Quokka Inc.',
      [piexif.ImageIFD.Model!]: CAMERA_MODEL,
      [piexif.ImageIFD.Orientation!]: 6,
      [piexif.ImageIFD.DateTime!]: '2026:11:30 08:15:00',
    },
    Exif: { [piexif.ExifIFD.DateTimeOriginal!]: '2026:11:30 08:15:00' },
    GPS: {
      [piexif.GPSIFD.GPSLatitudeRef!]: 'N',
      [piexif.GPSIFD.GPSLatitude!]: [
        [60, 1],
        [10, 1],
        [3512, 100],
      ],
      [piexif.GPSIFD.GPSLongitudeRef!]: 'E',
      [piexif.GPSIFD.GPSLongitude!]: [
        [24, 1],
        [56, 1],
        [1234, 100],
      ],
    },
    '1st': { [piexif.ImageIFD.Compression!]: 6 },
    thumbnail: thumb.toString('latin1'),
  });
  return Buffer.from(piexif.insert(exif, main.toString('latin1')), 'latin1');
}

/** A PNG with a tEXt chunk holding an address. */
export async function pngWithText(): Promise<Buffer> {
  const png = await sharp(await plainJpeg(320, 240, 3))
    .png()
    .toBuffer();
  const chunks = extractChunks(png);
  chunks.splice(-1, 0, textChunk.encode('Comment', PNG_TEXT));
  return Buffer.from(encodeChunks(chunks));
}

/**
 * A decompression bomb: a valid 20,000 × 20,000 PNG (1-bit grey, all black) of a few
 * tens of kilobytes that would decode to 400 million pixels.
 */
export function pixelBombPng(side = 20_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const row = Buffer.alloc(1 + Math.ceil(side / 8)); // filter byte 0 + zeros
  const deflate = zlib.createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (c: Buffer) => parts.push(c));
  for (let y = 0; y < side; y++) deflate.write(row);
  deflate.end();
  // zlib's stream is synchronous enough with flushSync; collect by deflateSync instead.
  const data = zlib.deflateSync(Buffer.concat(Array.from({ length: side }, () => row)), { level: 9 });
  deflate.destroy();
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const rest = encodeChunks([
    { name: 'IHDR', data: ihdr },
    { name: 'IDAT', data },
    { name: 'IEND', data: new Uint8Array(0) },
  ]);
  return Buffer.concat([sig, Buffer.from(rest).subarray(8)]);
}

/** A two-frame animated GIF. */
export function animatedGif(): Buffer {
  const w = 32;
  const h = 32;
  const gif = GIFEncoder();
  for (const colour of [
    [255, 0, 0],
    [0, 0, 255],
  ]) {
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([...colour, 255], i * 4);
    const palette = quantize(rgba, 4);
    gif.writeFrame(applyPalette(rgba, palette), w, h, { palette, delay: 200 });
  }
  gif.finish();
  return Buffer.from(gif.bytes());
}

/** A PDF named like a photo. */
export function pdfBytes(): Buffer {
  return Buffer.from(
    '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
  );
}
