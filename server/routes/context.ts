import type { AppDeps } from '../context';
import type { PageCache } from '../middleware/page-cache';
import type { Services } from '../services';

/** What every handler module gets: the app's deps and its services. */
export interface RouteContext extends AppDeps {
  services: Services;
  /** Anonymous search and listing pages kept in memory (middleware/page-cache.ts). */
  pageCache?: PageCache;
}
