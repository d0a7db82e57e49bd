import type { User } from '../../models/user';

/** What the page header and templates may know about the signed-in user. */
export interface CurrentUserView {
  id: number;
  username: string;
  role: string;
  isAdmin: boolean;
  isVerified: boolean;
  locale: string;
}

export function presentCurrentUser(user: User): CurrentUserView {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    isAdmin: user.isAdmin,
    isVerified: user.isVerified,
    locale: user.locale,
  };
}

/** The owner's own account page: their own contact data, nothing else. */
export function presentOwnAccount(user: User) {
  return {
    ...presentCurrentUser(user),
    email: user.email,
    pendingEmail: user.pendingEmail,
    phone: user.phone ?? '',
    showPhone: user.showPhone,
    notifyMessages: user.notifyMessages,
    emailsEnabled: user.emailsEnabled,
    lastLoginAt: user.lastLoginAt,
    createdAt: user.createdAt,
  };
}
