import { Op, Sequelize, type Transaction, type WhereOptions } from 'sequelize';
import { AuditLog } from '../../models/audit-log';
import { Listing, LISTING_STATUS, type ListingStatus } from '../../models/listing';
import { Message } from '../../models/message';
import { PurgeRun } from '../../models/purge-run';
import { Report, REPORT_STATUS } from '../../models/report';
import { Session } from '../../models/session';
import { User } from '../../models/user';
import type { AppDeps } from '../context';
import { AppError, NotFound } from '../errors';
import { renderMail } from '../mail/templates';
import { createAccountService } from './accounts';
import { newTotpSecret, totpUri } from './totp';
import { refreshListingEdges, refreshOwnerEdges } from './match-graph';
import { isLastModerator } from './moderators';

// Moderators' actions. Every action and its audit row are written in ONE transaction:
// the audit row goes in first and the change follows; if the change fails (the listing
// was deleted a moment ago, another moderator got there first) the audit row is rolled
// back with it, so the log never claims something that did not happen — and nothing
// happens without a row in the log. Audit rows hold ids and a non-personal label only.

export const AUDIT_ACTIONS = {
  HIDE_LISTING: 'hide_listing',
  RESTORE_LISTING: 'restore_listing',
  REMOVE_LISTING: 'remove_listing',
  SUSPEND_USER: 'suspend_user',
  UNSUSPEND_USER: 'unsuspend_user',
  RESOLVE_REPORT: 'resolve_report',
  DISMISS_REPORT: 'dismiss_report',
  VIEW_REPORTED_MESSAGE: 'view_reported_message',
  VIEW_USER: 'view_user',
  CREATE_MODERATOR: 'create_moderator',
  PROMOTE_MODERATOR: 'promote_moderator',
  DEMOTE_MODERATOR: 'demote_moderator',
  // One photo of a listing (services/photos.ts); the audit target is the listing.
  HIDE_PHOTO: 'hide_photo',
  RESTORE_PHOTO: 'restore_photo',
} as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[keyof typeof AUDIT_ACTIONS];

export const ADMIN_PAGE_SIZE = 25;
export const AUDIT_PAGE_SIZE = 50;
/** How many messages either side of a reported one a moderator sees. */
export const MESSAGE_CONTEXT = 2;

/** Another moderator (or the owner) changed the target between page load and submit. */
export const ChangedMeanwhile = () => new AppError(409, 'conflict');

export interface SessionEnder {
  endAllFor(userId: number): Promise<number>;
}

export const AUDIT_TARGET_TYPES = ['listing', 'user', 'report', 'message'] as const;
type TargetType = (typeof AUDIT_TARGET_TYPES)[number];

/** What the audit page may be narrowed to: one kind of action, one kind of target, one target. */
export interface AuditFilter {
  action?: AuditAction;
  targetType?: TargetType;
  targetId?: number;
}

export function auditLabel(type: TargetType, id: number): string {
  return `${type} #${id}`;
}

export function pageCount(total: number, size: number): number {
  return Math.max(1, Math.ceil(total / size));
}

/** A page number from the query string: junk and out-of-range values become 1. */
export function pageNumber(raw: unknown): number {
  const n = typeof raw === 'string' && /^\d{1,6}$/.test(raw) ? Number(raw) : 1;
  return n >= 1 ? n : 1;
}

export const LISTING_FILTERS = ['all', ...Object.values(LISTING_STATUS), 'review'] as const;
export type ListingFilter = (typeof LISTING_FILTERS)[number];

export function createModerationService(
  deps: AppDeps,
  // The CLI has no session store object; it ends sessions with the same DELETE the store runs.
  sessions: SessionEnder = { endAllFor: (userId) => Session.destroy({ where: { userId } }) },
) {
  const { db, clock, logger } = deps;
  const accounts = createAccountService(deps);

  async function audit(
    actor: User | null,
    action: AuditAction,
    target: { type: TargetType; id: number },
    extra: { reason?: string | null; reportId?: number | null },
    transaction: Transaction,
  ): Promise<AuditLog> {
    return AuditLog.create(
      {
        actorId: actor?.id ?? null,
        action,
        targetType: target.type,
        targetId: target.id,
        targetLabel: auditLabel(target.type, target.id),
        reason: extra.reason ? extra.reason : null,
        reportId: extra.reportId ?? null,
        createdAt: clock(),
      },
      { transaction },
    );
  }

  /** Changes one row only if it is still as the moderator saw it; otherwise rolls back. */
  async function updateIfUnchanged<M extends typeof Listing | typeof User | typeof Report>(
    model: M,
    values: Record<string, unknown>,
    where: Record<string, unknown>,
    transaction: Transaction,
  ): Promise<void> {
    const [count] = await (model as typeof Listing).update(values, { where: where as WhereOptions, transaction });
    if (count === 0) {
      const exists = await (model as typeof Listing).count({ where: { id: where.id } as WhereOptions, transaction });
      throw exists ? ChangedMeanwhile() : NotFound();
    }
  }

  async function changeListing(
    actor: User,
    listing: Listing,
    action: AuditAction,
    values: Partial<Listing>,
    reason: string | null,
    opts: { resolveReports?: boolean } = {},
  ): Promise<void> {
    await db.sequelize.transaction(async (transaction) => {
      await audit(actor, action, { type: 'listing', id: listing.id }, { reason }, transaction);
      await updateIfUnchanged(Listing, values, { id: listing.id, status: listing.status }, transaction);
      // Hiding or removing a reported listing is the answer to its reports: they leave
      // the queue as resolved, each with its own audit row, in the same transaction.
      if (opts.resolveReports) {
        const open = await Report.findAll({
          where: { listingId: listing.id, kind: 'listing', status: REPORT_STATUS.OPEN },
          attributes: ['id'],
          transaction,
        });
        for (const report of open) {
          await audit(
            actor,
            AUDIT_ACTIONS.RESOLVE_REPORT,
            { type: 'report', id: report.id },
            { reason, reportId: report.id },
            transaction,
          );
        }
        if (open.length > 0) {
          await Report.update(
            { status: REPORT_STATUS.RESOLVED, handledById: actor.id, handledAt: clock(), resolutionNote: reason || null },
            { where: { id: open.map((r) => r.id), status: REPORT_STATUS.OPEN }, transaction },
          );
        }
      }
      // Hidden or removed listings leave the match graph; a restored one comes back.
      await refreshListingEdges(db.sequelize, listing.id, transaction);
    });
    logger.info({ userId: actor.id, listingId: listing.id, action }, 'moderator action');
  }

  /**
   * Tells the owner of a hidden listing, in their language, that moderators hid it and
   * where to read why (the reason is on the site, behind their sign-in, not in the mail).
   */
  async function tellOwnerHidden(listing: Listing): Promise<void> {
    const owner = await User.findByPk(listing.userId);
    if (!owner) return;
    try {
      const mail = await renderMail(
        'listing-hidden',
        owner.email,
        owner.locale,
        {
          username: owner.username,
          link: `${deps.config.baseUrl}/listings/${listing.id}`,
        },
        deps.config.org.name,
      );
      await deps.mailer.send(mail);
      logger.info({ userId: owner.id, mail: 'listing-hidden' }, 'mail sent');
    } catch (err) {
      // The listing stays hidden either way; the owner sees the reason when signing in.
      logger.warn({ userId: owner.id, err: { name: (err as Error).name } }, 'listing-hidden mail not sent');
    }
  }

  async function setRole(user: User, role: 'admin' | 'tenant', action: AuditAction): Promise<{ secret: string | null }> {
    const secret = role === 'admin' ? newTotpSecret() : null;
    const now = clock();
    await db.sequelize.transaction(async (transaction) => {
      if (role === 'tenant' && (await isLastModerator(user, transaction))) {
        throw new AppError(409, 'admin:cli.errors.last_moderator');
      }
      await audit(null, action, { type: 'user', id: user.id }, {}, transaction);
      await User.update(
        {
          role,
          totpSecret: secret,
          totpLastStep: null,
          totpConfirmedAt: null,
          // Accounts made moderators by the operator are trusted: their address counts as verified.
          ...(role === 'admin' && !user.emailVerifiedAt ? { emailVerifiedAt: now } : {}),
        },
        { where: { id: user.id }, transaction },
      );
    });
    await user.reload();
    logger.info({ userId: user.id, action }, 'moderator role changed');
    return { secret };
  }

  return {
    async dashboard() {
      const [openReports, activeListings, hiddenListings, reviewRequested, tenants, suspended, purgeRuns, moderators] =
        await Promise.all([
          Report.count({ where: { status: REPORT_STATUS.OPEN } }),
          Listing.count({ where: { status: LISTING_STATUS.ACTIVE } }),
          Listing.count({ where: { status: LISTING_STATUS.HIDDEN } }),
          Listing.count({ where: { reviewRequestedAt: { [Op.ne]: null } } }),
          User.count({ where: { role: 'tenant' } }),
          User.count({ where: { suspendedAt: { [Op.ne]: null } } }),
          PurgeRun.findAll({
            order: [
              ['startedAt', 'DESC'],
              ['id', 'DESC'],
            ],
            limit: 5,
          }),
          User.findAll({ where: { role: 'admin' }, order: [['usernameLower', 'ASC']] }),
        ]);
      return {
        counts: { openReports, activeListings, hiddenListings, reviewRequested, tenants, suspended },
        purgeRuns,
        moderators,
      };
    },

    /** Open reports, oldest first: the longest-waiting complaint is handled first. */
    async openReports(page: number) {
      const { rows, count } = await Report.findAndCountAll({
        where: { status: REPORT_STATUS.OPEN },
        include: [
          { model: User, as: 'reporter', attributes: ['id', 'username'] },
          { model: Listing, as: 'listing', attributes: ['id', 'status'] },
        ],
        order: [
          ['createdAt', 'ASC'],
          ['id', 'ASC'],
        ],
        limit: ADMIN_PAGE_SIZE,
        offset: (page - 1) * ADMIN_PAGE_SIZE,
      });
      return { rows, count, pages: pageCount(count, ADMIN_PAGE_SIZE) };
    },

    findReport(id: number) {
      return Report.findByPk(id, {
        include: [
          { model: User, as: 'reporter', attributes: ['id', 'username'] },
          { model: Listing, as: 'listing' },
        ],
      });
    },

    /** The account a report is about (the listing's owner or the message's sender), for the report page's actions. */
    async reportedAccount(report: Report): Promise<User | null> {
      let userId: number | null = null;
      if (report.kind === 'listing' && report.listingId !== null) {
        userId = (await Listing.findByPk(report.listingId, { attributes: ['id', 'userId'] }))?.userId ?? null;
      } else if (report.messageId !== null) {
        userId = (await Message.findByPk(report.messageId, { attributes: ['id', 'senderId'] }))?.senderId ?? null;
      }
      return userId === null ? null : User.findByPk(userId);
    },

    /**
     * The reported message with at most MESSAGE_CONTEXT neighbours on each side — never
     * the rest of the conversation. Showing it is written to the audit log with the
     * report it came from (who looked, when, why).
     */
    async reportedMessageInContext(actor: User, report: Report) {
      if (report.kind !== 'message' || report.messageId === null) return null;
      const include = [{ model: User, as: 'sender', attributes: ['id', 'username', 'locale'] }];
      const message = await Message.findByPk(report.messageId, { include });
      if (!message) return null;
      const [before, after] = await Promise.all([
        Message.findAll({
          where: { conversationId: message.conversationId, id: { [Op.lt]: message.id } },
          order: [['id', 'DESC']],
          limit: MESSAGE_CONTEXT,
          include,
        }),
        Message.findAll({
          where: { conversationId: message.conversationId, id: { [Op.gt]: message.id } },
          order: [['id', 'ASC']],
          limit: MESSAGE_CONTEXT,
          include,
        }),
      ]);
      await db.sequelize.transaction(async (transaction) => {
        await audit(
          actor,
          AUDIT_ACTIONS.VIEW_REPORTED_MESSAGE,
          { type: 'message', id: message.id },
          { reportId: report.id },
          transaction,
        );
      });
      return { messages: [...before.reverse(), message, ...after], reportedId: message.id };
    },

    async handleReport(actor: User, report: Report, outcome: 'resolved' | 'dismissed', note: string): Promise<void> {
      const action = outcome === 'resolved' ? AUDIT_ACTIONS.RESOLVE_REPORT : AUDIT_ACTIONS.DISMISS_REPORT;
      await db.sequelize.transaction(async (transaction) => {
        await audit(actor, action, { type: 'report', id: report.id }, { reason: note, reportId: report.id }, transaction);
        await updateIfUnchanged(
          Report,
          { status: outcome, handledById: actor.id, handledAt: clock(), resolutionNote: note || null },
          { id: report.id, status: REPORT_STATUS.OPEN },
          transaction,
        );
      });
      logger.info({ userId: actor.id, reportId: report.id, action }, 'moderator action');
    },

    async listListings(filter: ListingFilter, page: number) {
      const where: WhereOptions<Listing> =
        filter === 'review'
          ? { reviewRequestedAt: { [Op.ne]: null } }
          : filter === 'all'
            ? {}
            : { status: filter as ListingStatus };
      const { rows, count } = await Listing.findAndCountAll({
        where,
        include: [{ model: User, as: 'owner', attributes: ['id', 'username'] }],
        // A review request waits in line like a report: oldest first.
        order:
          filter === 'review'
            ? [
                ['reviewRequestedAt', 'ASC'],
                ['id', 'ASC'],
              ]
            : [
                ['createdAt', 'DESC'],
                ['id', 'DESC'],
              ],
        limit: ADMIN_PAGE_SIZE,
        offset: (page - 1) * ADMIN_PAGE_SIZE,
      });
      return { rows, count, pages: pageCount(count, ADMIN_PAGE_SIZE) };
    },

    findListing(id: number) {
      return Listing.findByPk(id, { include: [{ model: User, as: 'owner', attributes: ['id', 'username', 'locale'] }] });
    },

    openReportsAbout(listingId: number) {
      return Report.findAll({
        where: { listingId, kind: 'listing', status: REPORT_STATUS.OPEN },
        include: [{ model: User, as: 'reporter', attributes: ['id', 'username'] }],
        order: [
          ['createdAt', 'ASC'],
          ['id', 'ASC'],
        ],
      });
    },

    /** Hidden: off search and matches, the owner sees the reason and may edit and ask for review. */
    async hideListing(actor: User, listing: Listing, reason: string) {
      await changeListing(
        actor,
        listing,
        AUDIT_ACTIONS.HIDE_LISTING,
        { status: LISTING_STATUS.HIDDEN, hiddenReason: reason, reviewRequestedAt: null },
        reason,
        { resolveReports: true },
      );
      await tellOwnerHidden(listing);
    },

    restoreListing(actor: User, listing: Listing, reason: string) {
      return changeListing(
        actor,
        listing,
        AUDIT_ACTIONS.RESTORE_LISTING,
        { status: LISTING_STATUS.ACTIVE, hiddenReason: null, reviewRequestedAt: null },
        reason,
      );
    },

    removeListing(actor: User, listing: Listing, reason: string) {
      return changeListing(
        actor,
        listing,
        AUDIT_ACTIONS.REMOVE_LISTING,
        { status: LISTING_STATUS.REMOVED, hiddenReason: reason || null, reviewRequestedAt: null },
        reason,
        { resolveReports: true },
      );
    },

    /** Username or e-mail contains the query (case-insensitive; no wildcards to escape). */
    async searchUsers(query: string, page: number) {
      const q = query.trim().toLowerCase();
      const contains = (column: string) =>
        Sequelize.where(Sequelize.fn(db.dialect === 'postgres' ? 'strpos' : 'instr', Sequelize.col(column), q), Op.gt, 0);
      const where = q === '' ? {} : { [Op.or]: [contains('username_lower'), contains('email')] };
      const { rows, count } = await User.findAndCountAll({
        where,
        order: [['usernameLower', 'ASC']],
        limit: ADMIN_PAGE_SIZE,
        offset: (page - 1) * ADMIN_PAGE_SIZE,
      });
      return { rows, count, pages: pageCount(count, ADMIN_PAGE_SIZE) };
    },

    findUser(id: number) {
      return User.findByPk(id, { include: [{ model: Listing, as: 'listing', attributes: ['id', 'status'] }] });
    },

    /** Opening a tenant's details (their e-mail, phone, last login) is itself on the record. */
    async recordUserViewed(actor: User, user: User): Promise<void> {
      await db.sequelize.transaction(async (transaction) => {
        await audit(actor, AUDIT_ACTIONS.VIEW_USER, { type: 'user', id: user.id }, {}, transaction);
      });
    },

    /**
     * Suspends an account and ends every session it has. The sessions go after the
     * commit; even before that, a suspended account's session is refused on every
     * request (server/auth/passport.ts loads the user afresh and checks).
     */
    async suspendUser(actor: User, user: User, reason: string): Promise<void> {
      await db.sequelize.transaction(async (transaction) => {
        await audit(actor, AUDIT_ACTIONS.SUSPEND_USER, { type: 'user', id: user.id }, { reason }, transaction);
        await updateIfUnchanged(
          User,
          { suspendedAt: clock(), suspendedReason: reason },
          { id: user.id, suspendedAt: null, role: 'tenant' },
          transaction,
        );
        // Nobody can answer for a suspended account, so its listing leaves search and
        // matches. It stays paused after the suspension is lifted: the tenant resumes it.
        await Listing.update(
          { status: LISTING_STATUS.PAUSED },
          { where: { userId: user.id, status: LISTING_STATUS.ACTIVE }, transaction },
        );
        await refreshOwnerEdges(db.sequelize, user.id, transaction);
      });
      await sessions.endAllFor(user.id);
      logger.info({ userId: actor.id, targetUserId: user.id }, 'account suspended');
    },

    async unsuspendUser(actor: User, user: User, reason: string): Promise<void> {
      await db.sequelize.transaction(async (transaction) => {
        await audit(actor, AUDIT_ACTIONS.UNSUSPEND_USER, { type: 'user', id: user.id }, { reason }, transaction);
        await updateIfUnchanged(
          User,
          { suspendedAt: null, suspendedReason: null },
          { id: user.id, suspendedAt: { [Op.ne]: null } },
          transaction,
        );
      });
      logger.info({ userId: actor.id, targetUserId: user.id }, 'account unsuspended');
    },

    /** The audit log, newest first, with the moderators' usernames where they still exist. */
    async auditPage(page: number, filter: AuditFilter = {}) {
      const where: WhereOptions<AuditLog> = {
        ...(filter.action ? { action: filter.action } : {}),
        ...(filter.targetType ? { targetType: filter.targetType } : {}),
        ...(filter.targetType && filter.targetId ? { targetId: filter.targetId } : {}),
      };
      const { rows, count } = await AuditLog.findAndCountAll({
        where,
        order: [
          ['createdAt', 'DESC'],
          ['id', 'DESC'],
        ],
        limit: AUDIT_PAGE_SIZE,
        offset: (page - 1) * AUDIT_PAGE_SIZE,
      });
      const actorIds = [...new Set(rows.map((r) => r.actorId).filter((id): id is number => id !== null))];
      const actors = actorIds.length ? await User.findAll({ where: { id: actorIds }, attributes: ['id', 'username'] }) : [];
      const names = new Map(actors.map((u) => [u.id, u.username]));
      return { rows, count, pages: pageCount(count, AUDIT_PAGE_SIZE), names };
    },

    // —— The operator's command line (jobs/admin-cli.ts). The actor is the operator: audit rows have no actor id. ——

    async findByUsername(username: string): Promise<User | null> {
      return User.findOne({ where: { usernameLower: username.trim().toLowerCase() } });
    },

    /** A new, verified moderator with a fresh TOTP secret. Validation is the registration's, with a 15-character minimum. */
    async createModerator(input: { username: string; email: string; password: string }) {
      // The operator's registration (verified) is told of a taken address, never given null.
      const user = (await accounts.register(
        {
          username: input.username,
          email: input.email,
          phone: '',
          password: input.password,
          passwordConfirm: input.password,
          locale: 'sv',
        },
        { role: 'admin', verified: true },
      ))!;
      const secret = newTotpSecret();
      await db.sequelize.transaction(async (transaction) => {
        await audit(null, AUDIT_ACTIONS.CREATE_MODERATOR, { type: 'user', id: user.id }, {}, transaction);
        await User.update(
          { totpSecret: secret, totpLastStep: null, totpConfirmedAt: null },
          { where: { id: user.id }, transaction },
        );
      });
      await user.reload();
      logger.info({ userId: user.id }, 'moderator created');
      return { user, uri: totpUri(deps.config, user.username, secret) };
    },

    /**
     * Makes a tenant a moderator — or gives an existing moderator a new TOTP secret (a
     * lost phone); the old secret stops working at once.
     */
    async promote(user: User) {
      if (user.isSuspended) throw new AppError(409, 'admin:cli.errors.suspended');
      const { secret } = await setRole(user, 'admin', AUDIT_ACTIONS.PROMOTE_MODERATOR);
      // Sessions signed in before the promotion must not carry the new powers (nor, for
      // a lost phone, outlive the old secret): the moderator signs in again with a code.
      await sessions.endAllFor(user.id);
      return { user, uri: totpUri(deps.config, user.username, secret!) };
    },

    /** Back to tenant: the TOTP secret is dropped and every session ends. */
    async demote(user: User) {
      if (!user.isAdmin) throw new AppError(409, 'admin:cli.errors.not_moderator');
      await setRole(user, 'tenant', AUDIT_ACTIONS.DEMOTE_MODERATOR);
      await sessions.endAllFor(user.id);
      return { user };
    },
  };
}

export type ModerationService = ReturnType<typeof createModerationService>;
