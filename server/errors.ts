// One place for every error a handler or service may raise on purpose. Each has an
// HTTP status and a stable id; the id doubles as the i18n key of the message shown to
// the user (errors:<id>), so services never produce user-facing text themselves.

export type FieldErrors = Record<string, string>;

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    readonly details: {
      fields?: FieldErrors;
      params?: Record<string, unknown>;
      retryAfterSeconds?: number;
      /** Why a policy refused (a 403): its text is shown on the error page (policies:reasons.<reason>). */
      reason?: string;
    } = {},
  ) {
    super(id);
    this.name = 'AppError';
  }
}

export const BadRequest = (id = 'bad_request', params?: Record<string, unknown>) => new AppError(400, id, { params });
export const Unauthorized = (id = 'unauthorized') => new AppError(401, id);
export const Forbidden = (id = 'forbidden') => new AppError(403, id);
export const NotFound = (id = 'not_found') => new AppError(404, id);
export const Conflict = (id = 'conflict') => new AppError(409, id);
export const ValidationFailed = (fields: FieldErrors, id = 'validation_failed') => new AppError(422, id, { fields });
export const TooManyRequests = (retryAfterSeconds: number, id = 'too_many_requests') =>
  new AppError(429, id, { retryAfterSeconds });
export const CsrfFailed = () => new AppError(403, 'csrf_failed');
/** The database is away (restarted, locked): try again shortly. */
export const DatabaseUnavailable = () => new AppError(503, 'db_unavailable', { retryAfterSeconds: 5 });

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
