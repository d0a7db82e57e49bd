import type { AppDeps } from '../context';
import type { SessionEnder } from '../types/domain';
import { createAccountService } from './accounts';
import { createAlertService } from './alerts';
import { createListingService } from './listings';
import { createMessageService } from './messages';
import { createModerationService } from './moderation';
import { createPhotoService } from './photos';
import { createSwapService } from './swaps';

/** Every service the handlers use, built once per app from the same deps. */
export function createServices(deps: AppDeps, sessionStore: SessionEnder) {
  const listings = createListingService(deps);
  return {
    accounts: createAccountService(deps),
    alerts: createAlertService(deps),
    listings,
    swaps: createSwapService(deps, listings),
    messages: createMessageService(deps),
    moderation: createModerationService(deps, sessionStore),
    photos: createPhotoService(deps),
    sessions: {
      /** Ends every session of one account (password change, suspension, deletion). */
      endAllFor: (userId: number, exceptSid?: string) => sessionStore.endAllFor(userId, exceptSid),
    },
  };
}

export type Services = ReturnType<typeof createServices>;
