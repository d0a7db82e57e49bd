import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import { QueryTypes } from 'sequelize';
import { AuditLog } from '../../models/audit-log';
import { ListingPhoto } from '../../models/listing-photo';
import { Listing } from '../../models/listing';
import { User } from '../../models/user';
import { context } from '../helpers/context';
import { createListing, createModerator, createUser, DEFAULT_PASSWORD, listingForm, purge } from '../helpers/factories';
import { agent, csrfFrom, signIn, signInModerator, type Agent } from '../helpers/http';
import {
  animatedGif,
  CAMERA_MODEL,
  pdfBytes,
  phoneJpeg,
  pixelBombPng,
  plainJpeg,
  PNG_TEXT,
  pngWithText,
} from '../helpers/photo-fixtures';

// Photos of the home: what is served carries nothing but pixels (checked by reading the
// served bytes' metadata with sharp, not by trusting the board's code), the uploaded
// bytes are stored nowhere, every bad file is refused with its own message next to its
// field while the rest of the form is kept, and a photo is seen exactly by those who may
// see its listing.

type Fields = Record<string, string | string[]>;
interface FileSpec {
  field: string;
  data: Buffer;
  filename: string;
  contentType?: string;
}

/** Sends a form the way a browser sends a multipart form, with the page's CSRF token. */
async function sendMultipart(a: Agent, formPage: string, action: string, fields: Fields, files: FileSpec[]) {
  const page = await a.get(formPage);
  expect(page.status, formPage).to.equal(200);
  let req = a.post(action).field('_csrf', csrfFrom(page.text));
  for (const [k, v] of Object.entries(fields)) {
    for (const value of Array.isArray(v) ? v : [v]) req = req.field(k, value);
  }
  for (const f of files) req = req.attach(f.field, f.data, { filename: f.filename, contentType: f.contentType ?? 'image/jpeg' });
  return req;
}

async function tenantAndListing(opts: { status?: 'active' | 'paused' } = {}) {
  const user = await createUser();
  const listing = await createListing(user, { status: opts.status ?? 'active' });
  return { user, listing, a: await signIn(user) };
}

async function addPhotos(
  a: Agent,
  listingId: number,
  files: { data: Buffer; filename?: string; alt?: string; contentType?: string }[],
) {
  const fields: Fields = {};
  files.forEach((f, i) => {
    fields[`photo_${i + 1}_alt`] = f.alt ?? `Room ${i + 1}`;
  });
  return sendMultipart(
    a,
    `/listings/${listingId}/photos`,
    `/listings/${listingId}/photos`,
    fields,
    files.map((f, i) => ({
      field: `photo_${i + 1}`,
      data: f.data,
      filename: f.filename ?? `IMG_${i}.jpg`,
      contentType: f.contentType,
    })),
  );
}

function photoUrls(html: string): string[] {
  return [...new Set([...html.matchAll(/\/photos\/[A-Za-z0-9_-]{43}(?:-card)?\.webp/g)].map((m) => m[0]))];
}

async function fetchBytes(a: Agent | ReturnType<typeof agent>, url: string) {
  return a
    .get(url)
    .buffer(true)
    .parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
}

/** Every file under a folder, for "the bytes are nowhere on disk". */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

/** Where a byte sequence is found: the data directory's files (with SQLite's database), or PostgreSQL's rows. */
async function whereStored(needle: Buffer): Promise<string[]> {
  const { db, tmpDir } = context();
  await db.checkpoint();
  const found = filesUnder(tmpDir)
    .filter((f) => fs.readFileSync(f).includes(needle))
    .map((f) => path.relative(tmpDir, f));
  if (db.dialect === 'postgres') {
    // Every bytea and text column of every table, searched for the bytes.
    const columns = await db.sequelize.query<{ table_name: string; column_name: string; data_type: string }>(
      `SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'public' AND data_type IN ('bytea', 'text', 'character varying')`,
      { type: QueryTypes.SELECT },
    );
    for (const c of columns) {
      const expr = c.data_type === 'bytea' ? `"${c.column_name}"` : `convert_to("${c.column_name}", 'UTF8')`;
      const [row] = await db.sequelize.query<{ n: string }>(
        `SELECT COUNT(*) AS n FROM "${c.table_name}" WHERE position(:needle::bytea in ${expr}) > 0`,
        { type: QueryTypes.SELECT, replacements: { needle: `\\x${needle.toString('hex')}` } },
      );
      if (Number(row?.n) > 0) found.push(`${c.table_name}.${c.column_name}`);
    }
  }
  return found;
}

/** What a library reads of a served file's metadata: nothing but the picture's own facts. */
async function metadataOf(bytes: Buffer) {
  const m = await sharp(bytes).metadata();
  return {
    format: m.format,
    width: m.width,
    height: m.height,
    exif: m.exif,
    xmp: m.xmp,
    iptc: m.iptc,
    icc: m.icc,
    comments: m.comments,
    orientation: m.orientation,
  };
}

describe('photos of a listing', function () {
  this.timeout(60_000);

  describe('a JPEG from a phone (EXIF with GPS, camera model, time and a thumbnail)', () => {
    it('is served without any of it, turned upright, and its bytes are stored nowhere', async () => {
      const original = await phoneJpeg();
      // The test's own input does carry what must go.
      const before = await sharp(original).metadata();
      expect(before.exif, 'the upload has EXIF').to.be.instanceOf(Buffer);
      expect(before.orientation).to.equal(6);
      expect(original.includes(Buffer.from(CAMERA_MODEL))).to.equal(true);

      const user = await createUser();
      const a = await signIn(user);
      const res = await sendMultipart(
        a,
        '/listings/new',
        '/listings',
        listingForm({ photo_1_alt: 'Living room with two windows' }),
        [{ field: 'photo_1', data: original, filename: 'IMG_4711.JPG' }],
      );
      expect(res.status, res.text.slice(0, 500)).to.equal(303);
      const listing = (await Listing.findOne({ where: { userId: user.id } }))!;
      expect(res.headers.location).to.equal(`/listings/${listing.id}`);

      const page = await agent().get(`/listings/${listing.id}`);
      expect(page.text).to.include('alt="Living room with two windows"');
      const urls = photoUrls(page.text);
      expect(urls).to.have.length(1);
      const search = await agent().get('/listings');
      const cardUrls = photoUrls(search.text);
      expect(cardUrls, 'the cover on the search card').to.have.length(1);

      for (const url of [...urls, ...cardUrls]) {
        const served = await fetchBytes(agent(), url);
        expect(served.status, url).to.equal(200);
        expect(served.headers['content-type']).to.equal('image/webp');
        expect(served.headers['cache-control']).to.match(/max-age=31536000/);
        const meta = await metadataOf(served.body as Buffer);
        expect(meta.format).to.equal('webp');
        expect(meta.exif, `${url}: EXIF`).to.equal(undefined);
        expect(meta.xmp, `${url}: XMP`).to.equal(undefined);
        expect(meta.iptc, `${url}: IPTC`).to.equal(undefined);
        expect(meta.icc, `${url}: ICC`).to.equal(undefined);
        expect(meta.comments, `${url}: comments`).to.equal(undefined);
        expect(meta.orientation, `${url}: orientation tag`).to.equal(undefined);
        expect((served.body as Buffer).includes(Buffer.from(CAMERA_MODEL))).to.equal(false);
      }
      // The large view is the photo turned upright: 640 × 480 with orientation 6 is 480 × 640.
      const large = await metadataOf((await fetchBytes(agent(), urls[0]!)).body as Buffer);
      expect([large.width, large.height]).to.deep.equal([480, 640]);

      // Neither the file nor its metadata is anywhere: not in the database, not in the data folder.
      const middle = original.subarray(Math.floor(original.length / 2), Math.floor(original.length / 2) + 64);
      expect(await whereStored(middle), 'a piece of the uploaded bytes').to.deep.equal([]);
      expect(await whereStored(Buffer.from(CAMERA_MODEL)), 'the camera model').to.deep.equal([]);
    });
  });

  it('serves a PNG with a text chunk without the text, and keeps no copy of the upload', async () => {
    const original = await pngWithText();
    expect(original.includes(Buffer.from(PNG_TEXT))).to.equal(true);
    const { listing, a } = await tenantAndListing();
    const res = await addPhotos(a, listing.id, [
      { data: original, filename: 'plan.png', contentType: 'image/png', alt: 'The balcony' },
    ]);
    expect(res.status).to.equal(303);
    const page = await a.get(`/listings/${listing.id}`);
    for (const url of photoUrls(page.text)) {
      const served = (await fetchBytes(agent(), url)).body as Buffer;
      const meta = await metadataOf(served);
      expect(meta.comments).to.equal(undefined);
      expect(meta.exif).to.equal(undefined);
      expect(served.includes(Buffer.from(PNG_TEXT))).to.equal(false);
    }
    expect(await whereStored(Buffer.from(PNG_TEXT))).to.deep.equal([]);
    expect(await whereStored(original.subarray(200, 264))).to.deep.equal([]);
  });

  describe('refused uploads keep the form, each with its own message next to its field', () => {
    const cases: {
      name: string;
      file: () => Buffer | Promise<Buffer>;
      filename: string;
      contentType: string;
      message: string;
    }[] = [
      {
        name: 'a PDF renamed to .jpg',
        file: pdfBytes,
        filename: 'photo.jpg',
        contentType: 'image/jpeg',
        message: 'is not a JPEG, PNG, WebP or AVIF image',
      },
      {
        name: 'a 20,000 × 20,000 pixel PNG',
        file: () => pixelBombPng(),
        filename: 'big.png',
        contentType: 'image/png',
        message: 'too many pixels',
      },
      {
        name: 'an animated GIF',
        file: animatedGif,
        filename: 'fun.gif',
        contentType: 'image/gif',
        message: 'Animated images are not accepted',
      },
      {
        name: 'an empty file',
        file: () => Buffer.alloc(0),
        filename: 'empty.jpg',
        contentType: 'image/jpeg',
        message: 'This file is empty',
      },
      {
        name: 'a file of 10 MB + 1 byte',
        file: async () =>
          Buffer.concat([await plainJpeg(64, 64), Buffer.alloc(10 * 1024 * 1024 + 1)]).subarray(0, 10 * 1024 * 1024 + 1),
        filename: 'huge.jpg',
        contentType: 'image/jpeg',
        message: 'This file is larger than 10 MB',
      },
    ];
    for (const c of cases) {
      it(`refuses ${c.name} on the listing form`, async () => {
        const user = await createUser({ locale: 'en' });
        const a = await signIn(user);
        const res = await sendMultipart(
          a,
          '/listings/new',
          '/listings',
          listingForm({ description: 'Kept text 7531', photo_1_alt: 'Kept alt 8642' }),
          [{ field: 'photo_1', data: await c.file(), filename: c.filename, contentType: c.contentType }],
        );
        expect(res.status).to.equal(422);
        expect(res.text).to.include(c.message);
        expect(res.text).to.match(/id="field-photo_1-error"/);
        expect(res.text, 'the description is kept').to.include('Kept text 7531');
        expect(res.text, 'the alt text is kept').to.include('Kept alt 8642');
        expect(await Listing.count(), 'nothing was saved').to.equal(0);
        expect(await ListingPhoto.count()).to.equal(0);
      });
    }

    it('refuses a 9th photo with its own message', async () => {
      const { listing, a } = await tenantAndListing();
      const eight = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((s) => plainJpeg(120, 90, s)));
      expect(
        (
          await addPhotos(
            a,
            listing.id,
            eight.slice(0, 5).map((data) => ({ data })),
          )
        ).status,
      ).to.equal(303);
      expect(
        (
          await addPhotos(
            a,
            listing.id,
            eight.slice(5).map((data) => ({ data })),
          )
        ).status,
      ).to.equal(303);
      expect(await ListingPhoto.count({ where: { listingId: listing.id } })).to.equal(8);
      const ninth = await sendMultipart(
        a,
        `/listings/${listing.id}/edit`,
        `/listings/${listing.id}`,
        listingForm({ description: 'Still here 1234', photo_1_alt: 'Ninth' }),
        [{ field: 'photo_1', data: await plainJpeg(120, 90, 9), filename: 'nine.jpg' }],
      );
      expect(ninth.status).to.equal(422);
      expect(ninth.text).to.include('id="field-photos-error"');
      expect(ninth.text).to.match(/at most 8 photos|högst 8 bilder/);
      expect(ninth.text).to.include('Still here 1234');
      expect(await ListingPhoto.count({ where: { listingId: listing.id } })).to.equal(8);
    });

    it('asks for the alt text of a chosen photo', async () => {
      const { listing, a } = await tenantAndListing();
      const res = await addPhotos(a, listing.id, [{ data: await plainJpeg(), alt: '  ' }]);
      expect(res.status).to.equal(422);
      expect(res.text).to.include('id="field-photo_1_alt-error"');
      expect(await ListingPhoto.count()).to.equal(0);
    });
  });

  it('keeps the urlencoded listing form working as before', async () => {
    const user = await createUser();
    const a = await signIn(user);
    const page = await a.get('/listings/new');
    const res = await a
      .post('/listings')
      .type('form')
      .send({ ...listingForm(), _csrf: csrfFrom(page.text) });
    expect(res.status).to.equal(303);
    expect(await Listing.count({ where: { userId: user.id } })).to.equal(1);
  });

  it("answers 404 for a paused listing's photo to others, exactly as for the listing", async () => {
    const { listing, a } = await tenantAndListing();
    await addPhotos(a, listing.id, [{ data: await plainJpeg() }]);
    const [url, thumb] = [
      ...photoUrls((await a.get(`/listings/${listing.id}`)).text),
      ...photoUrls((await a.get(`/listings/${listing.id}/photos`)).text),
    ];
    expect((await agent().get(url!)).status).to.equal(200);
    await listing.update({ status: 'paused' });
    const other = await signIn(await createUser());
    for (const u of [url!, thumb!]) {
      expect((await agent().get(u)).status, `visitor ${u}`).to.equal(404);
      expect((await other.get(u)).status, `another tenant ${u}`).to.equal(404);
      expect((await a.get(u)).status, `the tenant who posted it ${u}`).to.equal(200);
    }
    expect((await other.get(`/listings/${listing.id}`)).status).to.equal(404);
    expect((await agent().get('/photos/not-a-photo.webp')).status).to.equal(404);
  });

  it('lets the tenant describe, reorder, choose the cover and delete photos', async () => {
    const { listing, a } = await tenantAndListing();
    await addPhotos(a, listing.id, [
      { data: await plainJpeg(200, 150, 1), alt: 'First' },
      { data: await plainJpeg(200, 150, 2), alt: 'Second' },
    ]);
    const [first, second] = await ListingPhoto.findAll({ where: { listingId: listing.id }, order: [['position', 'ASC']] });
    expect(first!.isCover).to.equal(true);
    const page = await a.get(`/listings/${listing.id}/photos`);
    const token = csrfFrom(page.text);
    expect(
      (await a.post(`/listings/${listing.id}/photos/${second!.id}/cover`).type('form').send({ _csrf: token })).status,
    ).to.equal(303);
    expect((await a.post(`/listings/${listing.id}/photos/${second!.id}/up`).type('form').send({ _csrf: token })).status).to.equal(
      303,
    );
    expect(
      (
        await a
          .post(`/listings/${listing.id}/photos/${first!.id}/alt`)
          .type('form')
          .send({ _csrf: token, [`alt_${first!.id}`]: 'Kitchen' })
      ).status,
    ).to.equal(303);
    const after = await ListingPhoto.findAll({ where: { listingId: listing.id }, order: [['position', 'ASC']] });
    expect(after.map((p) => [p.altText, p.isCover])).to.deep.equal([
      ['Second', true],
      ['Kitchen', false],
    ]);
    const empty = await a
      .post(`/listings/${listing.id}/photos/${first!.id}/alt`)
      .type('form')
      .send({ _csrf: token, [`alt_${first!.id}`]: '' });
    expect(empty.status).to.equal(422);
    expect(
      (await a.post(`/listings/${listing.id}/photos/${second!.id}/delete`).type('form').send({ _csrf: token })).status,
    ).to.equal(303);
    const left = await ListingPhoto.findAll({ where: { listingId: listing.id } });
    expect(left.map((p) => [p.altText, p.isCover, p.position])).to.deep.equal([['Kitchen', true, 1]]);
    // Another tenant cannot touch them: the listing is active, so 403; a photo of another listing is 404.
    const other = await signIn(await createUser());
    const otherToken = csrfFrom((await other.get('/account')).text);
    expect(
      (await other.post(`/listings/${listing.id}/photos/${first!.id}/delete`).type('form').send({ _csrf: otherToken })).status,
    ).to.equal(403);
  });

  it('lets moderators hide one photo with a reason the tenant sees, audited, and restore it', async () => {
    const { listing, a } = await tenantAndListing();
    await addPhotos(a, listing.id, [{ data: await plainJpeg(), alt: 'Hallway' }]);
    const photo = (await ListingPhoto.findOne({ where: { listingId: listing.id } }))!;
    const url = photoUrls((await a.get(`/listings/${listing.id}`)).text).find((u) => !u.includes('-card'))!;
    const mod = { agent: await signInModerator(await createModerator()) };
    const adminPage = await mod.agent.get(`/admin/listings/${listing.id}`);
    expect(adminPage.status).to.equal(200);
    expect(adminPage.text).to.include(`/admin/listings/${listing.id}/photos/${photo.id}/hide`);
    const token = csrfFrom(adminPage.text);
    const noReason = await mod.agent
      .post(`/admin/listings/${listing.id}/photos/${photo.id}/hide`)
      .type('form')
      .send({ _csrf: token });
    expect(noReason.status).to.equal(422);
    const hide = await mod.agent
      .post(`/admin/listings/${listing.id}/photos/${photo.id}/hide`)
      .type('form')
      .send({ _csrf: token, [`photo-${photo.id}-reason`]: 'A name plate is readable' });
    expect(hide.status).to.equal(303);
    expect((await AuditLog.findAll({ where: { action: 'hide_photo' } })).map((r) => [r.targetId, r.reason])).to.deep.equal([
      [listing.id, 'A name plate is readable'],
    ]);
    expect((await agent().get(url)).status, 'others no longer see it').to.equal(404);
    expect((await agent().get(`/listings/${listing.id}`)).text).not.to.include(url);
    const own = await a.get(`/listings/${listing.id}`);
    expect(own.text).to.include('A name plate is readable');
    expect((await a.get(url)).status).to.equal(200);
    const restore = await mod.agent
      .post(`/admin/listings/${listing.id}/photos/${photo.id}/restore`)
      .type('form')
      .send({ _csrf: token });
    expect(restore.status).to.equal(303);
    expect((await agent().get(url)).status).to.equal(200);
    expect(await AuditLog.count({ where: { action: 'restore_photo' } })).to.equal(1);
  });

  it('accepts "inappropriate photo" as a report reason', async () => {
    const { listing } = await tenantAndListing();
    const other = await signIn(await createUser());
    const page = await other.get(`/listings/${listing.id}`);
    expect(page.text).to.include('value="inappropriate_photo"');
    const res = await other
      .post(`/listings/${listing.id}/report`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), reason: 'inappropriate_photo', details: '' });
    expect(res.status).to.equal(303);
  });

  it("puts the tenant's own photos in the export, as base64 of the served file", async () => {
    const { user, listing, a } = await tenantAndListing();
    await addPhotos(a, listing.id, [{ data: await plainJpeg(), alt: 'Bedroom' }]);
    // "My data" lists them too (right of access).
    expect((await a.get('/account/data')).text).to.include('>Bedroom</a>');
    const res = await a.get('/account/export').buffer(true);
    const data = JSON.parse(res.text) as { listing: { photos: { altText: string; data: string; contentType: string }[] } };
    expect(data.listing.photos).to.have.length(1);
    expect(data.listing.photos[0]!.altText).to.equal('Bedroom');
    const bytes = Buffer.from(data.listing.photos[0]!.data, 'base64');
    expect((await sharp(bytes).metadata()).format).to.equal('webp');
    expect(user.id).to.be.a('number');
  });

  describe('deleted means deleted', () => {
    async function withPhoto() {
      const original = await phoneJpeg();
      const { user, listing, a } = await tenantAndListing();
      await addPhotos(a, listing.id, [{ data: original, alt: 'Sauna' }]);
      const stored = (await ListingPhoto.findOne({ where: { listingId: listing.id } }))!;
      const pieces = [Buffer.from(stored.large).subarray(100, 164), Buffer.from(stored.thumb).subarray(100, 164)];
      expect(await whereStored(pieces[0]!), 'the test sees the stored photo').to.not.deep.equal([]);
      return { user, listing, a, pieces };
    }

    it("a purged tenant's photos are gone from the database files", async () => {
      const { user, pieces } = await withPhoto();
      await User.update({ lastLoginAt: new Date('2026-01-01T00:00:00Z') }, { where: { id: user.id } });
      const result = await purge('2026-06-01T00:00:00Z');
      expect(result.deleted).to.equal(1);
      expect(await ListingPhoto.count()).to.equal(0);
      for (const p of pieces) expect(await whereStored(p)).to.deep.equal([]);
    });

    it('deleting the listing, the account or one photo leaves nothing either', async () => {
      const one = await withPhoto();
      const photo = (await ListingPhoto.findOne({ where: { listingId: one.listing.id } }))!;
      const token = csrfFrom((await one.a.get(`/listings/${one.listing.id}/photos`)).text);
      expect(
        (await one.a.post(`/listings/${one.listing.id}/photos/${photo.id}/delete`).type('form').send({ _csrf: token })).status,
      ).to.equal(303);
      for (const p of one.pieces) expect(await whereStored(p), 'one photo').to.deep.equal([]);

      const two = await withPhoto();
      const t2 = csrfFrom((await two.a.get(`/listings/${two.listing.id}/delete`)).text);
      expect((await two.a.post(`/listings/${two.listing.id}/delete`).type('form').send({ _csrf: t2 })).status).to.equal(303);
      for (const p of two.pieces) expect(await whereStored(p), 'the listing').to.deep.equal([]);

      const three = await withPhoto();
      const t3 = csrfFrom((await three.a.get('/account/delete')).text);
      expect(
        (await three.a.post('/account/delete').type('form').send({ _csrf: t3, password: DEFAULT_PASSWORD })).status,
      ).to.equal(303);
      for (const p of three.pieces) expect(await whereStored(p), 'the account').to.deep.equal([]);
      expect(await ListingPhoto.count()).to.equal(0);
    });
  });
});
