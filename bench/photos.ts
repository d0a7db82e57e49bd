import sharp from 'sharp';
import { processPhoto } from '../server/services/photo-images';

// npm run bench -- photos [--runs N]: how long the board takes to turn one upload into
// its two WebP files (decode, orientation, sRGB, resize twice, encode twice), for a
// 12-megapixel JPEG (4000 × 3000) such as a phone takes. One at a time, as a single
// upload is processed; the median of the runs after one warm-up.

export interface PhotoBenchResult {
  megapixels: number;
  inputBytes: number;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

/** A 4000 × 3000 photo-like JPEG: gradients with noise, so the encoder has real work. */
async function twelveMegapixelJpeg(): Promise<Buffer> {
  const width = 4000;
  const height = 3000;
  const raw = Buffer.alloc(width * height * 3);
  let x = 12345;
  for (let i = 0, p = 0; i < raw.length; i += 3, p++) {
    x = (x * 1103515245 + 12345) >>> 0;
    raw[i] = ((p % width) * 200) / width + (x & 31);
    raw[i + 1] = (Math.floor(p / width) * 200) / height + ((x >>> 5) & 31);
    raw[i + 2] = 90 + ((x >>> 10) & 63);
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 88 })
    .toBuffer();
}

export async function runPhotoBench(runs = 9): Promise<PhotoBenchResult> {
  const input = await twelveMegapixelJpeg();
  await processPhoto(input);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await processPhoto(input);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return {
    megapixels: 12,
    inputBytes: input.length,
    runs,
    medianMs: times[Math.floor(times.length / 2)]!,
    minMs: times[0]!,
    maxMs: times[times.length - 1]!,
  };
}

export function formatPhotoTable(r: PhotoBenchResult): string {
  return [
    `Processing one upload: a ${r.megapixels}-megapixel JPEG (${(r.inputBytes / 1024 / 1024).toFixed(1)} MB) into the large view and the card, ${r.runs} runs`,
    '',
    '| row | median | fastest | slowest |',
    '|---|---|---|---|',
    `| processing a ${r.megapixels}-megapixel JPEG upload | ${r.medianMs.toFixed(0)} ms | ${r.minMs.toFixed(0)} ms | ${r.maxMs.toFixed(0)} ms |`,
  ].join('\n');
}
