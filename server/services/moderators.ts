import { Op, type Transaction } from 'sequelize';
import { User } from '../../models/user';

/**
 * The board keeps at least one moderator: true when this account is the last one, so
 * it may be neither demoted nor deleted. Asked inside the transaction that would remove
 * the role, so two moderators cannot both leave at once.
 */
export async function isLastModerator(user: Pick<User, 'id' | 'isAdmin'>, transaction: Transaction): Promise<boolean> {
  if (!user.isAdmin) return false;
  const others = await User.count({ where: { role: 'admin', id: { [Op.ne]: user.id } }, transaction });
  return others === 0;
}
