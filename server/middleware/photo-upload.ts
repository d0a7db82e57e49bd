import busboy from 'busboy';
import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors';
import { PHOTO_LIMITS } from '../services/photo-images';
import type { PhotoUpload, UploadedFile } from '../types/domain';

// The multipart forms that carry photos: the listing form (new and edit) and a listing's
// photos page. Parsed here, before the CSRF check, because the token is one of the
// form's fields; nothing is processed or stored until the route has checked the token,
// the tenant and the listing. The files stay in memory only (never on disk, so the
// originals leave nothing behind) and hard limits bound that memory: at most 8 files of
// 10 MB each, a fixed number of fields and parts. A file over 10 MB is read to its end
// and dropped, so its form can still come back with "larger than 10 MB" next to it.

export type { PhotoUpload, UploadedFile };

const UPLOAD_PATHS = [/^\/listings$/, /^\/listings\/\d{1,9}$/, /^\/listings\/\d{1,9}\/photos$/];
/** The listing form's fields (wanted_districts repeats once per district) and the photo slots. */
const FIELD_LIMIT = 400;

export function isPhotoUploadPath(path: string): boolean {
  return UPLOAD_PATHS.some((re) => re.test(path));
}

function tooMuch(): AppError {
  return new AppError(413, 'too_large');
}

export const parsePhotoUploads: RequestHandler = (req, _res, next) => {
  if (req.method !== 'POST' || !req.is('multipart/form-data') || !isPhotoUploadPath(req.path)) return next();
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      defParamCharset: 'utf8',
      limits: {
        fileSize: PHOTO_LIMITS.fileBytes,
        files: PHOTO_LIMITS.perListing,
        fields: FIELD_LIMIT,
        parts: FIELD_LIMIT + PHOTO_LIMITS.perListing,
        fieldSize: 256 * 1024,
        fieldNameSize: 100,
      },
    });
  } catch {
    return next(new AppError(400, 'bad_request'));
  }
  const body: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  const upload: PhotoUpload = { files: [], tooManyFiles: false };
  // Only a signed-in tenant's files are kept; anyone else's are read and thrown away
  // (their text still comes through, so a form sent after the session ended is kept).
  const keepFiles = !!req.user;
  let failed: AppError | null = null;

  parser.on('field', (name, value, info) => {
    if (info.valueTruncated || info.nameTruncated) failed ??= tooMuch();
    const prior = body[name];
    if (prior === undefined) body[name] = value;
    else body[name] = Array.isArray(prior) ? [...prior, value] : [prior, value];
  });
  parser.on('file', (field, stream, info) => {
    const chunks: Buffer[] = [];
    let tooLarge = false;
    stream.on('data', (chunk: Buffer) => {
      if (keepFiles && !tooLarge) chunks.push(chunk);
    });
    stream.on('limit', () => {
      tooLarge = true;
      chunks.length = 0;
    });
    stream.on('end', () => {
      upload.files.push({
        field,
        filename: info.filename ?? '',
        data: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks),
        tooLarge,
      });
    });
  });
  parser.on('filesLimit', () => {
    upload.tooManyFiles = true;
  });
  parser.on('fieldsLimit', () => {
    failed ??= tooMuch();
  });
  parser.on('partsLimit', () => {
    failed ??= tooMuch();
  });
  parser.on('error', () => {
    failed ??= new AppError(400, 'bad_request');
    req.unpipe(parser);
    req.resume();
    done();
  });
  let finished = false;
  const done = () => {
    if (finished) return;
    finished = true;
    if (failed) return next(failed);
    (req as Request & { body: unknown }).body = body;
    req.photoUpload = upload;
    next();
  };
  parser.on('close', done);
  req.pipe(parser);
};
