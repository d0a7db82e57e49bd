import { expect } from 'chai';
import { Message } from '../../models/message';
import { issueToken } from '../../server/services/tokens';
import { LISTING_CHECKBOXES } from '../../server/validation/listing';
import { context } from '../helpers/context';
import {
  createConversation,
  createListing,
  createModerator,
  createUser,
  DEFAULT_PASSWORD,
  listingForm,
  reportListing,
} from '../helpers/factories';
import { type Agent, agent, csrfFrom, passwordStep, signIn, signInModerator } from '../helpers/http';

// Bytes no person types: a NUL, bytes that are not UTF-8 (%FF), and values far longer
// than any field allows. Every form and query string answers them with a 4xx page —
// never a 500 (SQLite refuses a statement holding a NUL) and never a stored value.

const BAD_VALUES: [name: string, raw: string][] = [
  ['a NUL byte', 'ab%00cd'],
  ['invalid UTF-8', 'ab%FFcd'],
  ['an overlong value', 'x'.repeat(20_000)],
];

/** A urlencoded body with every field encoded, except `field`, whose raw (already encoded) value is sent as is. */
function body(fields: Record<string, string | string[]>, field: string, raw: string, csrf: string): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (k === field) continue;
    for (const one of Array.isArray(v) ? v : [v]) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(one)}`);
  }
  parts.push(`${encodeURIComponent(field)}=${raw}`, `_csrf=${encodeURIComponent(csrf)}`);
  return parts.join('&');
}

interface FormCase {
  name: string;
  /** Builds the rows and the session; returns the agent, the form's action and the page holding its token. */
  setUp(): Promise<{ a: Agent; action: string; page: string; extra?: Record<string, string> }>;
  fields: Record<string, string | string[]>;
}

const CHECKBOXES = new Set([...LISTING_CHECKBOXES, 'show_phone', 'notify_messages']);

const PASSWORD_FIELDS = { password: 'a long walk by the sea', password_confirm: 'a long walk by the sea' };

const FORMS: FormCase[] = [
  {
    name: 'registration',
    setUp: async () => ({ a: agent(), action: '/register', page: '/register' }),
    fields: { username: 'new_tenant', email: 'new@example.fi', phone: '+358401234567', ...PASSWORD_FIELDS },
  },
  {
    name: 'sign-in',
    setUp: async () => ({ a: agent(), action: '/login', page: '/login' }),
    fields: { username: 'someone', password: 'not the password' },
  },
  {
    name: 'forgotten password',
    setUp: async () => ({ a: agent(), action: '/forgot-password', page: '/forgot-password' }),
    fields: { email: 'someone@example.fi' },
  },
  {
    name: 'password reset',
    setUp: async () => {
      const user = await createUser();
      const token = await issueToken(user.id, 'reset_password', 3600_000, new Date());
      const path = `/reset-password?token=${encodeURIComponent(token)}`;
      return { a: agent(), action: path, page: path };
    },
    fields: PASSWORD_FIELDS,
  },
  {
    name: 'second factor',
    setUp: async () => ({ a: await passwordStep(await createModerator()), action: '/login/totp', page: '/login/totp' }),
    fields: { totp: '123456' },
  },
  {
    name: 'account settings',
    setUp: async () => ({ a: await signIn(await createUser()), action: '/account', page: '/account' }),
    fields: { email: 'other@example.fi', phone: '+358401234567', locale: 'sv', current_password: DEFAULT_PASSWORD },
  },
  {
    name: 'password change',
    setUp: async () => ({ a: await signIn(await createUser()), action: '/account/password', page: '/account' }),
    fields: { current_password: DEFAULT_PASSWORD, ...PASSWORD_FIELDS },
  },
  {
    name: 'account deletion',
    setUp: async () => ({ a: await signIn(await createUser()), action: '/account/delete', page: '/account/data' }),
    fields: { password: DEFAULT_PASSWORD },
  },
  {
    name: 'new listing',
    setUp: async () => ({ a: await signIn(await createUser()), action: '/listings', page: '/listings/new' }),
    fields: listingForm(),
  },
  {
    name: 'listing edit',
    setUp: async () => {
      const user = await createUser();
      const listing = await createListing(user);
      return { a: await signIn(user), action: `/listings/${listing.id}`, page: `/listings/${listing.id}/edit` };
    },
    fields: listingForm(),
  },
  {
    name: 'listing report',
    setUp: async () => {
      const listing = await createListing();
      return { a: await signIn(await createUser()), action: `/listings/${listing.id}/report`, page: `/listings/${listing.id}` };
    },
    fields: { reason: 'money', details: 'Asks for money first.' },
  },
  {
    name: 'first message',
    setUp: async () => {
      const listing = await createListing();
      return { a: await signIn(await createUser()), action: `/listings/${listing.id}/messages`, page: `/listings/${listing.id}` };
    },
    fields: { body: 'Hello! Is it still free?' },
  },
  {
    name: 'reply',
    setUp: async () => {
      const me = await createUser();
      const { conversation } = await createConversation(await createListing(), me);
      return { a: await signIn(me), action: `/messages/${conversation.id}`, page: `/messages/${conversation.id}` };
    },
    fields: { body: 'Thanks for the answer.' },
  },
  {
    name: 'message report',
    setUp: async () => {
      const me = await createUser();
      const listing = await createListing();
      const { conversation } = await createConversation(listing, me);
      const message = await Message.findOne({ where: { conversationId: conversation.id } });
      return {
        a: await signIn(me),
        action: `/messages/${conversation.id}/report`,
        page: `/messages/${conversation.id}`,
        extra: { message_id: String(message!.id) },
      };
    },
    fields: { reason: 'money', details: 'Asks for money first.' },
  },
  {
    name: 'moderator: hide a listing',
    setUp: async () => {
      const listing = await createListing();
      return {
        a: await signInModerator(await createModerator()),
        action: `/admin/listings/${listing.id}/hide`,
        page: '/admin/listings',
      };
    },
    fields: { reason: 'Asks for money.' },
  },
  {
    name: 'moderator: suspend an account',
    setUp: async () => {
      const user = await createUser();
      return {
        a: await signInModerator(await createModerator()),
        action: `/admin/users/${user.id}/suspend`,
        page: '/admin/users',
      };
    },
    fields: { reason: 'Spam.' },
  },
  {
    name: 'moderator: resolve a report',
    setUp: async () => {
      const report = await reportListing(await createUser(), await createListing());
      return {
        a: await signInModerator(await createModerator()),
        action: `/admin/reports/${report.id}/resolve`,
        page: '/admin/reports',
      };
    },
    fields: { note: 'Handled.' },
  },
];

describe('bad bytes and overlong values', function () {
  this.timeout(120_000);

  for (const form of FORMS) {
    it(`the ${form.name} form answers every field's bad value with a 4xx page`, async () => {
      // Checkboxes are left out: any value but "on" simply means "not ticked".
      for (const field of Object.keys(form.fields).filter((f) => !CHECKBOXES.has(f))) {
        for (const [what, raw] of BAD_VALUES) {
          context().rateLimits.clearMemory();
          const { a, action, page, extra } = await form.setUp();
          const csrf = csrfFrom((await a.get(page)).text);
          const res = await a
            .post(action)
            .type('form')
            .send(body({ ...extra, ...form.fields }, field, raw, csrf));
          expect(res.status, `${field} with ${what}`).to.be.within(400, 499);
          expect(res.text, `${field} with ${what}`).to.contain('<html');
        }
      }
    });
  }

  it('says next to the field that control characters cannot be used, keeping the rest', async () => {
    const a = agent();
    const csrf = csrfFrom((await a.get('/register')).text);
    const res = await a
      .post('/register')
      .type('form')
      .send(body({ username: 'new_tenant', email: 'new@example.fi', ...PASSWORD_FIELDS }, 'username', 'ab%00cd', csrf));
    expect(res.status).to.equal(422);
    expect(res.text).to.match(/id="field-username-error"[\s\S]{0,200}styrtecken/);
    expect(res.text).to.contain('value="new@example.fi"');
  });

  it('answers a bad query string on any page with 400', async () => {
    const paths = [
      '/listings?district=',
      '/listings?rooms_min=',
      '/listings?sort=',
      '/listings?page=',
      '/login?next=',
      '/verify-email?token=',
      '/reset-password?token=',
      '/email-change/undo?token=',
      '/notifications/unsubscribe?u=',
      '/language?lang=',
      '/admin/users?q=',
      '/listings/1?x=',
      '/?q=',
    ];
    for (const path of paths) {
      for (const [what, raw] of BAD_VALUES) {
        const res = await agent()
          .get(path + raw)
          .set('Accept', 'text/html');
        // (Node itself answers 431 to a request line longer than its header limit.)
        expect(res.status, `${path} with ${what}`).to.be.oneOf([400, 431]);
      }
    }
  });

  it('treats a malformed language cookie as no choice, not as an error', async () => {
    const res = await agent().get('/').set('Cookie', 'bb.lang=%E0%A4%A').set('Accept-Language', 'fi');
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('<html lang="fi">');
  });
});
