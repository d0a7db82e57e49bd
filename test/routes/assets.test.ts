import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect } from 'chai';
import express from 'express';
import { createAssets, IMMUTABLE } from '../../server/assets';
import { PUBLIC_DIR } from '../../server/paths';
import { context } from '../helpers/context';
import { createListing } from '../helpers/factories';

// Static files and pages as a browser receives them: compressed, and the files under
// public/ linked by content-hashed names that may be kept for a year.

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

let server: http.Server | undefined;
let base = '';

/** A GET whose body is left exactly as sent (supertest would decompress it). */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${url}`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function decoded(res: Raw): string {
  const encoding = res.headers['content-encoding'];
  if (encoding === 'br') return zlib.brotliDecompressSync(res.body).toString('utf8');
  if (encoding === 'gzip') return zlib.gunzipSync(res.body).toString('utf8');
  return res.body.toString('utf8');
}

function linked(html: string, pattern: RegExp): string {
  const match = pattern.exec(html);
  if (!match) throw new Error(`no ${pattern} in the page`);
  return match[1];
}

describe('static files and compression', () => {
  before(async () => {
    server = http.createServer(context().board.app);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server!.close(() => resolve()));
  });

  it('links the stylesheet, script and icon by content-hashed names kept for a year', async () => {
    const page = decoded(await rawGet('/'));
    const css = linked(page, /<link rel="stylesheet" href="(\/css\/app\.[0-9a-f]{12}\.css)">/);
    const js = linked(page, /<script src="(\/js\/app\.[0-9a-f]{12}\.js)" defer>/);
    const icon = linked(page, /<link rel="icon" href="(\/img\/favicon\.[0-9a-f]{12}\.svg)"/);
    for (const [url, file, type] of [
      [css, 'css/app.css', 'text/css'],
      [js, 'js/app.js', 'text/javascript'],
      [icon, 'img/favicon.svg', 'image/svg+xml'],
    ]) {
      const res = await rawGet(url);
      expect(res.status, url).to.equal(200);
      expect(res.headers['cache-control'], url).to.equal(IMMUTABLE);
      expect(res.headers['content-type'], url).to.contain(type);
      expect(decoded(res), url).to.equal(fs.readFileSync(path.join(PUBLIC_DIR, file), 'utf8'));
    }
  });

  it('sends the stylesheet and script brotli- or gzip-compressed as the browser accepts, else plain', async () => {
    const page = decoded(await rawGet('/'));
    const css = linked(page, /href="(\/css\/app\.[0-9a-f]{12}\.css)"/);
    const original = fs.readFileSync(path.join(PUBLIC_DIR, 'css/app.css'));
    const br = await rawGet(css, { 'Accept-Encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).to.equal('br');
    expect(br.headers.vary).to.contain('Accept-Encoding');
    expect(br.body.length).to.be.below(original.length / 2);
    expect(decoded(br)).to.equal(original.toString('utf8'));
    const gzip = await rawGet(css, { 'Accept-Encoding': 'gzip' });
    expect(gzip.headers['content-encoding']).to.equal('gzip');
    expect(decoded(gzip)).to.equal(original.toString('utf8'));
    const plain = await rawGet(css);
    expect(plain.headers['content-encoding']).to.equal(undefined);
    expect(plain.body.equals(original)).to.equal(true);
    // A browser that has it answers with its ETag and gets no body.
    const again = await rawGet(css, { 'If-None-Match': plain.headers.etag! });
    expect(again.status).to.equal(304);
    expect(again.body.length).to.equal(0);
  });

  it('still answers the plain name, cached for minutes only, and 404s a name that was never there', async () => {
    const res = await rawGet('/css/app.css');
    expect(res.status).to.equal(200);
    expect(res.headers['cache-control']).to.equal('public, max-age=300');
    expect(decoded(res)).to.equal(fs.readFileSync(path.join(PUBLIC_DIR, 'css/app.css'), 'utf8'));
    expect((await rawGet('/css/app.0123456789ab.css')).status).to.equal(404);
  });

  it('compresses pages (the landing page, a search)', async () => {
    await createListing();
    for (const url of ['/', '/listings']) {
      for (const encoding of ['br', 'gzip']) {
        const res = await rawGet(url, { 'Accept-Encoding': encoding });
        expect(res.status, url).to.equal(200);
        expect(res.headers['content-encoding'], `${url} ${encoding}`).to.equal(encoding);
        expect(decoded(res), url).to.match(/^<!DOCTYPE html>/);
        expect(decoded(res), url).to.contain('</html>');
      }
    }
  });

  it('gives a changed file a new name at the next start, and stops answering the old one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bostadsbyte-assets-'));
    try {
      fs.mkdirSync(path.join(dir, 'css'));
      fs.writeFileSync(path.join(dir, 'css', 'site.css'), 'body { color: black; }\n');
      const before = createAssets(dir, { development: false });
      const oldName = before.url('/css/site.css');
      expect(oldName).to.match(/^\/css\/site\.[0-9a-f]{12}\.css$/);
      fs.writeFileSync(path.join(dir, 'css', 'site.css'), 'body { color: navy; }\n');
      const after = createAssets(dir, { development: false });
      const newName = after.url('/css/site.css');
      expect(newName).to.match(/^\/css\/site\.[0-9a-f]{12}\.css$/);
      expect(newName).to.not.equal(oldName);

      const app = express();
      app.use(after.serve);
      app.use((_req, res) => {
        res.status(404).end();
      });
      const probe = http.createServer(app);
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
      const saved = base;
      base = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
      try {
        const fresh = await rawGet(newName);
        expect(fresh.status).to.equal(200);
        expect(decoded(fresh)).to.equal('body { color: navy; }\n');
        expect((await rawGet(oldName)).status).to.equal(404);
      } finally {
        base = saved;
        await new Promise<void>((resolve) => probe.close(() => resolve()));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
