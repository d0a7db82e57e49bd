// The stored records, by type only: handlers and presenters pass them along and read
// their fields, but only services (and jobs) query or change them. The lint rule that
// keeps server/routes off models/ lets routes name these types through this file.
export type { Listing } from '../../models/listing';
export type { PhotoMeta } from '../../models/listing-photo';
export type { Report } from '../../models/report';
export type { SavedSearch } from '../../models/saved-search';
export type { User } from '../../models/user';
