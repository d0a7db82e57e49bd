import type { User } from '../types/records';
import { can } from '../policies';
import { presentSavedSearch } from '../presenters/alerts';
import { presentListing } from '../presenters/listing';
import { SAVED_SEARCH_LIMIT, loadAlertState } from '../services/alerts';
import { purgeDeadline } from '../services/retention';
import type { RouteContext } from './context';

/**
 * The parts of the /account page that belong to other areas of the product, in the
 * order the page shows them. Each loader returns the partial to include (relative to
 * views/account/show.ejs) and the data it shows, or null to show nothing.
 */
export type AccountSection = { view: string } & Record<string, unknown>;
export type AccountSectionLoader = (user: User, ctx: RouteContext) => Promise<AccountSection | null>;

/** The tenant's own listing: its state and what they can do with it. */
async function ownListing(user: User, ctx: RouteContext): Promise<AccountSection> {
  const listing = await ctx.services.listings.findByOwner(user.id);
  return {
    view: '_listing',
    ownListing: listing ? presentListing(listing, user, user.locale) : null,
    canPublish: can(user, 'listing.create'),
  };
}

/** Blocked tenants, each with an "unblock" button; nothing when there are none. */
async function blockedTenants(user: User, ctx: RouteContext): Promise<AccountSection | null> {
  const blocked = await ctx.services.messages.blockedBy(user);
  return blocked.length > 0 ? { view: '_blocks', blocked } : null;
}

/** "My data": a summary with the links and forms that exercise each data-protection right. */
async function myData(user: User, ctx: RouteContext): Promise<AccountSection> {
  return {
    view: '_data',
    purgeDate: user.isAdmin ? null : purgeDeadline(user.lastLoginAt, ctx.config.purge.retentionMonths),
    retentionMonths: ctx.config.purge.retentionMonths,
    emailsEnabled: user.emailsEnabled,
    deleteErrors: {},
  };
}

/** Alerts and saved searches (views/alerts/_account.ejs, server/routes/alerts.ts). */
async function alerts(user: User): Promise<AccountSection> {
  const state = await loadAlertState(user.id);
  return {
    view: '../alerts/_account',
    alertSettings: { newSwaps: state.newSwaps },
    savedSearches: state.searches.map((s) => presentSavedSearch(s, user.locale)),
    savedSearchLimit: SAVED_SEARCH_LIMIT,
    alertEmailsEnabled: user.emailsEnabled,
    alertVerified: user.isVerified,
  };
}

export const ACCOUNT_SECTIONS: readonly AccountSectionLoader[] = [ownListing, blockedTenants, alerts, myData];

export async function loadAccountSections(user: User, ctx: RouteContext): Promise<AccountSection[]> {
  const sections = await Promise.all(ACCOUNT_SECTIONS.map((load) => load(user, ctx)));
  return sections.filter((s): s is AccountSection => s !== null);
}
