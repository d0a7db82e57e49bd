import { rng } from '../jobs/seed';
import type { Db } from '../models';
import { INBOX_PAGE_SIZE } from '../server/services/messages';
import { photoPath } from '../server/services/photo-images';

// The crowd the web benchmark sends: many different searches, listings, tenants and
// conversations, picked from the seeded database, so that each row measures what many
// people at once cost, not how fast one cached URL comes back.

export interface CrowdSize {
  /** Different anonymous searches (district sets, filters, sort orders, pages). */
  searches: number;
  /** Different listing pages (active listings). */
  listingPages: number;
  /** Tenants with a listing who sign in for /matches, their inboxes, threads and replies. */
  signedIn: number;
  /** Different conversation pages of those tenants. */
  threads: number;
}

export const FULL_CROWD: CrowdSize = { searches: 400, listingPages: 400, signedIn: 16, threads: 24 };

/** One request a member of the crowd makes; `tenant` names whose cookie it carries. */
export interface Visit {
  method: 'GET' | 'POST';
  path: string;
  tenant?: string;
  /** Form fields; `_csrf` is filled in with the tenant's token when sent. */
  form?: Record<string, string>;
  lang?: string;
}

export interface Crowd {
  districts: string[];
  searches: Visit[];
  listingPages: Visit[];
  /** demo_bench: the tenant with many conversations. */
  inboxTenant: string;
  inboxPages: number;
  /** Usernames of the tenants who sign in (demo_bench not included). */
  tenants: string[];
  /** Conversations of the signed-in tenants, with the participant who opens them. */
  threads: { tenant: string; conversationId: number }[];
  /** Photo URLs of active listings, card thumbnails and large views, as pages link them. */
  photos: Visit[];
}

// Visitors' languages: most write Finnish, some Swedish, a few English. The page cache
// keeps one copy per language, so this spreads the cache the way real visitors do.
const LANGS = ['fi', 'fi', 'fi', 'sv', 'sv', 'en'];

/**
 * `count` different search URLs, as visitors build them with the search form: zero to
 * three districts, sometimes rooms, size or rent bounds and an amenity, one of the sort
 * orders, and mostly the first pages of the result.
 */
export function searchUrls(districts: readonly string[], count: number, seed = 11): Visit[] {
  const random = rng(seed);
  const seen = new Set<string>();
  const visits: Visit[] = [];
  for (let attempt = 0; visits.length < count && attempt < count * 50; attempt++) {
    const params = new URLSearchParams();
    const chosen = new Set<string>();
    const districtCount = random.pick([0, 1, 1, 1, 2, 2, 3]);
    while (chosen.size < Math.min(districtCount, districts.length)) chosen.add(random.pick(districts));
    for (const d of [...chosen].sort()) params.append('district', d);
    const roomsMin = random.chance(0.5) ? random.int(1, 4) : undefined;
    if (roomsMin !== undefined) params.set('rooms_min', String(roomsMin));
    if (random.chance(0.2)) params.set('rooms_max', String(random.int(roomsMin ?? 1, 5)));
    if (random.chance(0.25)) params.set('size_min', String(random.int(3, 9) * 10));
    if (random.chance(0.35)) params.set('rent_max', String(random.int(5, 20) * 100));
    if (random.chance(0.1)) params.set('lift', '1');
    if (random.chance(0.1)) params.set('balcony', '1');
    if (random.chance(0.05)) params.set('sauna', '1');
    const sort = random.pick(['newest', 'newest', 'newest', 'rent', 'size']);
    if (sort !== 'newest') params.set('sort', sort);
    const page = random.chance(0.6) ? 1 : random.chance(0.6) ? random.int(2, 3) : random.int(4, 12);
    if (page > 1) params.set('page', String(page));
    const query = params.toString();
    const path = `/listings${query ? `?${query}` : ''}`;
    if (seen.has(path)) continue;
    seen.add(path);
    visits.push({ method: 'GET', path, lang: random.pick(LANGS) });
  }
  return visits;
}

type Rows<T> = [T[], unknown];

/** Reads the crowd's districts, listings, tenants and conversations from a seeded database. */
export async function pickCrowd(db: Db, size: CrowdSize): Promise<Crowd> {
  const q = async <T>(sql: string, replacements?: Record<string, unknown>) =>
    ((await db.sequelize.query(sql, { raw: true, replacements })) as Rows<T>)[0];
  const districts = (await q<{ district: string }>(`SELECT DISTINCT district FROM listings ORDER BY district`)).map(
    (r) => r.district,
  );

  // Listing pages: active listings spread evenly over the id range, not the first few.
  const active = (await q<{ id: number }>(`SELECT id FROM listings WHERE status = 'active' ORDER BY id`)).map((r) =>
    Number(r.id),
  );
  const step = Math.max(1, Math.floor(active.length / Math.max(1, size.listingPages)));
  const random = rng(23);
  const listingPages: Visit[] = [];
  for (let i = 0; i < active.length && listingPages.length < size.listingPages; i += step) {
    listingPages.push({ method: 'GET', path: `/listings/${active[i]}`, lang: random.pick(LANGS) });
  }

  // Signed-in tenants: owners of an active listing (so /matches has something to score),
  // those who take part in conversations first, spread over the id range.
  const owners = await q<{ username: string; conversations: number | string }>(
    `SELECT u.username, (SELECT COUNT(*) FROM conversation_participants cp WHERE cp.user_id = u.id) AS conversations
       FROM users u JOIN listings l ON l.user_id = u.id AND l.status = 'active'
      WHERE u.role = 'tenant' AND u.suspended_at IS NULL AND u.username_lower <> 'demo_bench'
      ORDER BY u.id`,
  );
  const talking = owners.filter((o) => Number(o.conversations) > 0);
  const quiet = owners.filter((o) => Number(o.conversations) === 0);
  const spread = <T>(list: T[], n: number): T[] => {
    if (list.length <= n) return list;
    const every = list.length / n;
    return Array.from({ length: n }, (_, i) => list[Math.floor(i * every)]);
  };
  const chosen = spread(talking, size.signedIn);
  const tenants = [...chosen, ...spread(quiet, size.signedIn - chosen.length)].map((o) => o.username);

  // Conversation pages: the signed-in tenants' conversations, taken in turn from each
  // tenant so that all of them open some.
  const parts =
    tenants.length === 0
      ? []
      : await q<{ username: string; conversationId: number }>(
          `SELECT u.username, cp.conversation_id AS "conversationId"
       FROM conversation_participants cp JOIN users u ON u.id = cp.user_id
      WHERE u.username IN (:tenants)
      ORDER BY cp.conversation_id`,
          { tenants },
        );
  const byTenant = new Map<string, number[]>();
  for (const p of parts) byTenant.set(p.username, [...(byTenant.get(p.username) ?? []), Number(p.conversationId)]);
  const threads: Crowd['threads'] = [];
  // A few more than asked for: the harness drops any the tenant may not reply to.
  const wanted = Math.ceil(size.threads * 1.5);
  for (let round = 0; threads.length < wanted; round++) {
    let added = false;
    for (const tenant of tenants) {
      const ids = byTenant.get(tenant) ?? [];
      if (round < ids.length && threads.length < wanted) {
        threads.push({ tenant, conversationId: ids[round] });
        added = true;
      }
    }
    if (!added) break;
  }

  const [bench] = await q<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM conversation_participants cp JOIN users u ON u.id = cp.user_id WHERE u.username_lower = 'demo_bench'`,
  );
  // Photos: the visible photos of active listings that the listing pages above show
  // (the seeder gives a share of listings demo photos), thumbnails and large views.
  const photoKeys = (
    await q<{ key: string }>(
      `SELECT p.key FROM listing_photos p JOIN listings l ON l.id = p.listing_id
      WHERE l.status = 'active' AND p.status = 'visible' ORDER BY p.id LIMIT :n`,
      { n: size.listingPages },
    )
  ).map((r) => r.key);
  const photos: Visit[] = photoKeys.flatMap((key) => [
    { method: 'GET' as const, path: photoPath(key, 'thumb') },
    { method: 'GET' as const, path: photoPath(key, 'large') },
  ]);
  return {
    photos,
    districts,
    searches: searchUrls(districts, size.searches),
    listingPages,
    inboxTenant: 'demo_bench',
    inboxPages: Math.max(1, Math.ceil(Number(bench?.n ?? 0) / INBOX_PAGE_SIZE)),
    tenants,
    threads,
  };
}
