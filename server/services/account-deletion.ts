import { Op, QueryTypes, type Transaction } from 'sequelize';
import { Block } from '../../models/block';
import { Conversation } from '../../models/conversation';
import { ConversationParticipant } from '../../models/conversation-participant';
import { Favourite } from '../../models/favourite';
import { Listing } from '../../models/listing';
import { ListingPhoto } from '../../models/listing-photo';
import { ListingWantedDistrict } from '../../models/listing-wanted-district';
import { Message } from '../../models/message';
import { QueuedMail } from '../../models/queued-mail';
import { Report } from '../../models/report';
import { Session } from '../../models/session';
import { Token } from '../../models/token';
import { User } from '../../models/user';
import type { Config } from '../config';
import { deleteAlertData } from './alerts';
import { isLastModerator } from './moderators';
import { accountLimitKeys } from './rate-limits';
import { deleteListingRings } from './rings';

/**
 * Erases accounts with the cascade of docs/product.md#the-purge. Used by the purge job (passive accounts)
 * and by POST /account/delete (the tenant's own erasure), always inside the caller's
 * transaction so a batch is deleted completely or not at all.
 *
 * The foreign keys of the initial migration would do most of this by themselves; the
 * steps are spelt out anyway so the cascade does not depend on PRAGMA foreign_keys, is
 * readable in one place, and keeps the other tenant's unread count right.
 *
 * Deleted: the account, its sessions, pending tokens and queued mail, its listing (with wanted
 * districts and other tenants' favourites of it), its favourites, blocks it made and
 * blocks of it, every message it wrote, its participation in conversations, its alert
 * settings and saved searches.
 * Kept without the person: reports it filed (reporter NULL), conversations that still
 * have a participant (the other tenant sees "removed user"). Deleted when nobody is
 * left: the conversation. Audit rows hold only ids and have no foreign key: untouched.
 *
 * Returns the number of accounts deleted.
 */
export async function deleteAccounts(
  userIds: readonly number[],
  opts: { transaction: Transaction; config?: Pick<Config, 'sessionSecret'> },
): Promise<number> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return 0;
  const { transaction } = opts;
  const sequelize = User.sequelize!;
  const inIds = { [Op.in]: ids };

  // Conversations these accounts take part in: some may be left with nobody.
  const conversationIds = (
    await ConversationParticipant.findAll({ attributes: ['conversationId'], where: { userId: inIds }, transaction, raw: true })
  ).map((p) => p.conversationId);

  if (conversationIds.length > 0) {
    // The other participant's unread count loses the messages that are about to vanish
    // and that they had not read yet (written after their last_read_at), never below 0.
    await sequelize.query(
      `UPDATE conversation_participants
          SET unread_count = CASE WHEN unread_count > gone.n THEN unread_count - gone.n ELSE 0 END
         FROM (
           SELECT cp.conversation_id AS cid, cp.user_id AS uid, COUNT(m.id) AS n
             FROM conversation_participants cp
             JOIN messages m ON m.conversation_id = cp.conversation_id
            WHERE cp.conversation_id IN (:conversationIds)
              AND cp.user_id NOT IN (:ids)
              AND m.sender_id IN (:ids)
              AND (cp.last_read_at IS NULL OR m.created_at > cp.last_read_at)
            GROUP BY cp.conversation_id, cp.user_id
         ) AS gone
        WHERE conversation_participants.conversation_id = gone.cid
          AND conversation_participants.user_id = gone.uid`,
      { replacements: { conversationIds, ids }, type: QueryTypes.UPDATE, transaction },
    );
  }

  // Reports of the messages about to be deleted keep everything but the message link.
  const messageIds = (await Message.findAll({ attributes: ['id'], where: { senderId: inIds }, transaction, raw: true })).map(
    (m) => m.id,
  );
  if (messageIds.length > 0) {
    await Report.update({ messageId: null }, { where: { messageId: { [Op.in]: messageIds } }, transaction });
  }
  await Message.destroy({ where: { senderId: inIds }, transaction });
  await ConversationParticipant.destroy({ where: { userId: inIds }, transaction });

  if (conversationIds.length > 0) {
    const orphaned = (
      await sequelize.query<{ id: number }>(
        `SELECT c.id FROM conversations c
          WHERE c.id IN (:conversationIds)
            AND NOT EXISTS (SELECT 1 FROM conversation_participants cp WHERE cp.conversation_id = c.id)`,
        { replacements: { conversationIds }, type: QueryTypes.SELECT, transaction },
      )
    ).map((r) => r.id);
    if (orphaned.length > 0) {
      const inOrphaned = { [Op.in]: orphaned };
      await Report.update({ conversationId: null }, { where: { conversationId: inOrphaned }, transaction });
      const leftMessages = (
        await Message.findAll({ attributes: ['id'], where: { conversationId: inOrphaned }, transaction, raw: true })
      ).map((m) => m.id);
      if (leftMessages.length > 0)
        await Report.update({ messageId: null }, { where: { messageId: { [Op.in]: leftMessages } }, transaction });
      await Message.destroy({ where: { conversationId: inOrphaned }, transaction });
      await Conversation.destroy({ where: { id: inOrphaned }, transaction });
    }
  }
  // Surviving conversations forget who the removed tenant was.
  await Conversation.update({ startedById: null }, { where: { startedById: inIds }, transaction });
  await Conversation.update({ lastSenderId: null }, { where: { lastSenderId: inIds }, transaction });

  const listingIds = (await Listing.findAll({ attributes: ['id'], where: { userId: inIds }, transaction, raw: true })).map(
    (l) => l.id,
  );
  if (listingIds.length > 0) {
    const inListings = { [Op.in]: listingIds };
    await Conversation.update({ listingId: null }, { where: { listingId: inListings }, transaction });
    await Report.update({ listingId: null }, { where: { listingId: inListings }, transaction });
    await Favourite.destroy({ where: { listingId: inListings }, transaction });
    await ListingWantedDistrict.destroy({ where: { listingId: inListings }, transaction });
    // Its photos (their bytes are in these rows; secure_delete zeroes the freed pages).
    await ListingPhoto.destroy({ where: { listingId: inListings }, transaction });
    // The listing's match edges, both directions, and its three-way swaps: other
    // tenants' matches and rings lose it at once.
    await deleteListingRings(listingIds, transaction);
    for (const column of ['listing_a', 'listing_b', 'listing_c']) {
      await sequelize.query(`DELETE FROM swap_marks WHERE ${column} IN (:listingIds)`, {
        replacements: { listingIds },
        transaction,
      });
    }
    await sequelize.query('DELETE FROM match_edges WHERE wanter_id IN (:listingIds)', {
      replacements: { listingIds },
      transaction,
    });
    await sequelize.query('DELETE FROM match_edges WHERE home_id IN (:listingIds)', {
      replacements: { listingIds },
      transaction,
    });
    await Listing.destroy({ where: { id: inListings }, transaction });
  }

  await Report.update({ reporterId: null }, { where: { reporterId: inIds }, transaction });
  await Report.update({ handledById: null }, { where: { handledById: inIds }, transaction });
  await Favourite.destroy({ where: { userId: inIds }, transaction });
  // Interest marks go with the account that made them.
  await sequelize.query('DELETE FROM swap_marks WHERE user_id IN (:ids)', { replacements: { ids }, transaction });
  await Block.destroy({ where: { [Op.or]: [{ blockerId: inIds }, { blockedId: inIds }] }, transaction });
  await Session.destroy({ where: { userId: inIds }, transaction });
  await Token.destroy({ where: { userId: inIds }, transaction });
  // The account's rate-limit counters (keyed by its id) would otherwise outlive it.
  if (opts.config) {
    const keys = ids.flatMap((id) => accountLimitKeys(opts.config!, id));
    await sequelize.query('DELETE FROM rate_limits WHERE key IN (:keys)', { replacements: { keys }, transaction });
  }
  // Alert opt-ins, saved searches and what the tenant was told about.
  await deleteAlertData(ids, transaction);
  // Mail still waiting holds the address and links: it goes with the account, unsent.
  await QueuedMail.destroy({ where: { userId: inIds }, transaction });
  return User.destroy({ where: { id: inIds }, transaction });
}

/**
 * A tenant's own erasure (POST /account/delete). The board must keep at least one
 * moderator, so the last one cannot delete their account; the check and the deletion
 * share one transaction so two moderators cannot both leave at once.
 */
export async function eraseOwnAccount(user: User, config: Pick<Config, 'sessionSecret'>): Promise<'deleted' | 'last_moderator'> {
  return User.sequelize!.transaction(async (transaction) => {
    if (await isLastModerator(user, transaction)) return 'last_moderator' as const;
    await deleteAccounts([user.id], { transaction, config });
    return 'deleted' as const;
  });
}
