import { explain } from '../policies';
import type { InboxRow, ThreadMessage } from '../services/messages';
import type { ConversationRef } from '../types/domain';
import type { Listing, User } from '../types/records';
import { inboxPagination } from './pagination';
import { reasonKey } from './refusal';

// What the inbox and thread pages may show: the other tenant's username (never their
// e-mail or phone), the listing the conversation is about, and the messages' text,
// which the views print escaped. A participant whose account is gone has no name
// (the page says "removed user"); a listing that is gone has no label.

export interface ListingLabel {
  id: number;
  district: string;
  /** The district's name in the page's language. */
  districtName: string;
  rooms: number;
  /** Only an active listing is linked: its page is not shown otherwise. */
  linkable: boolean;
}

export type DistrictNamer = (code: string) => string;

export interface InboxItemView {
  id: number;
  href: string;
  otherUsername: string | null;
  listing: ListingLabel | null;
  lastMessageAt: Date;
  unreadCount: number;
  awaitingReply: boolean;
  /** The shared conversation of a three-way swap. */
  isSwap: boolean;
}

export interface MessageView {
  id: number;
  mine: boolean;
  /** Who wrote it: a three-way conversation names each sender. */
  senderId: number;
  body: string;
  createdAt: Date;
  reported: boolean;
}

// SQLite returns raw dates as text ('2026-11-28 04:00:00.000 +00:00'), PostgreSQL as Date.
function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

export function presentInboxRow(row: InboxRow, meId: number, nameOf: DistrictNamer): InboxItemView {
  const lastSenderId = row.lastSenderId === null ? null : Number(row.lastSenderId);
  return {
    id: Number(row.conversationId),
    href: `/messages/${Number(row.conversationId)}`,
    otherUsername: row.otherId === null ? null : row.otherUsername,
    isSwap: !!row.swapKey,
    listing:
      row.listingId === null || row.listingDistrict === null
        ? null
        : {
            id: Number(row.listingId),
            district: row.listingDistrict,
            districtName: nameOf(row.listingDistrict),
            rooms: Number(row.listingRooms),
            linkable: row.listingStatus === 'active',
          },
    lastMessageAt: toDate(row.lastMessageAt),
    unreadCount: Number(row.unreadCount),
    // Awaiting my reply: the last word is the other tenant's (who is still here).
    awaitingReply: row.otherId !== null && lastSenderId !== null && lastSenderId !== meId,
  };
}

export function presentListingLabel(
  listing: Pick<Listing, 'id' | 'district' | 'rooms' | 'status'> | null,
  nameOf: DistrictNamer,
): ListingLabel | null {
  if (!listing) return null;
  return {
    id: listing.id,
    district: listing.district,
    districtName: nameOf(listing.district),
    rooms: listing.rooms,
    linkable: listing.status === 'active',
  };
}

export function presentMessage(message: ThreadMessage, meId: number, reportedIds: Set<number | null>): MessageView {
  return {
    id: message.id,
    mine: message.senderId === meId,
    senderId: message.senderId,
    body: message.body,
    createdAt: toDate(message.createdAt),
    reported: reportedIds.has(message.id),
  };
}

/** An inbox page: its rows and the newer / older links. */
export function presentInbox(rows: InboxRow[], page: number, hasNext: boolean, meId: number, nameOf: DistrictNamer) {
  return {
    conversations: rows.map((r) => presentInboxRow(r, meId, nameOf)),
    page,
    pagination: inboxPagination(page, hasNext),
  };
}

/** What the thread service returns for one page of a conversation. */
export interface ThreadPage {
  messages: ThreadMessage[];
  hasOlder: boolean;
  other: { id: number; username: string; getsNotices: boolean } | null;
  listing: Pick<Listing, 'id' | 'district' | 'rooms' | 'status'> | null;
  iBlocked: boolean;
  reportedIds: Set<number | null>;
}

/**
 * A conversation's page: its messages (the latest 50, or those before `before`), the
 * links to older and newer ones, and whether the reply form shows — the other tenant is
 * still here, I have not blocked them and the policy lets me write; when the policy
 * does not, `replyRefusal` says why.
 */
export function presentThread(
  thread: ThreadPage,
  viewer: User,
  conversation: ConversationRef,
  before: number | undefined,
  nameOf: DistrictNamer,
) {
  const href = `/messages/${conversation.id}`;
  const messages = thread.messages.map((m) => presentMessage(m, viewer.id, thread.reportedIds));
  const reply = explain(viewer, 'conversation.reply', conversation);
  return {
    conversation: { id: conversation.id, href },
    other: thread.other,
    listing: presentListingLabel(thread.listing, nameOf),
    messages,
    olderHref: thread.hasOlder && messages.length > 0 ? `${href}?before=${messages[0].id}` : null,
    newerHref: before ? href : null,
    iBlocked: thread.iBlocked,
    canReply: reply.ok && thread.other !== null && !thread.iBlocked,
    replyRefusal: reply.ok ? null : reasonKey(reply.reason, 'message'),
  };
}
