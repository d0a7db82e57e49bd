import type { SavedFilters } from '../services/alerts';
import type { MyData } from '../services/data-export';
import type { DistrictNamer } from './conversation';

/**
 * "My data" (GET /account/data): everything stored about the tenant, from the same
 * object as the JSON export, with district names in the page's language, a removed
 * tenant as null (the page says "removed user"), message counts, and what each report
 * was about (a listing by number, a message, or something since deleted).
 */
export function presentMyData(data: MyData, nameOf: DistrictNamer, describeFilters: (f: SavedFilters) => string) {
  const l = data.listing;
  return {
    account: data.account,
    purgeDate: data.purgeDate,
    listing: l
      ? { ...l, districtName: nameOf(l.district), wanted: { ...l.wanted, districtNames: l.wanted.districts.map(nameOf) } }
      : null,
    favourites: data.favourites.map((f) => ({ ...f, districtName: nameOf(f.district) })),
    blocks: data.blocks,
    conversations: data.conversations.map((c) => ({
      id: c.id,
      otherName: c.otherRemoved ? null : c.otherParticipant,
      messageCount: c.messages.length,
      lastMessageAt: c.lastMessageAt,
      listing: c.listing ? { id: c.listing.id, districtName: nameOf(c.listing.district), rooms: c.listing.rooms } : null,
      messages: c.messages,
    })),
    reportsFiled: data.reportsFiled.map((r) => ({
      about:
        r.kind === 'listing' && r.listingId
          ? { key: 'data:reports.item_listing', params: { id: r.listingId } }
          : { key: r.kind === 'message' && r.messageId ? 'data:reports.item_message' : 'data:reports.item_gone', params: {} },
      reason: r.reason,
      status: r.status,
      details: r.details,
      createdAt: r.createdAt,
    })),
    pendingEmails: data.pendingEmails,
    activeSessions: data.activeSessions,
    // Saved searches as their owner named them, or their filters in words.
    alerts: {
      newSwaps: data.alerts.newSwaps,
      lastSentAt: data.alerts.lastSentAt,
      told: data.alerts.told,
      savedSearches: data.alerts.savedSearches.map((s) => ({
        name: s.name,
        summary: describeFilters(s.filters),
        alert: s.alert,
        createdAt: s.createdAt,
      })),
    },
  };
}
