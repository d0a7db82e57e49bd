/*
 * Everything the board stores about one tenant: the "My data" page (right of access) and
 * GET /account/export (right to data portability) are built from the same object.
 *
 * Export format, version 1 (`GET /account/export`, a UTF-8 JSON attachment named
 * `bostadsbyte-export-YYYY-MM-DD.json`). Times are ISO-8601 in UTC; absent values are null.
 *
 * {
 *   "format": "bostadsbyte-export",        // constant: what this file is
 *   "version": 1,                           // bumped on any incompatible change
 *   "exportedAt": "2027-01-31T09:00:00.000Z",
 *   "account": {
 *     "id", "username", "email", "emailVerifiedAt", "pendingEmail" (a new address awaiting
 *     confirmation), "phone", "showPhone", "role" ("tenant" | "admin"), "locale"
 *     ("sv" | "fi" | "en"), "notifyMessages", "emailsEnabled", "suspendedAt",
 *     "suspendedReason", "lastLoginAt", "purgeWarningSentFor" (the deadline a deletion
 *     warning was e-mailed for), "createdAt", "updatedAt"
 *   },
 *   "listing": null | {
 *     "id", "status" ("active" | "paused" | "hidden" | "removed"), "hiddenReason",
 *     "district", "postalCode", "rooms", "sizeM2", "rentEur", "floor", "hasLift",
 *     "hasBalcony", "hasSauna", "buildingType", "availableFrom", "description",
 *     "wanted": { "districts": [..], "roomsMin", "sizeMin", "rentMax", "lift", "balcony",
 *                 "sauna", "description" },
 *     "createdAt", "updatedAt",
 *     "photos": [ { "position", "cover", "altText", "status" ("visible" | "hidden"),
 *                   "hiddenReason", "width", "height", "contentType" ("image/webp"),
 *                   "createdAt", "data" (the photo as the board shows it, base64) } ]
 *   },
 *   "favourites": [ { "listingId", "district", "rooms", "sizeM2", "rentEur", "savedAt" } ],
 *   "blocks": [ { "username", "blockedAt" } ],             // tenants I blocked
 *   "conversations": [ {
 *     "id", "otherParticipant": "<username>" | "removed user",
 *     "listing": null | { "id", "district", "rooms" },    // the listing it is about
 *     "startedByMe", "lastMessageAt",
 *     "messages": [ { "fromMe": true|false, "body", "sentAt" } ]   // oldest first
 *   } ],
 *   "interestMarks": [ { "kind" ("pair" | "ring"), "listingIds", "interested", "markedAt" } ],
 *   "reportsFiled": [ { "kind" ("listing" | "message"), "reason", "details", "status",
 *                       "listingId", "messageId", "createdAt" } ],
 *   "pendingEmails": [ { "purpose" ("verify_email" | "reset_password"), "expiresAt" } ],
 *   "activeSessions": [ { "signedInAt", "expiresAt" } ],
 *   "purgeDate": "2027-04-30T09:00:00.000Z" | null,  // deleted after this instant unless
 *                                                     // I sign in; null for moderators
 *   "alerts": {
 *     "newSwaps", "lastSentAt",                       // the opt-in and the last alert e-mail
 *     "savedSearches": [ { "id", "name", "alert", "createdAt",
 *                          "filters": { "districts": [..], "roomsMin", "roomsMax", "sizeMin",
 *                                       "rentMax", "lift", "balcony", "sauna" } } ],
 *     "told": { "pairs", "rings" }                    // how many suggestions are noted
 *   }                                                 // as already told
 * }
 *
 * Never in the file: another tenant's e-mail address or phone number, password hashes,
 * second-factor secrets, token values, session ids.
 */
import { Op, QueryTypes } from 'sequelize';
import { Block } from '../../models/block';
import { Conversation } from '../../models/conversation';
import { ConversationParticipant } from '../../models/conversation-participant';
import { Favourite } from '../../models/favourite';
import { Listing } from '../../models/listing';
import { ListingWantedDistrict } from '../../models/listing-wanted-district';
import { Message } from '../../models/message';
import { Report } from '../../models/report';
import { Session } from '../../models/session';
import { Token } from '../../models/token';
import { User } from '../../models/user';
import { collectAlertData, type MyAlertData } from './alerts';
import { purgeDeadline } from './retention';

export const EXPORT_FORMAT = 'bostadsbyte-export';
export const EXPORT_VERSION = 1;
/** How a conversation partner whose account is gone appears in the export. */
export const REMOVED_USER = 'removed user';

export interface ExportConversation {
  id: number;
  otherParticipant: string;
  otherRemoved: boolean;
  listing: { id: number; district: string; rooms: number } | null;
  startedByMe: boolean;
  lastMessageAt: Date;
  messages: { fromMe: boolean; body: string; sentAt: Date }[];
}

export interface MyData {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: Date;
  account: {
    id: number;
    username: string;
    email: string;
    emailVerifiedAt: Date | null;
    pendingEmail: string | null;
    phone: string | null;
    showPhone: boolean;
    role: string;
    locale: string;
    notifyMessages: boolean;
    emailsEnabled: boolean;
    suspendedAt: Date | null;
    suspendedReason: string | null;
    lastLoginAt: Date;
    purgeWarningSentFor: Date | null;
    createdAt: Date;
    updatedAt: Date;
  };
  listing: null | {
    id: number;
    status: string;
    hiddenReason: string | null;
    district: string;
    postalCode: string;
    rooms: number;
    sizeM2: number;
    rentEur: number;
    floor: number | null;
    hasLift: boolean;
    hasBalcony: boolean;
    hasSauna: boolean;
    buildingType: string | null;
    availableFrom: string | null;
    description: string;
    wanted: {
      districts: string[];
      roomsMin: number | null;
      sizeMin: number | null;
      rentMax: number | null;
      lift: boolean;
      balcony: boolean;
      sauna: boolean;
      description: string;
    };
    createdAt: Date;
    updatedAt: Date;
  };
  favourites: { listingId: number; district: string; rooms: number; sizeM2: number; rentEur: number; savedAt: Date }[];
  blocks: { username: string; blockedAt: Date }[];
  conversations: ExportConversation[];
  /** My "Interested" / "Not interested" on suggestions (swap_marks). */
  interestMarks: { kind: 'pair' | 'ring'; listingIds: number[]; interested: boolean; markedAt: Date }[];
  reportsFiled: {
    kind: string;
    reason: string;
    details: string;
    status: string;
    listingId: number | null;
    messageId: number | null;
    createdAt: Date;
  }[];
  pendingEmails: { purpose: string; expiresAt: Date }[];
  activeSessions: { signedInAt: Date; expiresAt: Date | null }[];
  purgeDate: Date | null;
  alerts: MyAlertData;
}

/** Collects everything stored about `user` as of `now`. */
export async function collectMyData(user: User, now: Date, retentionMonths: number): Promise<MyData> {
  const me = user.id;

  const listingRow = await Listing.findOne({ where: { userId: me } });
  const wanted = listingRow
    ? (await ListingWantedDistrict.findAll({ where: { listingId: listingRow.id }, order: [['district', 'ASC']] })).map(
        (w) => w.district,
      )
    : [];

  const favourites = await Favourite.findAll({
    where: { userId: me },
    include: [{ model: Listing, as: 'listing', attributes: ['id', 'district', 'rooms', 'sizeM2', 'rentEur'] }],
    order: [['createdAt', 'ASC']],
  });

  const blockRows = await Block.findAll({ where: { blockerId: me }, order: [['createdAt', 'ASC']] });
  const blockedNames = new Map(
    (await User.findAll({ attributes: ['id', 'username'], where: { id: { [Op.in]: blockRows.map((b) => b.blockedId) } } })).map(
      (u) => [u.id, u.username],
    ),
  );

  const mine = await ConversationParticipant.findAll({ where: { userId: me }, attributes: ['conversationId'] });
  const conversationIds = mine.map((p) => p.conversationId);
  const conversations: ExportConversation[] = [];
  if (conversationIds.length > 0) {
    const rows = await Conversation.findAll({
      where: { id: { [Op.in]: conversationIds } },
      include: [{ model: Listing, as: 'listing', attributes: ['id', 'district', 'rooms'] }],
      order: [
        ['lastMessageAt', 'DESC'],
        ['id', 'DESC'],
      ],
    });
    const others = await ConversationParticipant.findAll({
      where: { conversationId: { [Op.in]: conversationIds }, userId: { [Op.ne]: me } },
      include: [{ model: User, as: 'user', attributes: ['id', 'username'] }],
    });
    const otherName = new Map(
      others.map((p) => [p.conversationId, (p as ConversationParticipant & { user?: User }).user?.username]),
    );
    const messages = await Message.findAll({
      where: { conversationId: { [Op.in]: conversationIds } },
      attributes: ['id', 'conversationId', 'senderId', 'body', 'createdAt'],
      order: [['id', 'ASC']],
    });
    for (const c of rows) {
      const name = otherName.get(c.id);
      const listing = (c as Conversation & { listing?: Listing | null }).listing;
      conversations.push({
        id: c.id,
        otherParticipant: name ?? REMOVED_USER,
        otherRemoved: name === undefined,
        listing: listing ? { id: listing.id, district: listing.district, rooms: listing.rooms } : null,
        startedByMe: c.startedById === me,
        lastMessageAt: c.lastMessageAt,
        messages: messages
          .filter((m) => m.conversationId === c.id)
          .map((m) => ({ fromMe: m.senderId === me, body: m.body, sentAt: m.createdAt })),
      });
    }
  }

  const reports = await Report.findAll({ where: { reporterId: me }, order: [['createdAt', 'ASC']] });
  const tokens = await Token.findAll({
    where: { userId: me, usedAt: null, expiresAt: { [Op.gt]: now } },
    attributes: ['purpose', 'expiresAt'],
    order: [['expiresAt', 'ASC']],
  });
  const sessions = await Session.findAll({
    where: { userId: me, expires: { [Op.gt]: now } },
    attributes: ['createdAt', 'expires'],
    order: [['createdAt', 'ASC']],
  });

  const marks = await Listing.sequelize!.query<{ suggestion: string; interested: boolean | number; updated_at: Date | string }>(
    'SELECT suggestion, interested, updated_at FROM swap_marks WHERE user_id = :me ORDER BY updated_at, id',
    { type: QueryTypes.SELECT, replacements: { me } },
  );

  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: now,
    account: {
      id: user.id,
      username: user.username,
      email: user.email,
      emailVerifiedAt: user.emailVerifiedAt,
      pendingEmail: user.pendingEmail,
      phone: user.phone,
      showPhone: user.showPhone,
      role: user.role,
      locale: user.locale,
      notifyMessages: user.notifyMessages,
      emailsEnabled: user.emailsEnabled,
      suspendedAt: user.suspendedAt,
      suspendedReason: user.suspendedReason,
      lastLoginAt: user.lastLoginAt,
      purgeWarningSentFor: user.purgeWarningFor,
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
    },
    listing: listingRow
      ? {
          id: listingRow.id,
          status: listingRow.status,
          hiddenReason: listingRow.hiddenReason,
          district: listingRow.district,
          postalCode: listingRow.postalCode,
          rooms: listingRow.rooms,
          sizeM2: listingRow.sizeM2,
          rentEur: listingRow.rentEur,
          floor: listingRow.floor,
          hasLift: listingRow.hasLift,
          hasBalcony: listingRow.hasBalcony,
          hasSauna: listingRow.hasSauna,
          buildingType: listingRow.buildingType,
          availableFrom: listingRow.availableFrom,
          description: listingRow.description,
          wanted: {
            districts: wanted,
            roomsMin: listingRow.wantedRoomsMin,
            sizeMin: listingRow.wantedSizeMin,
            rentMax: listingRow.wantedRentMax,
            lift: listingRow.wantedLift,
            balcony: listingRow.wantedBalcony,
            sauna: listingRow.wantedSauna,
            description: listingRow.wantedDescription,
          },
          createdAt: listingRow.createdAt,
          updatedAt: listingRow.updatedAt,
        }
      : null,
    favourites: favourites
      .map((f) => ({ f, l: (f as Favourite & { listing?: Listing }).listing }))
      .filter(({ l }) => l !== undefined && l !== null)
      .map(({ f, l }) => ({
        listingId: l!.id,
        district: l!.district,
        rooms: l!.rooms,
        sizeM2: l!.sizeM2,
        rentEur: l!.rentEur,
        savedAt: f.createdAt,
      })),
    blocks: blockRows
      .filter((b) => blockedNames.has(b.blockedId))
      .map((b) => ({ username: blockedNames.get(b.blockedId)!, blockedAt: b.createdAt })),
    conversations,
    interestMarks: marks.map((m) => ({
      kind: m.suggestion.startsWith('r:') ? ('ring' as const) : ('pair' as const),
      listingIds: m.suggestion.slice(2).split('-').map(Number),
      interested: m.interested === true || Number(m.interested) === 1,
      markedAt: new Date(m.updated_at),
    })),
    reportsFiled: reports.map((r) => ({
      kind: r.kind,
      reason: r.reason,
      details: r.details,
      status: r.status,
      listingId: r.listingId,
      messageId: r.messageId,
      createdAt: r.createdAt,
    })),
    pendingEmails: tokens.map((t) => ({ purpose: t.purpose, expiresAt: t.expiresAt })),
    activeSessions: sessions.map((s) => ({ signedInAt: s.createdAt, expiresAt: s.expires })),
    purgeDate: user.isAdmin ? null : purgeDeadline(user.lastLoginAt, retentionMonths),
    alerts: await collectAlertData(me),
  };
}

/** The export file's content: MyData as JSON, without the page-only fields. */
/** A photo of my listing in the export: the board's large view itself, base64 in the JSON. */
export interface ExportPhoto {
  position: number;
  cover: boolean;
  altText: string;
  status: string;
  hiddenReason: string | null;
  width: number;
  height: number;
  contentType: string;
  createdAt: Date;
  data: string;
}

export function toExportJson(data: MyData, photos: ExportPhoto[] = []): string {
  return JSON.stringify(
    {
      ...data,
      listing: data.listing ? { ...data.listing, photos } : null,
      conversations: data.conversations.map(({ otherRemoved: _removed, ...c }) => c),
    },
    null,
    2,
  );
}
