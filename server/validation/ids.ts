import { NotFound } from '../errors';

// Record ids in paths, query strings and hidden fields. A database id is a positive
// 32-bit integer written without leading zeros; anything else ("abc", "1e3", "-1",
// "0042", eleven digits) names nothing, so it is read as no id at all — never passed
// to the database, where an out-of-range number would be an error instead of a 404.

const ID = /^[1-9][0-9]{0,9}$/;
const MAX_ID = 2_147_483_647;

/** A positive database id, or null for anything else. */
export function parseId(value: unknown): number | null {
  return typeof value === 'string' && ID.test(value) && Number(value) <= MAX_ID ? Number(value) : null;
}

/** A path's :id, or 404: what every loader uses. */
export function idOr404(value: unknown): number {
  const id = parseId(value);
  if (id === null) throw NotFound();
  return id;
}
