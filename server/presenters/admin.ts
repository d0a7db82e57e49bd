import type { AuditLog } from '../../models/audit-log';
import type { Listing } from '../../models/listing';
import type { Message } from '../../models/message';
import type { PurgeRun } from '../../models/purge-run';
import type { Report } from '../../models/report';
import type { User } from '../../models/user';

// What moderators' pages may show. Moderators see a tenant's e-mail, phone and last login
// (docs/product.md, "Who sees what") — but only on the user pages, and only these fields. A private message
// reaches a page only through presentMessageInContext, i.e. through a report.

/** A row of the user search: the e-mail is there so a moderator can contact the tenant. */
export function presentAdminUserRow(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    role: user.role,
    isAdmin: user.isAdmin,
    isSuspended: user.isSuspended,
    isVerified: user.isVerified,
    lastLoginAt: user.lastLoginAt,
  };
}

export function presentAdminUser(user: User) {
  const listing = (user as User & { listing?: Listing | null }).listing;
  return {
    ...presentAdminUserRow(user),
    phone: user.phone ?? '',
    locale: user.locale,
    createdAt: user.createdAt,
    suspendedAt: user.suspendedAt,
    suspendedReason: user.suspendedReason ?? '',
    listing: listing ? { id: listing.id, status: listing.status } : null,
  };
}

/**
 * Whom a report is about, as the report page shows them: the name (linked to their page,
 * where looking at details is audited), the language they read and whether they can be
 * suspended — no contact details here.
 */
export function presentReportedAccount(user: User) {
  return {
    id: user.id,
    username: user.username,
    locale: user.locale,
    role: user.role,
    isAdmin: user.isAdmin,
    isSuspended: user.isSuspended,
  };
}

export function presentModerator(user: User) {
  return {
    id: user.id,
    username: user.username,
    lastLoginAt: user.lastLoginAt,
    secondFactorReady: user.totpSecret !== null,
    secondFactorConfirmed: user.totpConfirmedAt !== null && user.totpConfirmedAt !== undefined,
  };
}

export function presentAdminListing(listing: Listing) {
  return {
    id: listing.id,
    status: listing.status,
    hiddenReason: listing.hiddenReason ?? '',
    reviewRequestedAt: listing.reviewRequestedAt,
    ownerId: listing.userId,
    ownerUsername: listing.owner?.username ?? null,
    // The language the owner reads the board (and its e-mails) in, so a moderator writes a reason they can read.
    ownerLocale: listing.owner?.locale ?? null,
    district: listing.district,
    postalCode: listing.postalCode,
    rooms: listing.rooms,
    sizeM2: listing.sizeM2,
    rentEur: listing.rentEur,
    description: listing.description,
    wantedDescription: listing.wantedDescription,
    createdAt: listing.createdAt,
    updatedAt: listing.updatedAt,
  };
}

export function presentReport(report: Report) {
  const r = report as Report & { reporter?: User | null; listing?: Listing | null };
  return {
    id: report.id,
    kind: report.kind,
    reason: report.reason,
    details: report.details,
    status: report.status,
    createdAt: report.createdAt,
    // null when the reporter's account has been deleted: the page says "removed user".
    reporterUsername: r.reporter?.username ?? null,
    listingId: report.listingId,
    listingStatus: r.listing?.status ?? null,
    messageId: report.messageId,
    handledAt: report.handledAt,
    resolutionNote: report.resolutionNote ?? '',
  };
}

export function presentMessageInContext(messages: Message[], reportedId: number) {
  return messages.map((m) => {
    const sender = (m as Message & { sender?: User | null }).sender;
    return {
      id: m.id,
      body: m.body,
      createdAt: m.createdAt,
      senderId: sender?.id ?? null,
      senderUsername: sender?.username ?? null,
      senderLocale: sender?.locale ?? null,
      isReported: m.id === reportedId,
    };
  });
}

export function presentAuditRow(row: AuditLog, names: Map<number, string>) {
  return {
    id: row.id,
    createdAt: row.createdAt,
    // The moderator's username while the account exists, else its id; null = the operator's CLI.
    actor: row.actorId === null ? null : (names.get(row.actorId) ?? `#${row.actorId}`),
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    targetLabel: row.targetLabel,
    reason: row.reason ?? '',
    reportId: row.reportId,
  };
}

export function presentPurgeRun(run: PurgeRun) {
  return {
    id: run.id,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    asOf: run.asOf,
    dryRun: run.dryRun,
    deletedCount: run.deletedCount,
    outcome: run.outcome,
  };
}
