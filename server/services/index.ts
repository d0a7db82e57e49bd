import type { PageCache } from '../middleware/page-cache';
import type { AppDeps } from '../context';
import type { BoardStore } from '../middleware/session';
import { createAccountService } from './accounts';
import { createAlertService } from './alerts';
import { createListingService } from './listings';
import { createMessageService } from './messages';
import { createModerationService } from './moderation';

/** Every service the handlers use, built once per app from the same deps. */
export function createServices(deps: AppDeps, sessionStore: BoardStore) {
  return {
    accounts: createAccountService(deps),
    alerts: createAlertService(deps),
    listings: createListingService(deps),
    messages: createMessageService(deps),
    moderation: createModerationService(deps, sessionStore),
    sessions: {
      /** Ends every session of one account (password change, suspension, deletion). */
      endAllFor: (userId: number, exceptSid?: string) => sessionStore.endAllFor(userId, exceptSid),
    },
  };
}

export type Services = ReturnType<typeof createServices>;

/** What every router gets: the app's deps and its services. */
export interface RouteContext extends AppDeps {
  services: Services;
  /** Anonymous search and listing pages kept in memory (middleware/page-cache.ts). */
  pageCache?: PageCache;
}
