import type { User } from '../../models/user';

/**
 * A moderator acting as one: the role AND a session that passed the second factor. A
 * moderator signed in with a password only (or a tenant just promoted) has a tenant's powers.
 */
export const actsAsModerator = (actor: User | undefined): actor is User =>
  !!actor && actor.isAdmin && actor.secondFactorPassed === true;
