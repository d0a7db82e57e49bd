// Every addition this board makes to Express's and express-session's types, in one
// place. Nothing here runs; the compiler reads it because tsconfig includes server/**.
import type { Listing } from '../../models/listing';
import type { Report } from '../../models/report';
import type { User as UserModel } from '../../models/user';
import type { Locale } from './constants';
import type { ConversationRef } from './domain';

/** Text a tenant typed into a form sent after their session ended (middleware/kept-form.ts). */
export interface KeptForm {
  /** The page that shows the form again (GET). */
  page: string;
  fields: Record<string, string | string[]>;
  /** Whose session had ended, when the store still knew; another account never gets the text. */
  userId: number | null;
  at: number;
}

/** The records a route's loader found for its path (:id), for the handler after it. */
export interface Loaded {
  listing?: Listing;
  conversation?: ConversationRef;
  report?: Report;
  user?: UserModel;
}

export type FlashType = 'success' | 'info' | 'error';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // Passport's req.user is the board's User model.
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends UserModel {}
    interface Locals {
      /** The swap state of a conversation page (routes/swaps.ts `panel`, views/swaps/_panel.ejs). */
      swapPanel?: Record<string, unknown>;
    }
    interface Request {
      /** The page's language (middleware/locals.ts). */
      locale: Locale;
      /** Queues a one-time message (an i18n key) for the next page this visitor sees (middleware/flash.ts). */
      flash(type: FlashType, key: string, params?: Record<string, unknown>): void;
      /** Set by the loaders in server/routes/loaders.ts; views never see these models. */
      loaded: Loaded;
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    passport?: { user?: number };
    /** When the tenant signed in: the absolute timeout counts from here. */
    authAt?: number;
    /** A moderator who has given the right password but not yet the TOTP code. */
    pendingSecondFactor?: { userId: number; at: number; weakPassword?: boolean };
    /** Set once the signed-in moderator has given a valid TOTP code in this session. */
    secondFactor?: { userId: number; at: number };
    /** Set to the moderator's id when they signed in with a password shorter than ADMIN_PASSWORD_MIN. */
    weakModeratorPassword?: number;
    flash?: { type: FlashType; key: string; params?: Record<string, unknown> }[];
    locale?: string;
    keptForm?: KeptForm;
  }
}
