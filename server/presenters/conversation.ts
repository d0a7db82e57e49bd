import type { Listing } from '../../models/listing';
import type { InboxRow, ThreadMessage } from '../services/messages';

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
    id: listing.id, district: listing.district, districtName: nameOf(listing.district), rooms: listing.rooms,
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
