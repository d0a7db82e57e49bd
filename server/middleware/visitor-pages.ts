import type { Request } from 'express';
import type { AppDeps } from '../context';

/** Counts one anonymous page view against the per-IP search limit. */
export function limitSearches(deps: Pick<AppDeps, 'rateLimits'>): (req: Request) => Promise<void> {
  return (req) => deps.rateLimits.get('search').consume(req.ip ?? 'unknown');
}

/** The paths of the pages visitors may be served from memory: search and a listing. */
export function isVisitorPage(path: string): boolean {
  return path === '/listings' || /^\/listings\/\d{1,9}$/.test(path);
}
