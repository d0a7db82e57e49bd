import type { AppDeps } from '../context';
import type { SessionEnder } from '../types/domain';
import { createAccountService } from './accounts';
import { createListingService } from './listings';
import { createMessageService } from './messages';
import { createModerationService } from './moderation';

/** Every service the handlers use, built once per app from the same deps. */
export function createServices(deps: AppDeps, sessionStore: SessionEnder) {
  return {
    accounts: createAccountService(deps),
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
