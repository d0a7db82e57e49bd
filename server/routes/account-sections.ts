import type { User } from '../../models/user';
import type { RouteContext } from '../services';

/**
 * Parts of the /account page that belong to other areas of the product (the tenant's
 * listing, blocked tenants, "My data"). Each loader returns the partial to include and
 * the data it shows, or null to show nothing.
 */
export type AccountSection = { view: string } & Record<string, unknown>;
export type AccountSectionLoader = (user: User, ctx: RouteContext) => Promise<AccountSection | null>;

export const ACCOUNT_SECTIONS: AccountSectionLoader[] = [];

export async function loadAccountSections(user: User, ctx: RouteContext): Promise<AccountSection[]> {
  const sections = await Promise.all(ACCOUNT_SECTIONS.map((load) => load(user, ctx)));
  return sections.filter((s): s is AccountSection => s !== null);
}
