import type { User } from '../../models/user';
import { createListing, createUser, type ListingOptions } from './factories';

/** A complete, valid listing form as a browser would send it (SPEC §13 field names). */
export function listingForm(overrides: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return {
    district: 'kallio',
    postal_code: '00530',
    rooms: '2',
    size_m2: '48',
    rent_eur: '780',
    floor: '3',
    has_lift: 'on',
    building_type: 'block',
    available_from: '2027-03-01',
    description: 'Bright two-room flat by the park.',
    wanted_districts: ['vallila', 'toolo'],
    wanted_rooms_min: '3',
    wanted_size_min: '60',
    wanted_rent_max: '1100',
    wanted_description: 'A bigger place for our family.',
    ...overrides,
  };
}

/** A tenant with a listing, both made with the shared factories. */
export async function tenantWithListing(
  userOpts: Parameters<typeof createUser>[0] = {}, listingOpts: ListingOptions = {},
): Promise<{ user: User; listing: Awaited<ReturnType<typeof createListing>> }> {
  const user = await createUser(userOpts);
  const listing = await createListing(user, listingOpts);
  return { user, listing };
}

/** Creates `n` active listings in Kallio, one second apart (the last one newest). */
export async function manyListings(n: number, opts: ListingOptions = {}): Promise<void> {
  const start = Date.UTC(2026, 0, 1);
  for (let i = 0; i < n; i += 1) {
    await createListing(undefined, { createdAt: new Date(start + i * 1000), ...opts });
  }
}
