import { expect } from 'chai';
import { presentInboxRow, presentThread, type ThreadPage } from '../../server/presenters/conversation';
import { presentListing } from '../../server/presenters/listing';
import { presentMatchList } from '../../server/presenters/matches';
import { presentMyData } from '../../server/presenters/my-data';
import { adminPagination, inboxPagination, searchPagination, sectionPagination } from '../../server/presenters/pagination';
import { matchesQuery, parseMatchPages } from '../../server/validation/matches';
import { presentSearchPage } from '../../server/presenters/search';
import type { InboxRow } from '../../server/services/messages';
import type { MyData } from '../../server/services/data-export';
import type { MatchList, SearchFilters, SearchResult } from '../../server/services/listings';
import { parseSearchQuery } from '../../server/validation/listing';
import type { Listing, User } from '../../server/types/records';

// The presenters' own decisions, above all who sees what on a listing: the privacy
// table of docs/product.md as rows. Records are plain objects with the fields read.

const person = (id: number, o: Partial<Record<'isAdmin' | 'isVerified' | 'isSuspended' | 'secondFactorPassed', boolean>> = {}) =>
  ({
    id,
    username: `u${id}`,
    isAdmin: false,
    isVerified: true,
    isSuspended: false,
    secondFactorPassed: false,
    ...o,
  }) as unknown as User;

const owner = person(1);
const tenant = person(2);
const mod = person(9, { isAdmin: true, secondFactorPassed: true });
const modNoCode = person(10, { isAdmin: true });

function listing(o: Partial<Record<string, unknown>> = {}, showPhone = false): Listing {
  return {
    id: 7,
    userId: owner.id,
    status: 'active',
    district: 'kallio',
    postalCode: '00530',
    rooms: 2,
    sizeM2: 48,
    rentEur: 700,
    floor: 3,
    hasLift: true,
    hasBalcony: false,
    hasSauna: false,
    buildingType: 'block',
    availableFrom: null,
    description: 'Sunny',
    wantedDistricts: [],
    wantedRoomsMin: 3,
    wantedSizeMin: 60,
    wantedRentMax: 900,
    wantedLift: false,
    wantedBalcony: false,
    wantedSauna: false,
    wantedDescription: '',
    createdAt: new Date(0),
    updatedAt: new Date(0),
    hiddenReason: 'Asks for money',
    reviewRequestedAt: new Date(0),
    owner: { id: owner.id, username: 'maija', phone: '+358401112222', showPhone },
    ...o,
  } as unknown as Listing;
}

describe('presentListing: who sees what on a listing', () => {
  type Viewer = [string, User | undefined];
  const viewers: Viewer[] = [
    ['the owner', owner],
    ['another tenant', tenant],
    ['a visitor', undefined],
    ['a moderator', mod],
    ['a moderator without the code', modNoCode],
  ];
  // [viewer, phone shown by owner?] → [username, phone, moderation reason]
  const table: Record<string, [boolean, boolean, boolean, boolean]> = {
    //                              username, phone if shown, phone if kept, moderation reason
    'the owner': [true, true, false, true],
    'another tenant': [true, true, false, false],
    'a visitor': [false, false, false, false],
    'a moderator': [true, true, true, true],
    'a moderator without the code': [true, true, false, false],
  };
  for (const [name, viewer] of viewers) {
    const [username, phoneShown, phoneKept, moderation] = table[name];
    it(`${name}: username ${username ? 'yes' : 'no'}, phone ${phoneShown ? 'when shown' : 'never'}${phoneKept ? ' and when kept' : ''}, moderation reason ${moderation ? 'yes' : 'no'}`, () => {
      const shown = presentListing(listing({}, true), viewer, 'en');
      const kept = presentListing(listing({}, false), viewer, 'en');
      expect(shown.username).to.equal(username ? 'maija' : null);
      expect(shown.phone).to.equal(phoneShown ? '+358401112222' : null);
      expect(kept.phone).to.equal(phoneKept ? '+358401112222' : null);
      expect(shown.hiddenReason).to.equal(moderation ? 'Asks for money' : null);
      expect(shown.reviewRequestedAt).to.equal(moderation ? shown.reviewRequestedAt : null);
      expect(shown.isOwner).to.equal(viewer === owner);
    });
  }

  it('never carries an e-mail address, whoever looks', () => {
    const withEmail = listing({ owner: { id: 1, username: 'maija', phone: null, showPhone: true, email: 'maija@example.fi' } });
    for (const viewer of [owner, tenant, undefined, mod]) {
      expect(JSON.stringify(presentListing(withEmail, viewer, 'en'))).not.to.contain('example.fi');
    }
  });
});

describe('presentMatchList', () => {
  it('shows what a home gives beyond my wishes only where it meets them', () => {
    const mine = listing({ wantedRoomsMin: 2, wantedSizeMin: 40, wantedRentMax: 900 });
    const theirs = listing({ id: 8, userId: 2, rooms: 3, sizeM2: 51, rentEur: 678, hasBalcony: true });
    const list = {
      total: 2,
      items: [
        { listing: theirs, score: 80, fitsMe: 70, fitsThem: 90, mutual: true },
        { listing: theirs, score: 50, fitsMe: null, fitsThem: 60, mutual: false },
      ],
    } as unknown as MatchList;
    const view = presentMatchList(list, mine, tenant, 'en');
    expect(view.total).to.equal(2);
    expect(view.items[0].headroom).to.deep.equal({
      extraRooms: 1,
      extraM2: 11,
      underRentEur: 222,
      features: ['has_lift', 'has_balcony'],
    });
    expect(view.items[1].headroom).to.equal(null);
    // The card is presented for the viewer: a signed-in tenant sees the username.
    expect(view.items[0].listing.username).to.equal('maija');
  });
});

describe('presentSearchPage', () => {
  const filters: SearchFilters = parseSearchQuery({ rooms_min: '2' });
  const result = (page: number, pages: number, total: number, count: number) =>
    ({ listings: Array.from({ length: count }, () => listing()), total, page, pages }) as unknown as SearchResult;

  it('counts "from–to of total" from the page', () => {
    const view = presentSearchPage(result(3, 3, 57, 17), filters, undefined, 'en');
    expect([view.from, view.to, view.total]).to.deep.equal([41, 57, 57]);
    expect(presentSearchPage(result(1, 1, 0, 0), filters, undefined, 'en')).to.include({ from: 0, to: 0 });
  });

  it('hides who posted from visitors and keeps the search in the page links', () => {
    const view = presentSearchPage(result(2, 3, 57, 20), filters, undefined, 'en');
    expect(view.listings[0].username).to.equal(null);
    const hrefs = view.pagination.links.map((l) => l.href).filter(Boolean);
    expect(hrefs.every((h) => h!.includes('rooms_min=2'))).to.equal(true);
  });
});

describe('pagination', () => {
  it('search: previous, first, the pages around this one, a gap, the last, next', () => {
    const p = searchPagination(6, 20, (n) => `/listings?page=${n}`);
    const shown = p.links.map((l) => (l.gap ? '…' : (l.rel ?? (l.current ? `[${l.short}]` : l.short))));
    expect(shown).to.deep.equal(['prev', '1', '…', '4', '5', '[6]', '7', '8', '…', '20', 'next']);
    expect(p.links.find((l) => l.current)!.href).to.equal(null);
    expect(searchPagination(1, 1, String).links).to.deep.equal([]);
  });

  it('admin: every page up to 12, then the first, the last and three either side', () => {
    expect(adminPagination('/admin/users', {}, 1, 3).links.map((l) => l.href)).to.deep.equal([
      null,
      '/admin/users?page=2',
      '/admin/users?page=3',
    ]);
    const many = adminPagination('/admin/users', { q: 'ma' }, 10, 20).links;
    expect(many.map((l) => (l.gap ? '…' : l.params!.n))).to.deep.equal([1, '…', 7, 8, 9, 10, 11, 12, 13, '…', 20]);
    expect(many[0].href).to.equal('/admin/users?q=ma');
    expect(adminPagination('/admin/users', {}, 1, 1).links).to.deep.equal([]);
  });

  it("a section of /matches: search's links under its own label, keeping the other sections", () => {
    const href = (n: number) => `/matches${matchesQuery({ mutual: 2, rings: n, wants: 1 })}#rings-title`;
    const p = sectionPagination('swaps:rings.pages', 1, 3, href);
    expect(p.labelKey).to.equal('swaps:rings.pages');
    expect(p.links.map((l) => l.href)).to.deep.equal([
      null,
      '/matches?mutual=2&rings=2#rings-title',
      '/matches?mutual=2&rings=3#rings-title',
      '/matches?mutual=2&rings=2#rings-title',
    ]);
    expect(matchesQuery({ mutual: 1, rings: 1, wants: 1 })).to.equal('');
    expect(parseMatchPages({ mutual: '0', rings: 'x', wants: ['2', '3'] })).to.deep.equal({ mutual: 1, rings: 1, wants: 1 });
    expect(parseMatchPages(new URLSearchParams('wants=4&rings=1234567'))).to.deep.equal({ mutual: 1, rings: 1, wants: 4 });
  });

  it('inbox: newer and older around this page, as far as there is one', () => {
    expect(inboxPagination(1, false).links.length).to.equal(1);
    expect(inboxPagination(2, true).links.map((l) => l.href)).to.deep.equal(['/messages?page=1', null, '/messages?page=3']);
  });
});

describe('presentThread', () => {
  const conversation = {
    id: 5,
    participantIds: [owner.id, tenant.id],
    listingId: 7,
    startedById: 2,
    lastSenderId: 2,
    lastMessageAt: new Date(0),
  };
  const page = (o: Partial<ThreadPage> = {}): ThreadPage => ({
    messages: [
      { id: 11, senderId: 2, body: 'Hej', createdAt: new Date(0) },
      { id: 12, senderId: 1, body: 'Hi', createdAt: new Date(1) },
    ] as ThreadPage['messages'],
    hasOlder: false,
    other: { id: 1, username: 'maija', getsNotices: true },
    listing: null,
    iBlocked: false,
    reportedIds: new Set([12]),
    ...o,
  });
  const names = (c: string) => c;

  it('offers the reply form to a verified participant', () => {
    const view = presentThread(page(), tenant, conversation, undefined, names);
    expect(view).to.include({ canReply: true, replyRefusal: null, olderHref: null, newerHref: null });
    expect(view.messages.map((m) => [m.mine, m.reported])).to.deep.equal([
      [true, false],
      [false, true],
    ]);
  });

  it('tells an unverified participant why there is no form', () => {
    const view = presentThread(page(), person(2, { isVerified: false }), conversation, undefined, names);
    expect(view).to.include({ canReply: false, replyRefusal: 'policies:message.not_verified' });
  });

  it('has no reply form when the other tenant is gone or blocked', () => {
    expect(presentThread(page({ other: null }), tenant, conversation, undefined, names).canReply).to.equal(false);
    expect(presentThread(page({ iBlocked: true }), tenant, conversation, undefined, names).canReply).to.equal(false);
  });

  it('links older messages from the oldest shown, and back to the newest when paging', () => {
    const view = presentThread(page({ hasOlder: true }), tenant, conversation, 40, names);
    expect(view.olderHref).to.equal('/messages/5?before=11');
    expect(view.newerHref).to.equal('/messages/5');
  });
});

describe('presentInboxRow', () => {
  const row = (o: Partial<InboxRow> = {}) =>
    ({
      conversationId: 5,
      otherId: 1,
      otherUsername: 'maija',
      listingId: 7,
      listingDistrict: 'kallio',
      listingRooms: 2,
      listingStatus: 'paused',
      lastMessageAt: '2026-11-28 04:00:00.000 +00:00',
      unreadCount: '2',
      lastSenderId: 1,
      ...o,
    }) as unknown as InboxRow;

  it('awaits my reply when the other tenant had the last word, and links only an active listing', () => {
    const view = presentInboxRow(row(), 2, (c) => c.toUpperCase());
    expect(view).to.include({ href: '/messages/5', otherUsername: 'maija', unreadCount: 2, awaitingReply: true });
    expect(view.listing).to.deep.include({ districtName: 'KALLIO', linkable: false });
    expect(view.lastMessageAt).to.be.instanceOf(Date);
  });

  it('names nobody when the other account is gone, and awaits nothing from it', () => {
    expect(presentInboxRow(row({ otherId: null }), 2, String)).to.include({ otherUsername: null, awaitingReply: false });
  });
});

describe('presentMyData', () => {
  it('names districts, counts messages, says who is gone and what each report was about', () => {
    const data = {
      account: { username: 'maija' },
      purgeDate: null,
      listing: { district: 'kallio', wanted: { districts: ['toolo', 'vallila'] } },
      favourites: [{ listingId: 3, district: 'toolo' }],
      blocks: [],
      conversations: [
        {
          id: 1,
          otherParticipant: 'otto',
          otherRemoved: false,
          listing: { id: 3, district: 'toolo', rooms: 2 },
          lastMessageAt: new Date(0),
          messages: [{}, {}],
        },
        { id: 2, otherParticipant: 'x', otherRemoved: true, listing: null, lastMessageAt: new Date(0), messages: [{}] },
      ],
      reportsFiled: [
        { kind: 'listing', listingId: 3, messageId: null, reason: 'fake', status: 'open', details: '', createdAt: new Date(0) },
        { kind: 'message', listingId: null, messageId: 9, reason: 'other', status: 'open', details: '', createdAt: new Date(0) },
        {
          kind: 'message',
          listingId: null,
          messageId: null,
          reason: 'other',
          status: 'open',
          details: '',
          createdAt: new Date(0),
        },
      ],
      pendingEmails: [],
      activeSessions: [],
      alerts: {
        newSwaps: true,
        lastSentAt: null,
        told: { pairs: 2, rings: 1 },
        savedSearches: [
          {
            id: 5,
            name: '',
            alert: true,
            createdAt: new Date(0),
            filters: { districts: ['kallio'], lift: false, balcony: false, sauna: false },
          },
        ],
      },
    } as unknown as MyData;
    const view = presentMyData(
      data,
      (c) => c.toUpperCase(),
      (f) => `in ${f.districts.join(', ')}`,
    );
    expect(view.alerts.savedSearches).to.deep.equal([{ name: '', summary: 'in kallio', alert: true, createdAt: new Date(0) }]);
    expect(view.listing!.districtName).to.equal('KALLIO');
    expect(view.listing!.wanted.districtNames).to.deep.equal(['TOOLO', 'VALLILA']);
    expect(view.favourites[0].districtName).to.equal('TOOLO');
    expect(view.conversations.map((c) => [c.otherName, c.messageCount, c.listing?.districtName ?? null])).to.deep.equal([
      ['otto', 2, 'TOOLO'],
      [null, 1, null],
    ]);
    expect(view.reportsFiled.map((r) => r.about)).to.deep.equal([
      { key: 'data:reports.item_listing', params: { id: 3 } },
      { key: 'data:reports.item_message', params: {} },
      { key: 'data:reports.item_gone', params: {} },
    ]);
  });
});
