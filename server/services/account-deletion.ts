import { Op, QueryTypes, type Transaction } from 'sequelize';
import { User } from '../../models/user';
import type { Config } from '../config';
import { deleteAlertData } from './alerts';
import { isLastModerator } from './moderators';
import { accountsLimitKeys } from './rate-limits';
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
  const now = new Date();
  // Plain SQL, one set-based statement per table for the whole batch: a purge batch is
  // a thousand accounts, and building each statement through the models (cloning and
  // escaping the id list every time) cost more than SQLite spent running it. `ids`,
  // `now` and the caller's lists go in as replacements. The page cache still sees every
  // write (it watches all queries, server/middleware/page-cache.ts).
  const run = (sql: string, more: Record<string, unknown> = {}) =>
    sequelize.query(sql, { replacements: { ids, now, ...more }, transaction });
  const select = async (sql: string, more: Record<string, unknown> = {}) =>
    (
      await sequelize.query<{ id: number }>(sql, {
        replacements: { ids, ...more },
        type: QueryTypes.SELECT,
        transaction,
      })
    ).map((r) => Number(r.id));

  // Conversations these accounts take part in: some may be left with nobody.
  const conversationIds = await select(
    'SELECT DISTINCT conversation_id AS id FROM conversation_participants WHERE user_id IN (:ids)',
  );

  if (conversationIds.length > 0) {
    // The other participant's unread count loses the messages that are about to vanish
    // and that they had not read yet (written after their last_read_at), never below 0.
    await run(
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
      { conversationIds },
    );
  }

  // Reports of the messages about to be deleted keep everything but the message link.
  await run(
    'UPDATE reports SET message_id = NULL, updated_at = :now WHERE message_id IN (SELECT id FROM messages WHERE sender_id IN (:ids))',
  );
  await run('DELETE FROM messages WHERE sender_id IN (:ids)');
  await run('DELETE FROM conversation_participants WHERE user_id IN (:ids)');

  if (conversationIds.length > 0) {
    const orphaned = await select(
      `SELECT c.id FROM conversations c
        WHERE c.id IN (:conversationIds)
          AND NOT EXISTS (SELECT 1 FROM conversation_participants cp WHERE cp.conversation_id = c.id)`,
      { conversationIds },
    );
    if (orphaned.length > 0) {
      await run('UPDATE reports SET conversation_id = NULL, updated_at = :now WHERE conversation_id IN (:orphaned)', {
        orphaned,
      });
      await run(
        'UPDATE reports SET message_id = NULL, updated_at = :now WHERE message_id IN (SELECT id FROM messages WHERE conversation_id IN (:orphaned))',
        { orphaned },
      );
      await run('DELETE FROM messages WHERE conversation_id IN (:orphaned)', { orphaned });
      await run('DELETE FROM conversations WHERE id IN (:orphaned)', { orphaned });
    }
  }
  // Surviving conversations forget who the removed tenant was.
  await run('UPDATE conversations SET started_by_id = NULL WHERE started_by_id IN (:ids)');
  await run('UPDATE conversations SET last_sender_id = NULL WHERE last_sender_id IN (:ids)');

  const listingIds = await select('SELECT id FROM listings WHERE user_id IN (:ids)');
  if (listingIds.length > 0) {
    const inListings = (sql: string) => run(sql, { listingIds });
    await inListings('UPDATE conversations SET listing_id = NULL WHERE listing_id IN (:listingIds)');
    await inListings('UPDATE reports SET listing_id = NULL, updated_at = :now WHERE listing_id IN (:listingIds)');
    await inListings('DELETE FROM favourites WHERE listing_id IN (:listingIds)');
    await inListings('DELETE FROM listing_wanted_districts WHERE listing_id IN (:listingIds)');
    // Its photos (their bytes are in these rows; secure_delete zeroes the freed pages).
    await inListings('DELETE FROM listing_photos WHERE listing_id IN (:listingIds)');
    // The listing's match edges, both directions, and its three-way swaps: other
    // tenants' matches and rings lose it at once.
    await deleteListingRings(listingIds, transaction);
    for (const column of ['listing_a', 'listing_b', 'listing_c']) {
      await inListings(`DELETE FROM swap_marks WHERE ${column} IN (:listingIds)`);
    }
    await inListings('DELETE FROM match_edges WHERE wanter_id IN (:listingIds)');
    await inListings('DELETE FROM match_edges WHERE home_id IN (:listingIds)');
    await inListings('DELETE FROM listings WHERE id IN (:listingIds)');
  }

  await run('UPDATE reports SET reporter_id = NULL, updated_at = :now WHERE reporter_id IN (:ids)');
  await run('UPDATE reports SET handled_by_id = NULL, updated_at = :now WHERE handled_by_id IN (:ids)');
  await run('DELETE FROM favourites WHERE user_id IN (:ids)');
  // Interest marks go with the account that made them.
  await run('DELETE FROM swap_marks WHERE user_id IN (:ids)');
  await run('DELETE FROM blocks WHERE blocker_id IN (:ids)');
  await run('DELETE FROM blocks WHERE blocked_id IN (:ids)');
  await run('DELETE FROM sessions WHERE user_id IN (:ids)');
  await run('DELETE FROM tokens WHERE user_id IN (:ids)');
  // The account's rate-limit counters (keyed by its id) would otherwise outlive it.
  // Six keys an account: a batch's keys go as one JSON array rather than thousands of
  // quoted literals, which SQLite spent ~25 ms a batch parsing.
  if (opts.config) {
    const keys = JSON.stringify(accountsLimitKeys(opts.config, ids));
    await run(
      sequelize.getDialect() === 'postgres'
        ? 'DELETE FROM rate_limits WHERE key IN (SELECT jsonb_array_elements_text(CAST(:keys AS jsonb)))'
        : 'DELETE FROM rate_limits WHERE key IN (SELECT value FROM json_each(:keys))',
      { keys },
    );
  }
  // Alert opt-ins, saved searches and what the tenant was told about.
  await deleteAlertData(ids, transaction);
  // Mail still waiting holds the address and links: it goes with the account, unsent.
  await run('DELETE FROM mail_queue WHERE user_id IN (:ids)');
  return User.destroy({ where: { id: { [Op.in]: ids } }, transaction });
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
