// Shapes that several layers share (services build them, policies judge them, handlers
// pass them on). This module is the bottom layer: it imports nothing from the board.

/** What the conversation rules need to know: who takes part in it now. */
export interface ConversationAccess {
  id: number;
  participantIds: number[];
}

/** A conversation as the handlers and policies see it: its columns and who is in it now. */
export interface ConversationRef extends ConversationAccess {
  listingId: number | null;
  startedById: number | null;
  lastSenderId: number | null;
  lastMessageAt: Date;
}

/** Ends sessions of one account (the session store does it; services ask for it). */
export interface SessionEnder {
  /** Ends every session of one account, except (optionally) the one in use. */
  endAllFor(userId: number, exceptSid?: string): Promise<number>;
}

// The per-key attempt counters (server/services/rate-limits.ts builds them; the app's
// deps carry them to every layer that counts).
export type LimitName =
  'loginAccount' | 'loginIp' | 'register' | 'mail' | 'forgotIp' | 'search' | 'newConversation' | 'message' | 'totp' | 'report';

export interface Limit {
  /**
   * Counts one attempt; throws TooManyRequests when the allowance is used up. The count
   * is one atomic step, so of N requests racing only the allowance gets through.
   */
  consume(key: string | number, points?: number): Promise<void>;
  /** Gives back points this request consumed (a guess that turned out right). */
  giveBack(key: string | number, points?: number): Promise<void>;
  /** True when no attempt is left (without counting one). */
  isBlocked(key: string | number): Promise<number | false>;
  reset(key: string | number): Promise<void>;
}

export interface RateLimits {
  get(name: LimitName): Limit;
  /** Forgets the counters kept in memory (tests start each case from nothing). */
  clearMemory(): void;
  close(): Promise<void>;
}

/** One file of a multipart photo form, as the parser kept it (middleware/photo-upload.ts). */
export interface UploadedFile {
  /** The form field's name (photo_1 … photo_8). */
  field: string;
  /** What the browser called it: empty when no file was chosen. Never trusted for the kind. */
  filename: string;
  data: Buffer;
  /** Longer than the size limit (data is then empty). */
  tooLarge: boolean;
}

/** The files of a multipart photo form. */
export interface PhotoUpload {
  files: UploadedFile[];
  /** More file parts were sent than a listing may have photos. */
  tooManyFiles: boolean;
}
