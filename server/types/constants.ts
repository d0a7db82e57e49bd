// The board's named values, shared by every layer: the models store them, the rules and
// forms check them, the views show them. This module imports nothing.

/** A listing's states: shown, paused by its owner, hidden or removed by a moderator. */
export const LISTING_STATUS = { ACTIVE: 'active', PAUSED: 'paused', HIDDEN: 'hidden', REMOVED: 'removed' } as const;
export type ListingStatus = (typeof LISTING_STATUS)[keyof typeof LISTING_STATUS];
export const BUILDING_TYPES = ['block', 'terraced', 'semi_detached', 'detached', 'wooden'] as const;
export type BuildingType = (typeof BUILDING_TYPES)[number];

export const REPORT_REASONS = ['money', 'not_own_flat', 'fake', 'offensive', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];
export const REPORT_STATUS = { OPEN: 'open', RESOLVED: 'resolved', DISMISSED: 'dismissed' } as const;
export type ReportStatus = (typeof REPORT_STATUS)[keyof typeof REPORT_STATUS];

export const ROLES = ['tenant', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** The board's languages: Swedish, Finnish, English. */
export const LOCALES = ['sv', 'fi', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
