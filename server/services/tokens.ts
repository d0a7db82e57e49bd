import crypto from 'node:crypto';
import { Op, type Transaction } from 'sequelize';
import { Token, type TokenPurpose } from '../../models/token';

export function hashToken(raw: string): string {
  return crypto.createHash('sha256').update(raw).digest('hex');
}

/** Creates a single-use token and returns the raw value for the link; only its hash is kept. */
export async function issueToken(
  userId: number,
  purpose: TokenPurpose,
  ttlMs: number,
  now: Date,
  transaction?: Transaction,
  payload: string | null = null,
): Promise<string> {
  const raw = crypto.randomBytes(32).toString('base64url');
  // A new link replaces the old ones of the same kind.
  await Token.destroy({ where: { userId, purpose }, transaction });
  await Token.create(
    { userId, purpose, tokenHash: hashToken(raw), expiresAt: new Date(now.getTime() + ttlMs), usedAt: null, payload },
    { transaction },
  );
  return raw;
}

/** Finds a valid, unused token without using it. */
export async function findValidToken(raw: unknown, purpose: TokenPurpose, now: Date): Promise<Token | null> {
  if (typeof raw !== 'string' || raw.length < 20 || raw.length > 100) return null;
  return Token.findOne({
    where: { tokenHash: hashToken(raw), purpose, usedAt: null, expiresAt: { [Op.gt]: now } },
  });
}

/** Marks a token used; false if someone else used it first (single use even under races). */
export async function useToken(token: Token, now: Date, transaction?: Transaction): Promise<boolean> {
  const [count] = await Token.update({ usedAt: now }, { where: { id: token.id, usedAt: null }, transaction });
  return count === 1;
}
