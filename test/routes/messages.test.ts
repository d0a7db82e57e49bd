import { expect } from 'chai';
import { Conversation } from '../../models/conversation';
import { ConversationParticipant } from '../../models/conversation-participant';
import { Message } from '../../models/message';
import { Session } from '../../models/session';
import { User } from '../../models/user';
import { context, deliverQueuedMail } from '../helpers/context';
import { createBlock, createConversation, createListing, createUser, DEFAULT_PASSWORD } from '../helpers/factories';
import { agent, csrfToken, postForm, signIn, submit } from '../helpers/http';

/** The number in the header's "Messages" link, or 0 when there is no badge. */
function headerUnread(html: string): number {
  const match = /href="\/messages">[^<]*<span class="badge">(\d+)/.exec(html);
  return match ? Number(match[1]) : 0;
}

async function participant(conversationId: number, userId: number) {
  return ConversationParticipant.findOne({ where: { conversationId, userId } });
}

describe('POST /listings/:id/messages', () => {
  it('opens a conversation with the owner and shows it at /messages/:id', async () => {
    const owner = await createUser({ username: 'owner_olga' });
    const listing = await createListing(owner);
    const writer = await createUser({ username: 'writer_wilma' });
    const a = await signIn(writer);
    const res = await submit(
      a,
      `/listings/${listing.id}/messages`,
      { body: 'Hej! Vill du byta mot en trea i Vallila?' },
      '/messages',
    );
    expect(res.status).to.equal(303);
    const conversation = await Conversation.findOne({ where: { listingId: listing.id, startedById: writer.id } });
    expect(conversation).to.not.equal(null);
    expect(res.headers.location).to.equal(`/messages/${conversation!.id}`);

    const thread = await a.get(res.headers.location);
    expect(thread.status).to.equal(200);
    expect(thread.text).to.contain('Hej! Vill du byta mot en trea i Vallila?');
    expect(thread.text).to.contain('Konversation med owner_olga');

    // The owner sees it, unread, in the inbox and in the header.
    const o = await signIn(owner);
    const inbox = await o.get('/messages');
    expect(inbox.text).to.contain('writer_wilma');
    expect(inbox.text).to.contain('Olästa: 1');
    expect(inbox.text).to.contain('Väntar på ditt svar');
    expect(headerUnread(inbox.text)).to.equal(1);
    // The writer's own count stays at zero.
    expect((await participant(conversation!.id, writer.id))!.unreadCount).to.equal(0);
  });

  it('reuses the one conversation when the same tenant writes about the same listing again', async () => {
    const listing = await createListing();
    const writer = await createUser();
    const a = await signIn(writer);
    const first = await submit(a, `/listings/${listing.id}/messages`, { body: 'Första' }, '/messages');
    const second = await submit(a, `/listings/${listing.id}/messages`, { body: 'Andra' }, '/messages');
    expect(second.status).to.equal(303);
    expect(second.headers.location).to.equal(first.headers.location);
    expect(await Conversation.count()).to.equal(1);
    expect(await Message.count()).to.equal(2);
    const ownerRow = await participant(Number(first.headers.location.split('/').pop()), listing.userId);
    expect(ownerRow!.unreadCount).to.equal(2);
  });

  it('also reuses the conversation the owner already answered in', async () => {
    const owner = await createUser();
    const listing = await createListing(owner);
    const writer = await createUser();
    const { conversation } = await createConversation(listing, writer, [
      { from: writer, body: 'Hej' },
      { from: owner, body: 'Hej själv' },
    ]);
    const res = await submit(await signIn(writer), `/listings/${listing.id}/messages`, { body: 'Igen' }, '/messages');
    expect(res.headers.location).to.equal(`/messages/${conversation.id}`);
    expect(await Conversation.count()).to.equal(1);
  });

  it('ends simultaneous first messages in one conversation', async function () {
    const listing = await createListing();
    const writer = await createUser();
    const service = context().board.services.messages;
    const results = await Promise.all([
      service.startOrReuse(writer, listing, 'Samtidigt 1'),
      service.startOrReuse(writer, listing, 'Samtidigt 2'),
      service.startOrReuse(writer, listing, 'Samtidigt 3'),
    ]);
    expect(new Set(results.map((r) => r.conversationId)).size).to.equal(1);
    expect(results.filter((r) => r.created)).to.have.length(1);
    expect(await Conversation.count()).to.equal(1);
    expect(await Message.count()).to.equal(3);
    expect((await participant(results[0].conversationId, listing.userId))!.unreadCount).to.equal(3);
  });

  it('sends a visitor who is not signed in to the sign-in page', async () => {
    const listing = await createListing();
    const res = await submit(agent(), `/listings/${listing.id}/messages`, { body: 'Hej' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.match(/^\/login/);
    expect(await Message.count()).to.equal(0);
  });

  it('does not let an unverified tenant write, and says why', async () => {
    const listing = await createListing();
    const writer = await createUser({ verified: false });
    const a = await signIn(writer);
    // The listing page says so instead of offering a form that would refuse.
    const page = await a.get(`/listings/${listing.id}`);
    expect(page.text).to.not.contain(`action="/listings/${listing.id}/messages"`);
    expect(page.text).to.contain('Bekräfta din e-postadress innan du skickar meddelanden');
    const res = await submit(a, `/listings/${listing.id}/messages`, { body: 'Hej' }, '/messages');
    expect(res.status).to.equal(403);
    expect(res.text).to.contain('Bekräfta din e-postadress innan du skickar meddelanden');
    expect(await Conversation.count()).to.equal(0);
  });

  it('does not let the owner write to their own listing', async () => {
    const owner = await createUser();
    const listing = await createListing(owner);
    const res = await submit(await signIn(owner), `/listings/${listing.id}/messages`, { body: 'Hej' }, '/messages');
    expect(res.status).to.equal(403);
    expect(res.text).to.contain('Det här är din egen annons');
    expect(await Conversation.count()).to.equal(0);
  });

  it('answers 404 for a paused, hidden or removed listing and for one that does not exist', async () => {
    const writer = await createUser();
    const a = await signIn(writer);
    const token = await csrfToken(a, '/messages');
    for (const status of ['paused', 'hidden', 'removed'] as const) {
      const listing = await createListing(undefined, { status });
      const res = await postForm(a, `/listings/${listing.id}/messages`, { body: 'Hej' }, token);
      expect(res.status, status).to.equal(404);
    }
    expect((await postForm(a, '/listings/999999/messages', { body: 'Hej' }, token)).status).to.equal(404);
    expect((await postForm(a, '/listings/abc/messages', { body: 'Hej' }, token)).status).to.equal(404);
    expect(await Conversation.count()).to.equal(0);
  });

  it('shows the form again with 422, the error next to the field and the draft kept, when the text is empty or too long', async () => {
    const listing = await createListing();
    const a = await signIn(await createUser());
    const empty = await submit(a, `/listings/${listing.id}/messages`, { body: '   ' }, '/messages');
    expect(empty.status).to.equal(422);
    expect(empty.text).to.match(/id="field-body-error"/);
    expect(empty.text).to.contain('Fyll i fältet.');

    const long = 'å'.repeat(5001);
    const tooLong = await submit(a, `/listings/${listing.id}/messages`, { body: long }, '/messages');
    expect(tooLong.status).to.equal(422);
    expect(tooLong.text).to.match(/id="field-body"[^>]*aria-invalid="true"/);
    expect(tooLong.text).to.contain(long);
    expect(await Message.count()).to.equal(0);

    // Exactly 5,000 characters, with line breaks sent as CRLF by the browser, is fine.
    const ok = await submit(a, `/listings/${listing.id}/messages`, { body: ('x'.repeat(99) + '\r\n').repeat(50) }, '/messages');
    expect(ok.status).to.equal(303);
  });

  it('tells a tenant the owner has blocked that the conversation is closed, and nothing more', async () => {
    const owner = await createUser({ username: 'blocker_bo' });
    const listing = await createListing(owner);
    const writer = await createUser();
    await createConversation(listing, writer);
    await createBlock(owner, writer);
    const res = await submit(await signIn(writer), `/listings/${listing.id}/messages`, { body: 'Hallå?' }, '/messages');
    expect(res.status).to.equal(403);
    expect(res.text).to.contain('Den här konversationen är stängd');
    expect(res.text).to.not.contain('blockerat');
    expect(await Message.count({ where: { body: 'Hallå?' } })).to.equal(0);
  });

  it('limits new conversations per day, with a clear message and the draft kept', async () => {
    const limit = context().config.limits.newConversationsPerDay;
    const writer = await createUser();
    const a = await signIn(writer);
    const token = await csrfToken(a, '/messages');
    const listings = [];
    for (let i = 0; i <= limit; i += 1) listings.push(await createListing());
    for (let i = 0; i < limit; i += 1) {
      const res = await postForm(a, `/listings/${listings[i].id}/messages`, { body: `Hej nummer ${i}` }, token);
      expect(res.status, `conversation ${i + 1}`).to.equal(303);
    }
    const over = await postForm(a, `/listings/${listings[limit].id}/messages`, { body: 'En för mycket' }, token);
    expect(over.status).to.equal(429);
    expect(over.text).to.contain('Du har inlett för många nya samtal i dag');
    expect(over.text).to.contain('En för mycket');
    expect(await Conversation.count()).to.equal(limit);
    // Writing in a conversation that already exists is still possible.
    const again = await postForm(a, `/listings/${listings[0].id}/messages`, { body: 'Fortsättning' }, token);
    expect(again.status).to.equal(303);
  });
});

describe('GET /messages', () => {
  it('sends a visitor who is not signed in to the sign-in page', async () => {
    const res = await agent().get('/messages');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal('/login?next=%2Fmessages');
  });

  it('lists conversations newest first with the other tenant, the listing, the time, the unread count and a mark on those awaiting my reply', async () => {
    const me = await createUser({ username: 'me_maja' });
    const myListing = await createListing(me);
    const anna = await createUser({ username: 'anna_a' });
    const bertil = await createUser({ username: 'bertil_b' });
    const annasListing = await createListing(anna, { district: 'kallio', rooms: 3 });
    const clock = context().clock;
    clock.set('2026-12-01T10:00:00Z');
    // I wrote to Anna and she has not answered: not awaiting my reply.
    await createConversation(annasListing, me, [{ from: me, body: 'Hej Anna', at: new Date('2026-12-01T08:00:00Z') }]);
    // Bertil wrote twice to me about my listing: awaiting my reply, 2 unread, newest.
    await createConversation(myListing, bertil, [
      { from: bertil, body: 'Hej', at: new Date('2026-12-01T09:00:00Z') },
      { from: bertil, body: 'Hallå?', at: new Date('2026-12-01T09:30:00Z') },
    ]);
    const res = await (await signIn(me)).get('/messages');
    expect(res.status).to.equal(200);
    const text = res.text;
    expect(text.indexOf('bertil_b')).to.be.greaterThan(-1);
    expect(text.indexOf('bertil_b')).to.be.lessThan(text.indexOf('anna_a'));
    expect(text).to.contain('Olästa: 2');
    expect(text).to.contain('Berghäll, 3 rum');
    expect(headerUnread(text)).to.equal(2);
    const bertilItem = text.slice(text.indexOf('bertil_b'), text.indexOf('anna_a'));
    const annaItem = text.slice(text.indexOf('anna_a'));
    expect(bertilItem).to.contain('Väntar på ditt svar');
    expect(annaItem).to.not.contain('Väntar på ditt svar');
    expect(bertilItem).to.contain('2026-12-01T09:30:00.000Z');
    // No message text and no contact data in the inbox.
    expect(text).to.not.contain('Hallå?');
    expect(text).to.not.contain('@example.fi');
  });

  it('shows "removed user" when the other participant is gone and "listing removed" when the listing is', async () => {
    const owner = await createUser({ username: 'stays_sara' });
    const listing = await createListing(owner);
    const leaver = await createUser({ username: 'leaving_leo' });
    await createConversation(listing, leaver, [
      { from: leaver, body: 'Hej' },
      { from: owner, body: 'Hej då' },
    ]);
    await leaver.destroy();
    const res = await (await signIn(owner)).get('/messages');
    expect(res.text).to.contain('Borttagen användare');
    expect(res.text).to.not.contain('leaving_leo');
    expect(res.text).to.not.contain('Väntar på ditt svar');

    const other = await createUser({ username: 'other_otto' });
    const otherListing = await createListing(other);
    const { conversation: c } = await createConversation(otherListing, owner, [{ from: owner, body: 'Hej' }]);
    await otherListing.destroy();
    const again = await (await signIn(owner)).get('/messages');
    expect(again.text).to.contain('Annonsen är borttagen');
    const thread = await (await signIn(owner)).get(`/messages/${c.id}`);
    expect(thread.status).to.equal(200);
    expect(thread.text).to.contain('Annonsen är borttagen');
  });

  it('shows 20 conversations a page with a link to the older ones', async () => {
    const me = await createUser();
    for (let i = 0; i < 21; i += 1) {
      const listing = await createListing(await createUser({ username: `owner${String(i).padStart(2, '0')}x` }));
      await createConversation(listing, me, [{ from: me, body: 'Hej', at: new Date(Date.UTC(2026, 11, 1, 0, i)) }]);
    }
    const a = await signIn(me);
    const first = await a.get('/messages');
    expect(first.text).to.contain('owner20x');
    expect(first.text).to.contain('owner01x');
    expect(first.text).to.not.contain('owner00x');
    expect(first.text).to.contain('href="/messages?page=2"');
    const second = await a.get('/messages?page=2');
    expect(second.text).to.contain('owner00x');
    expect(second.text).to.not.contain('owner01x');
    expect(second.text).to.contain('href="/messages?page=1"');
    // Junk in the query string is just the first page.
    expect((await a.get('/messages?page=<x>')).status).to.equal(200);
  });
});

describe('GET /messages/:id', () => {
  async function setup() {
    const owner = await createUser({ username: 'owner_otso' });
    const listing = await createListing(owner);
    const writer = await createUser({ username: 'writer_veera' });
    const { conversation } = await createConversation(listing, writer, [
      { from: writer, body: 'Första meddelandet' },
      { from: owner, body: 'Svar från ägaren' },
      { from: writer, body: 'Tack!' },
    ]);
    return { owner, listing, writer, conversation };
  }

  it('shows both participants the messages in order, with times', async () => {
    const { owner, writer, conversation } = await setup();
    for (const user of [owner, writer]) {
      const res = await (await signIn(user)).get(`/messages/${conversation.id}`);
      expect(res.status).to.equal(200);
      const t = res.text;
      expect(t.indexOf('Första meddelandet')).to.be.lessThan(t.indexOf('Svar från ägaren'));
      expect(t.indexOf('Svar från ägaren')).to.be.lessThan(t.indexOf('Tack!'));
      expect(t).to.match(/<time datetime="[^"]+">/);
      expect(t).to.not.contain('@example.fi');
    }
  });

  it('answers 404 to any other tenant, and to visitors who are not signed in, without saying whether it exists', async () => {
    const { conversation } = await setup();
    const stranger = await signIn(await createUser());
    expect((await stranger.get(`/messages/${conversation.id}`)).status).to.equal(404);
    const anonymous = await agent().get(`/messages/${conversation.id}`);
    const missing = await agent().get('/messages/999999');
    expect(anonymous.status).to.equal(404);
    expect(missing.status).to.equal(404);
    expect(anonymous.text).to.not.contain('Första meddelandet');
    // A tenant who follows a notice e-mail while signed out is offered the sign-in.
    expect(anonymous.text).to.contain(`href="/login?next=%2Fmessages%2F${conversation.id}"`);
    expect(anonymous.text.replace(/999999|\d+/g, '')).to.equal(missing.text.replace(/999999|\d+/g, ''));
    expect((await stranger.get('/messages/not-a-number')).status).to.equal(404);
  });

  it('marks the thread read: unread count zero in the database, the inbox and the header', async () => {
    const { owner, conversation } = await setup();
    const a = await signIn(owner);
    expect(headerUnread((await a.get('/messages')).text)).to.equal(2);
    const page = await a.get(`/messages/${conversation.id}`);
    expect(headerUnread(page.text)).to.equal(0);
    const row = await participant(conversation.id, owner.id);
    expect(row!.unreadCount).to.equal(0);
    expect(row!.lastReadAt).to.not.equal(null);
    const inbox = await a.get('/messages');
    expect(inbox.text).to.not.contain('Olästa');
    expect(headerUnread(inbox.text)).to.equal(0);
  });

  it('prints message text as plain text: markup escaped, line breaks kept', async () => {
    const owner = await createUser();
    const listing = await createListing(owner);
    const writer = await createUser();
    const body = '<script>alert("x")</script>\n<img src=x onerror=alert(1)>\nrad tre';
    const a = await signIn(writer);
    const res = await submit(a, `/listings/${listing.id}/messages`, { body }, '/messages');
    const page = await (await signIn(owner)).get(res.headers.location);
    expect(page.text).to.not.contain('<script>alert');
    expect(page.text).to.not.contain('<img src=x');
    expect(page.text).to.contain('&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;\n&lt;img src=x onerror=alert(1)&gt;\nrad tre');
    expect(page.text).to.match(/<p class="message-body">&lt;script/);
  });

  it('shows the latest 50 messages with a link to the earlier ones', async () => {
    const owner = await createUser();
    const listing = await createListing(owner);
    const writer = await createUser();
    const messages = Array.from({ length: 55 }, (_, i) => ({ from: i % 2 ? owner : writer, body: `Meddelande nr ${i + 1}.` }));
    const { conversation } = await createConversation(listing, writer, messages);
    const a = await signIn(writer);
    const page = await a.get(`/messages/${conversation.id}`);
    expect(page.text).to.contain('Meddelande nr 55.');
    expect(page.text).to.contain('Meddelande nr 6.');
    expect(page.text).to.not.contain('Meddelande nr 5.');
    const older = /href="(\/messages\/\d+\?before=\d+)"/.exec(page.text);
    expect(older).to.not.equal(null);
    const earlier = await a.get(older![1]);
    expect(earlier.text).to.contain('Meddelande nr 1.');
    expect(earlier.text).to.contain('Meddelande nr 5.');
    expect(earlier.text).to.not.contain('Meddelande nr 6.');
  });
});

describe('POST /messages/:id', () => {
  it("adds the reply, raises the other tenant's unread count and moves the conversation up", async () => {
    const owner = await createUser();
    const listing = await createListing(owner);
    const writer = await createUser();
    const { conversation } = await createConversation(listing, writer, [{ from: writer, body: 'Hej' }]);
    const o = await signIn(owner);
    await o.get(`/messages/${conversation.id}`);
    const res = await submit(o, `/messages/${conversation.id}`, { body: 'Hej tillbaka\nmed två rader' }, '/messages');
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/messages/${conversation.id}#latest`);
    expect((await participant(conversation.id, writer.id))!.unreadCount).to.equal(1);
    expect((await participant(conversation.id, owner.id))!.unreadCount).to.equal(0);
    await conversation.reload();
    expect(conversation.lastSenderId).to.equal(owner.id);
    const w = await signIn(writer);
    const inbox = await w.get('/messages');
    expect(inbox.text).to.contain('Väntar på ditt svar');
    expect((await w.get(`/messages/${conversation.id}`)).text).to.contain('Hej tillbaka\nmed två rader');
  });

  it('keeps the draft and shows the error when the reply is empty or too long', async () => {
    const listing = await createListing();
    const writer = await createUser();
    const { conversation } = await createConversation(listing, writer);
    const a = await signIn(writer);
    const res = await submit(a, `/messages/${conversation.id}`, { body: 'y'.repeat(5001) }, '/messages');
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Texten är för lång.');
    expect(res.text).to.contain('y'.repeat(5001));
    expect(await Message.count()).to.equal(1);
  });

  it('answers 404 to a tenant outside the conversation and to visitors who are not signed in, for reply, block and report', async () => {
    const owner = await createUser();
    const listing = await createListing(owner);
    const writer = await createUser();
    const { conversation } = await createConversation(listing, writer, [{ from: writer, body: 'Hej' }]);
    const message = await Message.findOne();
    const stranger = await signIn(await createUser());
    const anonymous = agent();
    for (const [a, tokenFrom] of [
      [stranger, '/messages'],
      [anonymous, '/login'],
    ] as const) {
      const token = await csrfToken(a, tokenFrom);
      expect((await postForm(a, `/messages/${conversation.id}`, { body: 'Inkräktare' }, token)).status).to.equal(404);
      expect((await postForm(a, `/messages/${conversation.id}/block`, {}, token)).status).to.equal(404);
      expect(
        (await postForm(a, `/messages/${conversation.id}/report`, { message_id: String(message!.id), reason: 'other' }, token))
          .status,
      ).to.equal(404);
    }
    expect(await Message.count()).to.equal(1);
    expect(await context().db.sequelize.models.Block.count()).to.equal(0);
    expect(await context().db.sequelize.models.Report.count()).to.equal(0);
  });

  it('does not let an unverified participant reply', async () => {
    const owner = await createUser();
    const listing = await createListing(owner);
    const writer = await createUser();
    const { conversation } = await createConversation(listing, writer);
    await writer.update({ emailVerifiedAt: null });
    const res = await submit(await signIn(writer), `/messages/${conversation.id}`, { body: 'Hej' }, '/messages');
    expect(res.status).to.equal(403);
    expect(await Message.count()).to.equal(1);
  });

  it('limits messages per hour with a clear message and the draft kept', async () => {
    const limit = context().config.limits.messagesPerHour;
    const listing = await createListing();
    const writer = await createUser();
    const { conversation } = await createConversation(listing, writer, []);
    const a = await signIn(writer);
    const token = await csrfToken(a, '/messages');
    for (let i = 0; i < limit; i += 1) {
      expect((await postForm(a, `/messages/${conversation.id}`, { body: `nr ${i}` }, token)).status).to.equal(303);
    }
    const over = await postForm(a, `/messages/${conversation.id}`, { body: 'Ett för mycket' }, token);
    expect(over.status).to.equal(429);
    expect(over.text).to.contain('Du har skickat för många meddelanden den senaste timmen');
    expect(over.text).to.contain('Ett för mycket');
    expect(await Message.count()).to.equal(limit);
  });
});

describe('blocking', () => {
  it('stops the blocked tenant from writing, tells them only that the conversation is closed, and can be undone from /account', async () => {
    const owner = await createUser({ username: 'blocking_bea' });
    const listing = await createListing(owner);
    const pest = await createUser({ username: 'pesky_pete' });
    const { conversation } = await createConversation(listing, pest, [{ from: pest, body: 'Hej' }]);
    const o = await signIn(owner);
    const blocked = await submit(o, `/messages/${conversation.id}/block`, {}, '/messages');
    expect(blocked.status).to.equal(303);
    const after = await o.get(`/messages/${conversation.id}`);
    expect(after.text).to.contain('Hyresgästen är blockerad');
    expect(after.text).to.contain('Du har blockerat den här hyresgästen');
    expect(after.text).to.not.contain('id="field-body"');

    const p = await signIn(pest);
    // The blocked tenant still sees the thread as before ...
    const view = await p.get(`/messages/${conversation.id}`);
    expect(view.status).to.equal(200);
    expect(view.text).to.not.contain('blockerat');
    // ... and is told the conversation is closed when they write.
    const reply = await submit(p, `/messages/${conversation.id}`, { body: 'Svara då!' }, '/messages');
    expect(reply.status).to.equal(403);
    expect(reply.text).to.contain('Den här konversationen är stängd');
    expect(reply.text).to.not.contain('blockerat');
    expect(await Message.count()).to.equal(1);

    // The blocker does not write into a blocked conversation either.
    const own = await submit(o, `/messages/${conversation.id}`, { body: 'Sista ordet' }, '/messages');
    expect(own.status).to.equal(403);

    const account = await o.get('/account');
    expect(account.text).to.contain('Blockerade hyresgäster');
    expect(account.text).to.contain('pesky_pete');
    const unblock = await submit(o, `/account/blocks/${pest.id}/delete`, {}, '/account');
    expect(unblock.status).to.equal(303);
    expect(unblock.headers.location).to.equal('/account');
    expect((await o.get('/account')).text).to.not.contain('pesky_pete');

    const again = await submit(p, `/messages/${conversation.id}`, { body: 'Tack för att du hävde blockeringen' }, '/messages');
    expect(again.status).to.equal(303);
  });

  it('blocking twice changes nothing, and unblocking someone not blocked is harmless', async () => {
    const owner = await createUser();
    const listing = await createListing(owner);
    const writer = await createUser();
    const { conversation } = await createConversation(listing, writer);
    const o = await signIn(owner);
    const token = await csrfToken(o, '/messages');
    expect((await postForm(o, `/messages/${conversation.id}/block`, {}, token)).status).to.equal(303);
    expect((await postForm(o, `/messages/${conversation.id}/block`, {}, token)).status).to.equal(303);
    expect(await context().db.sequelize.models.Block.count()).to.equal(1);
    expect((await postForm(o, '/account/blocks/424242/delete', {}, token)).status).to.equal(303);
    expect((await postForm(o, '/account/blocks/x/delete', {}, token)).status).to.equal(404);
  });
});

describe('POST /messages/:id/report', () => {
  async function setup() {
    const owner = await createUser();
    const listing = await createListing(owner);
    const writer = await createUser();
    const { conversation } = await createConversation(listing, writer, [
      { from: writer, body: 'Betala 500 € så får du lägenheten' },
      { from: owner, body: 'Nej tack' },
    ]);
    const [theirs, mine] = await Message.findAll({ order: [['id', 'ASC']] });
    return { owner, writer, conversation, theirs, mine };
  }

  it('stores the report with the message for the moderators, once per message', async () => {
    const { owner, conversation, theirs } = await setup();
    const o = await signIn(owner);
    const token = await csrfToken(o, '/messages');
    const res = await postForm(
      o,
      `/messages/${conversation.id}/report`,
      { message_id: String(theirs.id), reason: 'money', details: 'Vill ha pengar' },
      token,
    );
    expect(res.status).to.equal(303);
    const Report = context().db.sequelize.models.Report;
    const reports = await Report.findAll();
    expect(reports).to.have.length(1);
    expect(reports[0].get('kind')).to.equal('message');
    expect(reports[0].get('messageId')).to.equal(theirs.id);
    expect(reports[0].get('conversationId')).to.equal(conversation.id);
    expect(reports[0].get('reporterId')).to.equal(owner.id);
    expect(reports[0].get('reason')).to.equal('money');
    expect((await o.get(`/messages/${conversation.id}`)).text).to.contain('Tack. Moderatorerna granskar meddelandet.');

    const second = await postForm(
      o,
      `/messages/${conversation.id}/report`,
      { message_id: String(theirs.id), reason: 'other' },
      token,
    );
    expect(second.status).to.equal(303);
    const page = await o.get(`/messages/${conversation.id}`);
    expect(page.text).to.contain('Du har redan anmält det här meddelandet.');
    expect(page.text).to.contain('Du har anmält det här meddelandet till moderatorerna.');
    expect(await Report.count()).to.equal(1);
  });

  it('answers 404 for my own message and for a message from another conversation', async () => {
    const { owner, conversation, mine } = await setup();
    const otherListing = await createListing();
    const { conversation: elsewhere } = await createConversation(otherListing, owner, [
      { from: owner, body: 'x' },
      { from: (await User.findByPk(otherListing.userId)) as User, body: 'y' },
    ]);
    const foreign = await Message.findOne({ where: { conversationId: elsewhere.id, body: 'y' } });
    const o = await signIn(owner);
    const token = await csrfToken(o, '/messages');
    expect(
      (await postForm(o, `/messages/${conversation.id}/report`, { message_id: String(mine.id), reason: 'other' }, token)).status,
    ).to.equal(404);
    expect(
      (await postForm(o, `/messages/${conversation.id}/report`, { message_id: String(foreign!.id), reason: 'other' }, token))
        .status,
    ).to.equal(404);
    expect(
      (await postForm(o, `/messages/${conversation.id}/report`, { message_id: 'abc', reason: 'other' }, token)).status,
    ).to.equal(404);
    expect(await context().db.sequelize.models.Report.count()).to.equal(0);
  });

  it('asks for a reason from the list', async () => {
    const { owner, conversation, theirs } = await setup();
    const o = await signIn(owner);
    const res = await submit(
      o,
      `/messages/${conversation.id}/report`,
      { message_id: String(theirs.id), reason: 'nonsense', details: 'kvar' },
      '/messages',
    );
    expect(res.status).to.equal(422);
    expect(res.text).to.contain('Välj ett av alternativen.');
    expect(res.text).to.match(/<details class="message-report" open>/);
    expect(res.text).to.contain('>kvar</textarea>');
  });
});

describe('e-mail notices of new messages', () => {
  it('sends nothing to a tenant who has not turned notices on', async () => {
    const listing = await createListing(await createUser({ email: 'quiet@example.fi' }));
    await submit(await signIn(await createUser()), `/listings/${listing.id}/messages`, { body: 'Hej' }, '/messages');
    expect(context().mailer.sent).to.have.length(0);
  });

  it('tells the writer whether the other tenant gets e-mail notices (Finnish and Swedish)', async () => {
    const listening = await createListing(await createUser({ username: 'kuuleva_kaisa', notifyMessages: true }));
    const quiet = await createListing(await createUser({ username: 'hiljainen_hanna', notifyMessages: false }));
    const w = await signIn(await createUser({ locale: 'fi' }));
    const first = await submit(w, `/listings/${listening.id}/messages`, { body: 'Hei' }, '/messages');
    expect((await w.get(first.headers.location)).text).to.contain('kuuleva_kaisa saa sähköpostiin ilmoituksen uudesta viestistä');
    const second = await submit(w, `/listings/${quiet.id}/messages`, { body: 'Hei' }, '/messages');
    expect((await w.get(second.headers.location)).text).to.contain('hiljainen_hanna ei saa sähköposti-ilmoituksia');
    const sv = await signIn(await createUser({ locale: 'sv' }));
    const third = await submit(sv, `/listings/${quiet.id}/messages`, { body: 'Hej' }, '/messages');
    expect((await sv.get(third.headers.location)).text).to.contain('hiljainen_hanna får inga e-postaviseringar');
  });

  it("sends one notice per conversation until it is read, in the recipient's language, without the text or the sender", async () => {
    const owner = await createUser({ username: 'notified_nina', email: 'nina@example.fi', notifyMessages: true, locale: 'fi' });
    const listing = await createListing(owner);
    const writer = await createUser({ username: 'sender_sam', email: 'sam@example.fi', phone: '+358401234567' });
    const w = await signIn(writer);
    const first = await submit(w, `/listings/${listing.id}/messages`, { body: 'Hemligt innehåll 123' }, '/messages');
    const mailer = context().mailer;
    expect(mailer.to('nina@example.fi')).to.have.length(1);
    const mail = mailer.last('nina@example.fi')!;
    expect(mail.subject).to.equal('Sinulle on uusi viesti Asunnonvaihtopörssissä');
    expect(mail.text).to.contain(`http://board.test${first.headers.location}`);
    expect(mail.text).to.contain('http://board.test/notifications/unsubscribe?u=');
    for (const secret of ['Hemligt', 'sender_sam', 'sam@example.fi', '+358401234567']) {
      expect(mail.text, secret).to.not.contain(secret);
      expect(mail.subject, secret).to.not.contain(secret);
    }

    // More messages before Nina has read it: no more mail.
    await submit(w, `/listings/${listing.id}/messages`, { body: 'Och en till' }, '/messages');
    expect(mailer.to('nina@example.fi')).to.have.length(1);

    // Nina reads; the next message brings one new notice.
    const n = await signIn(owner);
    await n.get(first.headers.location);
    await submit(w, `/listings/${listing.id}/messages`, { body: 'Tredje' }, '/messages');
    expect(mailer.to('nina@example.fi')).to.have.length(2);
    // The sender got nothing, and no log line holds the text.
    expect(mailer.to('sam@example.fi')).to.have.length(0);
    expect(context().logs.text()).to.not.contain('Hemligt');
  });

  it('turns notices off only on POST: GET and HEAD (mail scanners) show a confirmation form', async () => {
    const owner = await createUser({ email: 'scan@example.fi', notifyMessages: true });
    const listing = await createListing(owner);
    await submit(await signIn(await createUser()), `/listings/${listing.id}/messages`, { body: 'Hej' }, '/messages');
    const mail = context().mailer.last('scan@example.fi')!;
    const link = /http:\/\/board\.test(\/notifications\/unsubscribe\?\S+)/.exec(mail.text)![1];
    // RFC 8058: the mail program's one-click button POSTs to the same link.
    expect(mail.headers?.['List-Unsubscribe']).to.equal(`<http://board.test${link}>`);
    expect(mail.headers?.['List-Unsubscribe-Post']).to.equal('List-Unsubscribe=One-Click');
    expect((await agent().head(link)).status).to.equal(200);
    const page = await agent().get(link);
    expect(page.status).to.equal(200);
    expect(page.text).to.contain('method="post"');
    await owner.reload();
    expect(owner.notifyMessages).to.equal(true);
    // The one-click POST carries no session and no CSRF token: the signed link is the proof.
    const click = await agent().post(link).type('form').send('List-Unsubscribe=One-Click');
    expect(click.status).to.equal(200);
    await owner.reload();
    expect(owner.notifyMessages).to.equal(false);
  });

  it('does not accept an unsubscribe link after it has expired', async () => {
    const owner = await createUser({ email: 'old.link@example.fi', notifyMessages: true });
    const listing = await createListing(owner);
    await submit(await signIn(await createUser()), `/listings/${listing.id}/messages`, { body: 'Hej' }, '/messages');
    const link = /http:\/\/board\.test(\/notifications\/unsubscribe\?\S+)/.exec(
      context().mailer.last('old.link@example.fi')!.text,
    )![1];
    context().clock.set(new Date(Date.now() + 61 * 24 * 3600 * 1000));
    expect((await agent().post(link).type('form').send('List-Unsubscribe=One-Click')).status).to.equal(400);
    await owner.reload();
    expect(owner.notifyMessages).to.equal(true);
  });

  it('turns notices off from the one-click link, and a forged link changes nothing', async () => {
    const owner = await createUser({ email: 'stop@example.fi', notifyMessages: true });
    const listing = await createListing(owner);
    await submit(await signIn(await createUser()), `/listings/${listing.id}/messages`, { body: 'Hej' }, '/messages');
    const link = /http:\/\/board\.test(\/notifications\/unsubscribe\?\S+)/.exec(
      context().mailer.last('stop@example.fi')!.text,
    )![1];

    const other = await createUser({ notifyMessages: true });
    const forged = link.replace(`u=${owner.id}`, `u=${other.id}`);
    const bad = await agent().post(forged).type('form').send('List-Unsubscribe=One-Click');
    expect(bad.status).to.equal(400);
    expect(bad.text).to.contain('Länken är inte giltig');
    expect((await agent().get('/notifications/unsubscribe?u=1&sig=')).status).to.equal(400);
    expect((await agent().get('/notifications/unsubscribe')).status).to.equal(400);
    await other.reload();
    expect(other.notifyMessages).to.equal(true);

    const res = await agent().post(link).type('form').send('List-Unsubscribe=One-Click');
    expect(res.status).to.equal(200);
    expect(res.text).to.contain('E-postaviseringar avstängda');
    await owner.reload();
    expect(owner.notifyMessages).to.equal(false);
  });

  it('still sends the message when the mail server fails, and logs the failure by user id only', async () => {
    const owner = await createUser({ email: 'broken@example.fi', notifyMessages: true });
    const listing = await createListing(owner);
    const mailer = context().mailer;
    const original = mailer.send;
    mailer.send = async () => {
      throw new Error('SMTP down for broken@example.fi');
    };
    try {
      const res = await submit(
        await signIn(await createUser()),
        `/listings/${listing.id}/messages`,
        { body: 'Hej' },
        '/messages',
      );
      expect(res.status).to.equal(303);
    } finally {
      mailer.send = original;
    }
    expect(await Message.count()).to.equal(1);
    const logs = context().logs.text();
    expect(logs).to.contain('mail not sent; will retry');
    expect(logs).to.not.contain('broken@example.fi');
    expect(logs).to.not.contain('SMTP down');
    // The notice waits in the queue and goes out with the queue's next try.
    expect(context().mailer.to('broken@example.fi')).to.have.length(0);
    context().clock.advance(61_000);
    await deliverQueuedMail();
    expect(context().mailer.to('broken@example.fi')).to.have.length(1);
  });
});

describe('a message sent after the idle limit', () => {
  async function expireSessionsOf(user: User) {
    await Session.update({ expires: new Date(Date.now() - 1000) }, { where: { userId: user.id } });
  }

  it('is kept: the sign-in page says why, and after signing in the thread shows the text again (Finnish)', async () => {
    const owner = await createUser();
    const writer = await createUser({ locale: 'fi' });
    const { conversation } = await createConversation(await createListing(owner), writer);
    const w = await signIn(writer);
    const token = await csrfToken(w, `/messages/${conversation.id}`);
    await expireSessionsOf(writer);
    const res = await w
      .post(`/messages/${conversation.id}`)
      .set('Accept-Language', 'fi')
      .type('form')
      .send({ _csrf: token, body: 'Pitkä viesti, jota kirjoitin puoli tuntia' });
    expect(res.status).to.equal(303);
    expect(res.headers.location).to.equal(`/login?kept=1&next=${encodeURIComponent(`/messages/${conversation.id}`)}`);
    const login = await w.get(res.headers.location).set('Accept-Language', 'fi');
    expect(login.text).to.contain('Sinut kirjattiin ulos, koska sivustoa ei ollut käytetty 30 minuuttiin. Tekstisi on tallessa');
    await signIn(writer, undefined, w);
    const thread = await w.get(`/messages/${conversation.id}`);
    expect(thread.text).to.match(
      /<textarea id="field-body" name="body"[^>]*>Pitkä viesti, jota kirjoitin puoli tuntia<\/textarea>/,
    );
    expect(thread.text).to.contain('Tekstisi on tallessa alla olevassa lomakkeessa.');
    expect(await Message.count({ where: { body: 'Pitkä viesti, jota kirjoitin puoli tuntia' } })).to.equal(0);
    // Shown once.
    expect((await w.get(`/messages/${conversation.id}`)).text).to.not.contain('Pitkä viesti, jota kirjoitin');
  });

  it('is kept too when the 12-hour limit ends the session while writing', async () => {
    const writer = await createUser();
    const { conversation } = await createConversation(await createListing(await createUser()), writer);
    const w = await signIn(writer);
    const token = await csrfToken(w, `/messages/${conversation.id}`);
    const { clock, config } = context();
    clock.advance(config.session.absoluteMs + 60_000);
    try {
      const res = await w
        .post(`/messages/${conversation.id}`)
        .type('form')
        .send({ _csrf: token, body: 'Skrivet sent på kvällen' });
      expect(res.headers.location).to.equal(`/login?kept=1&next=${encodeURIComponent(`/messages/${conversation.id}`)}`);
      expect(await Session.count({ where: { userId: writer.id } })).to.equal(0);
      await signIn(writer, undefined, w);
      expect((await w.get(`/messages/${conversation.id}`)).text).to.contain('Skrivet sent på kvällen</textarea>');
    } finally {
      clock.reset();
    }
  });

  it('is not shown to another tenant who signs in on the same browser', async () => {
    const writer = await createUser();
    const { conversation } = await createConversation(await createListing(await createUser()), writer);
    const w = await signIn(writer);
    const token = await csrfToken(w, `/messages/${conversation.id}`);
    await expireSessionsOf(writer);
    await w.post(`/messages/${conversation.id}`).type('form').send({ _csrf: token, body: 'Hemlig text' });
    const other = await createUser();
    await signIn(other, undefined, w);
    const listing = await createListing(other);
    expect((await w.get(`/listings/${listing.id}`)).text).to.not.contain('Hemlig text');
    expect((await w.get(`/messages/${conversation.id}`)).text).to.not.contain('Hemlig text');
  });

  it('still answers 403 to a POST without any session cookie (a cross-site form keeps nothing)', async () => {
    const { conversation } = await createConversation(await createListing(await createUser()), await createUser());
    const res = await agent().post(`/messages/${conversation.id}`).type('form').send({ body: 'x' });
    expect(res.status).to.equal(403);
  });
});

describe('a conversation whose other tenant has deleted their account', () => {
  it('tells the remaining tenant that the other messages were removed with the account (Finnish)', async () => {
    const leaver = await createUser();
    const stayer = await createUser({ locale: 'fi' });
    const { conversation } = await createConversation(await createListing(stayer), leaver, [
      { from: leaver, body: 'Hei, vaihdetaanko?' },
      { from: stayer, body: 'Mielelläni!' },
    ]);
    const l = await signIn(leaver);
    expect((await submit(l, '/account/delete', { password: DEFAULT_PASSWORD }, '/account/delete')).status).to.equal(303);
    const page = await (await signIn(stayer)).get(`/messages/${conversation.id}`);
    expect(page.text).to.contain('Toisen vuokralaisen tili on poistettu, ja hänen viestinsä poistettiin tästä keskustelusta');
    expect(page.text).to.contain('Mielelläni!');
    expect(page.text).to.not.contain('Hei, vaihdetaanko?');
  });
});

describe('a listing the tenant has already written about', () => {
  it('links to the conversation instead of offering an empty form (Swedish)', async () => {
    const listing = await createListing(await createUser());
    const w = await signIn(await createUser());
    const sent = await submit(w, `/listings/${listing.id}/messages`, { body: 'Hej!' }, `/listings/${listing.id}`);
    const page = await w.get(`/listings/${listing.id}`);
    expect(page.text).to.contain('Du har redan skrivit om den här annonsen.');
    expect(page.text).to.contain(`<a href="${sent.headers.location}">Öppna konversationen</a>`);
    expect(page.text).to.not.contain(`action="/listings/${listing.id}/messages"`);
  });
});
