import { expect } from 'chai';
import { ACTIONS, authorize, can, explain, REASONS, type Decision } from '../../server/policies';
import { loadResources } from '../../server/i18n';
import type { User } from '../../server/types/records';

// Every policy rule, with the reason it gives when it says no. The actors and targets
// are plain objects with the fields the rules read, so each row states one case.

type Actor = User | undefined;
const person = (id: number, o: Partial<Record<'isAdmin' | 'isVerified' | 'isSuspended' | 'secondFactorPassed', boolean>> = {}) =>
  ({ id, isAdmin: false, isVerified: true, isSuspended: false, secondFactorPassed: false, ...o }) as unknown as User;

const anon: Actor = undefined;
const tenant = person(1);
const other = person(2);
const unverified = person(3, { isVerified: false });
const suspended = person(4, { isSuspended: true });
const mod = person(9, { isAdmin: true, secondFactorPassed: true });
const modNoCode = person(10, { isAdmin: true, secondFactorPassed: false });

const listing = (status: string, userId = tenant.id, showPhone = false) => ({ status, userId, owner: { showPhone } });
const conversation = { id: 5, participantIds: [tenant.id, other.id] };

const ok: Decision = { ok: true };
const no = (reason: (typeof REASONS)[number]): Decision => ({ ok: false, reason });

type Row = [string, Actor, string, unknown, Decision];
const rows: Row[] = [
  // account
  ['a visitor has no account to manage', anon, 'account.manage', undefined, no('not_signed_in')],
  ['a tenant manages their account', tenant, 'account.manage', undefined, ok],
  ['an unverified tenant may not publish', unverified, 'account.publish', undefined, no('not_verified')],
  ['a suspended tenant may not publish', suspended, 'account.publish', undefined, no('suspended')],
  ['a tenant is no moderator', tenant, 'admin.access', undefined, no('not_moderator')],
  ['the role opens /admin (the guard asks for the code)', modNoCode, 'admin.access', undefined, ok],
  ['a visitor is asked to sign in for /admin', anon, 'admin.access', undefined, no('not_signed_in')],

  // listings: who sees one
  ['everyone sees an active listing', anon, 'listing.view', listing('active'), ok],
  ['a visitor does not see a paused listing', anon, 'listing.view', listing('paused'), no('not_visible')],
  ['another tenant does not see a hidden listing', other, 'listing.view', listing('hidden'), no('not_visible')],
  ['the owner sees their removed listing', tenant, 'listing.view', listing('removed'), ok],
  ['a moderator with the code sees a paused listing', mod, 'listing.view', listing('paused'), ok],
  ['a moderator without the code does not', modNoCode, 'listing.view', listing('paused'), no('not_visible')],

  // listings: publishing and the owner's actions
  ['a verified tenant publishes', tenant, 'listing.create', undefined, ok],
  ['an unverified tenant does not publish', unverified, 'listing.create', undefined, no('not_verified')],
  ['a visitor does not publish', anon, 'listing.create', undefined, no('not_signed_in')],
  ['the owner edits a hidden listing', tenant, 'listing.edit', listing('hidden'), ok],
  ['the owner cannot edit a removed listing', tenant, 'listing.edit', listing('removed'), no('wrong_state')],
  ['another tenant cannot edit an active listing', other, 'listing.edit', listing('active'), no('not_owner')],
  ['another tenant gets "not found" for a paused one', other, 'listing.edit', listing('paused'), no('not_visible')],
  ['a moderator cannot edit a tenant listing', mod, 'listing.edit', listing('paused'), no('not_owner')],
  ['the owner pauses an active listing', tenant, 'listing.pause', listing('active'), ok],
  ['the owner cannot pause twice', tenant, 'listing.pause', listing('paused'), no('wrong_state')],
  ['the owner resumes a paused listing', tenant, 'listing.resume', listing('paused'), ok],
  ['the owner cannot resume a hidden listing', tenant, 'listing.resume', listing('hidden'), no('wrong_state')],
  ['the owner deletes a removed listing', tenant, 'listing.delete', listing('removed'), ok],
  ['the owner asks for a review of a hidden listing', tenant, 'listing.requestReview', listing('hidden'), ok],
  ['no review for an active listing', tenant, 'listing.requestReview', listing('active'), no('wrong_state')],
  ['a visitor is asked to sign in for the owner actions', anon, 'listing.pause', listing('active'), no('not_signed_in')],

  // listings: what others do
  ['another tenant saves an active listing', other, 'listing.favourite', listing('active'), ok],
  ['the owner does not save their own', tenant, 'listing.favourite', listing('active'), no('own_listing')],
  ['a paused listing is not found for saving', other, 'listing.favourite', listing('paused'), no('not_visible')],
  ['a moderator cannot save a paused listing', mod, 'listing.favourite', listing('paused'), no('not_active')],
  ['another tenant reports an active listing', other, 'listing.report', listing('active'), ok],
  ['the owner does not report their own', tenant, 'listing.report', listing('active'), no('own_listing')],
  [
    'a saved listing comes off the list whatever its state',
    other,
    'listing.unfavourite',
    { listing: listing('hidden'), saved: true },
    ok,
  ],
  [
    'an unsaved hidden listing is not found',
    other,
    'listing.unfavourite',
    { listing: listing('hidden'), saved: false },
    no('not_visible'),
  ],

  // listings: who sees what on one (the privacy table)
  ['a visitor does not see the username', anon, 'listing.seeUsername', listing('active'), no('not_signed_in')],
  ['a signed-in tenant sees the username', other, 'listing.seeUsername', listing('active'), ok],
  ['a visitor never sees the phone, shown or not', anon, 'listing.seePhone', listing('active', 1, true), no('not_signed_in')],
  ['a tenant sees a phone the owner shows', other, 'listing.seePhone', listing('active', 1, true), ok],
  ['a tenant does not see a phone the owner keeps', other, 'listing.seePhone', listing('active', 1, false), no('phone_hidden')],
  ['a moderator with the code sees a kept phone', mod, 'listing.seePhone', listing('active', 1, false), ok],
  ['a moderator without the code does not', modNoCode, 'listing.seePhone', listing('active', 1, false), no('phone_hidden')],
  ['the owner sees the moderation reason', tenant, 'listing.seeModeration', listing('hidden'), ok],
  ['another tenant does not', other, 'listing.seeModeration', listing('hidden'), no('not_owner')],
  ['a moderator with the code does', mod, 'listing.seeModeration', listing('hidden'), ok],

  // messages
  ['a verified tenant writes about an active listing', other, 'message.start', listing('active'), ok],
  ['a visitor is asked to sign in to write', anon, 'message.start', listing('active'), no('not_signed_in')],
  ['nobody writes about a paused listing', other, 'message.start', listing('paused'), no('not_visible')],
  ['not even its owner', tenant, 'message.start', listing('paused'), no('not_visible')],
  ['nobody writes to their own listing', tenant, 'message.start', listing('active'), no('own_listing')],
  ['an unverified tenant is told to verify', unverified, 'message.start', listing('active'), no('not_verified')],
  ['a suspended tenant does not write', suspended, 'message.start', listing('active'), no('suspended')],
  ['a participant reads the conversation', other, 'conversation.view', conversation, ok],
  ['anyone else does not', person(7), 'conversation.view', conversation, no('not_participant')],
  ['not even a moderator', mod, 'conversation.view', conversation, no('not_participant')],
  ['a visitor is asked to sign in', anon, 'conversation.view', conversation, no('not_signed_in')],
  ['a participant replies', tenant, 'conversation.reply', conversation, ok],
  [
    'an unverified participant is told to verify',
    person(2, { isVerified: false }),
    'conversation.reply',
    conversation,
    no('not_verified'),
  ],
  ['a non-participant cannot reply', person(7), 'conversation.reply', conversation, no('not_participant')],

  // moderators
  ['a moderator handles an open report', mod, 'admin.report.handle', { status: 'open' }, ok],
  ['not a closed one', mod, 'admin.report.handle', { status: 'resolved' }, no('report_closed')],
  ['a moderator without the code handles nothing', modNoCode, 'admin.report.handle', { status: 'open' }, no('not_moderator')],
  ['a tenant handles nothing', tenant, 'admin.report.handle', { status: 'open' }, no('not_moderator')],
  ['a moderator hides an active listing', mod, 'admin.listing.hide', { status: 'active' }, ok],
  ['not a removed one', mod, 'admin.listing.hide', { status: 'removed' }, no('wrong_state')],
  ['a moderator restores a hidden listing', mod, 'admin.listing.restore', { status: 'hidden' }, ok],
  ['not an active one', mod, 'admin.listing.restore', { status: 'active' }, no('wrong_state')],
  ['a moderator removes a hidden listing', mod, 'admin.listing.remove', { status: 'hidden' }, ok],
  ['not a removed one twice', mod, 'admin.listing.remove', { status: 'removed' }, no('wrong_state')],
  ['a moderator suspends a tenant', mod, 'admin.user.suspend', tenant, ok],
  ['not themselves', mod, 'admin.user.suspend', mod, no('protected_account')],
  ['not another moderator', mod, 'admin.user.suspend', modNoCode, no('protected_account')],
  ['not twice', mod, 'admin.user.suspend', suspended, no('already_done')],
  ['a tenant suspends nobody', tenant, 'admin.user.suspend', other, no('not_moderator')],
  ['a moderator lifts a suspension', mod, 'admin.user.unsuspend', suspended, ok],
  ['not from an account that is not suspended', mod, 'admin.user.unsuspend', tenant, no('already_done')],

  // photos follow their listing; a hidden one is for its owner and moderators
  ['the owner manages the photos of an active listing', tenant, 'photo.manage', listing('active'), ok],
  ['not of a removed one', tenant, 'photo.manage', listing('removed'), no('wrong_state')],
  ['another tenant manages no photos', other, 'photo.manage', listing('active'), no('not_owner')],
  [
    'everyone sees a visible photo of an active listing',
    anon,
    'photo.view',
    { listing: listing('active'), photo: { status: 'visible' } },
    ok,
  ],
  [
    "a visitor does not see a paused listing's photo",
    anon,
    'photo.view',
    { listing: listing('paused'), photo: { status: 'visible' } },
    no('not_visible'),
  ],
  [
    'another tenant does not see a hidden photo',
    other,
    'photo.view',
    { listing: listing('active'), photo: { status: 'hidden' } },
    no('not_visible'),
  ],
  ['the owner sees their hidden photo', tenant, 'photo.view', { listing: listing('active'), photo: { status: 'hidden' } }, ok],
  ['a moderator sees a hidden photo', mod, 'photo.view', { listing: listing('paused'), photo: { status: 'hidden' } }, ok],
  ['a moderator hides a visible photo', mod, 'admin.photo.hide', { status: 'visible' }, ok],
  ['not a hidden one', mod, 'admin.photo.hide', { status: 'hidden' }, no('wrong_state')],
  ['a tenant hides no photo', tenant, 'admin.photo.hide', { status: 'visible' }, no('not_moderator')],
  ['a moderator restores a hidden photo', mod, 'admin.photo.restore', { status: 'hidden' }, ok],
  ['not a visible one', mod, 'admin.photo.restore', { status: 'visible' }, no('wrong_state')],
  // alerts and saved searches
  ['a tenant saves a search', tenant, 'savedSearch.create', undefined, ok],
  ['a visitor saves none', undefined, 'savedSearch.create', undefined, no('not_signed_in')],
  ['a suspended tenant saves none', suspended, 'savedSearch.create', undefined, no('suspended')],
  ['a tenant manages their own saved search', tenant, 'savedSearch.manage', { userId: 1 }, ok],
  ['another tenant’s is not even seen', other, 'savedSearch.manage', { userId: 1 }, no('not_visible')],
  ['a visitor manages none', undefined, 'savedSearch.manage', { userId: 1 }, no('not_signed_in')],
];

describe('policies', () => {
  for (const [name, actor, action, target, expected] of rows) {
    it(`${action}: ${name}`, () => {
      expect(explain(actor, action, target)).to.deep.equal(expected);
      // `can` is the same answer as a yes or no, for templates.
      expect(can(actor, action, target)).to.equal(expected.ok);
    });
  }

  it('has a row above for every rule', () => {
    const tested = new Set(rows.map((r) => r[2]));
    expect(ACTIONS.filter((a) => !tested.has(a))).to.deep.equal([]);
  });

  it('answers 404 for what the actor may not see and 403 with the reason otherwise', () => {
    expect(() => authorize(other, 'listing.pause', listing('paused')))
      .to.throw()
      .with.property('status', 404);
    const refused = (() => {
      try {
        authorize(other, 'listing.pause', listing('active'));
      } catch (err) {
        return err as { status: number; details: { reason?: string } };
      }
      return null;
    })();
    expect(refused?.status).to.equal(403);
    expect(refused?.details.reason).to.equal('not_owner');
    // `hide` answers 404 whatever the reason (another tenant's conversation).
    expect(() => authorize(person(7), 'conversation.view', conversation, { hide: true }))
      .to.throw()
      .with.property('status', 404);
  });

  it('refuses to guess at an action it does not know', () => {
    expect(() => explain(tenant, 'listing.fly', listing('active'))).to.throw(/No policy rule/);
  });

  it('has the words for every reason in every language', () => {
    const resources = loadResources();
    for (const lang of ['sv', 'fi', 'en']) {
      const reasons = (resources[lang].policies as { reasons: Record<string, string> }).reasons;
      expect(
        REASONS.filter((r) => typeof reasons[r] !== 'string' || reasons[r] === ''),
        lang,
      ).to.deep.equal([]);
    }
  });
});
