import { expect } from 'chai';
import { runAdminCli } from '../../jobs/admin-cli';
import { AuditLog } from '../../models/audit-log';
import { Session } from '../../models/session';
import { User } from '../../models/user';
import { context } from '../helpers/context';
import { createModerator, createUser } from '../helpers/factories';
import { agent, sendCode, signIn, signInModerator, submit } from '../helpers/http';
import { totpCodeAt } from '../../server/services/totp';

const PASSWORD = 'a long and quiet evening by the sea';

/** Runs the CLI in-process and collects what it prints. */
async function run(argv: string[], opts: { env?: NodeJS.ProcessEnv; answers?: (string | null)[] } = {}) {
  let stdout = '';
  let stderr = '';
  const asked: string[] = [];
  const answers = [...(opts.answers ?? [])];
  const code = await runAdminCli(argv, {
    deps: context().deps,
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    prompt: opts.answers ? async (q) => (asked.push(q), answers.shift() ?? null) : undefined,
    env: opts.env ?? {},
  });
  return { code, stdout, stderr, asked };
}

const OTPAUTH_LINE =
  /^otpauth:\/\/totp\/Heka%20Bostadsbytesb%C3%B6rsen:([^?]+)\?secret=([A-Z2-7]+)&issuer=Heka%20Bostadsbytesb%C3%B6rsen.*$/m;

describe('npm run admin -- create', () => {
  it('creates a verified moderator from ADMIN_PASSWORD and prints the otpauth URI on its own line', async () => {
    const { code, stdout } = await run(['create', '--username', 'mod_anna', '--email', 'Anna@Example.fi'], {
      env: { ADMIN_PASSWORD: PASSWORD },
    });
    expect(code).to.equal(0);
    const match = OTPAUTH_LINE.exec(stdout);
    expect(match, stdout).to.not.equal(null);
    expect(match![1]).to.equal('mod_anna');
    const user = (await User.findOne({ where: { usernameLower: 'mod_anna' } }))!;
    expect(user.role).to.equal('admin');
    expect(user.email).to.equal('anna@example.fi');
    expect(user.emailVerifiedAt).to.not.equal(null);
    expect(user.totpSecret).to.equal(match![2]);
    expect(user.totpConfirmedAt).to.equal(null);
    expect(context().mailer.sent).to.have.length(0);
    const [row] = await AuditLog.findAll();
    expect(row.action).to.equal('create_moderator');
    expect(row.actorId).to.equal(null);

    // The printed secret works in an authenticator app: the moderator can sign in.
    const a = agent();
    const login = await submit(a, '/login', { username: 'mod_anna', password: PASSWORD });
    expect(login.headers.location).to.match(/^\/login\/totp/);
    const done = await sendCode(a, await totpCodeAt(match![2], context().clock.now()), '/admin');
    expect(done.status).to.equal(303);
    expect((await a.get('/admin')).status).to.equal(200);
  });

  it('asks for the password twice at the prompt when ADMIN_PASSWORD is not set', async () => {
    const { code, asked } = await run(['create', '--username', 'mod_anna', '--email', 'anna@example.fi'], {
      answers: [PASSWORD, PASSWORD],
    });
    expect(code).to.equal(0);
    expect(asked).to.have.length(2);
    expect(asked[0]).to.contain('at least 15 characters');
  });

  it('refuses two different passwords from the prompt', async () => {
    const { code, stderr } = await run(['create', '--username', 'mod_anna', '--email', 'anna@example.fi'], {
      answers: [PASSWORD, PASSWORD + 'x'],
    });
    expect(code).to.equal(1);
    expect(stderr).to.contain('The two passwords differ.');
    expect(await User.count()).to.equal(0);
  });

  it('exits non-zero with a clear message when there is no password to be had', async () => {
    const { code, stderr } = await run(['create', '--username', 'mod_anna', '--email', 'anna@example.fi']);
    expect(code).to.equal(1);
    expect(stderr).to.contain('ADMIN_PASSWORD');
    expect(await User.count()).to.equal(0);
  });

  it('refuses a password shorter than 15 characters, and a common one', async () => {
    const short = await run(['create', '--username', 'mod_anna', '--email', 'anna@example.fi'], {
      env: { ADMIN_PASSWORD: 'fourteen chars' },
    });
    expect(short.code).to.equal(1);
    expect(short.stderr).to.contain('at least 15 characters');
    const common = await run(['create', '--username', 'mod_anna', '--email', 'anna@example.fi'], {
      env: { ADMIN_PASSWORD: 'passwordpassword' },
    });
    expect(common.code).to.equal(1);
    expect(common.stderr).to.contain('too common');
    expect(await User.count()).to.equal(0);
  });

  it('applies the registration rules to the username and address', async () => {
    await createUser({ username: 'taken' });
    const taken = await run(['create', '--username', 'Taken', '--email', 'new@example.fi'], {
      env: { ADMIN_PASSWORD: PASSWORD },
    });
    expect(taken.code).to.equal(1);
    expect(taken.stderr).to.contain('That username is taken');
    const bad = await run(['create', '--username', 'x', '--email', 'not-an-address'], { env: { ADMIN_PASSWORD: PASSWORD } });
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.contain('3–30 characters');
    expect(bad.stderr).to.contain('valid e-mail address');
  });

  it('prints the usage and exits 2 for missing options or unknown commands', async () => {
    expect((await run(['create', '--username', 'mod_anna'], { env: { ADMIN_PASSWORD: PASSWORD } })).code).to.equal(2);
    const unknown = await run(['frobnicate']);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.contain('npm run admin -- promote');
    expect((await run(['create', '--bogus'])).code).to.equal(2);
    expect((await run([])).code).to.equal(2);
  });
});

describe('npm run admin -- promote', () => {
  it('makes a tenant a verified moderator with a new TOTP secret and prints the otpauth URI', async () => {
    const tenant = await createUser({ username: 'kaisa', verified: false });
    const { code, stdout } = await run(['promote', 'kaisa']);
    expect(code).to.equal(0);
    const match = OTPAUTH_LINE.exec(stdout);
    expect(match![1]).to.equal('kaisa');
    await tenant.reload();
    expect(tenant.role).to.equal('admin');
    expect(tenant.emailVerifiedAt).to.not.equal(null);
    expect(tenant.totpSecret).to.equal(match![2]);
    expect((await AuditLog.findAll())[0].action).to.equal('promote_moderator');
  });

  it('ends the sessions the account had, so none carries the new powers without a code', async () => {
    const tenant = await createUser({ username: 'kaisa' });
    const a = await signIn(tenant);
    expect((await a.get('/account')).status).to.equal(200);
    expect((await run(['promote', 'kaisa'])).code).to.equal(0);
    expect(await Session.count({ where: { userId: tenant.id } })).to.equal(0);
    expect((await a.get('/account')).status).to.equal(303);
  });

  it('gives an existing moderator a new secret: the old one stops working', async () => {
    const mod = await createModerator({ username: 'mod_anna' });
    const old = mod.totpSecret;
    const { code, stdout } = await run(['promote', '--username', 'MOD_ANNA']);
    expect(code).to.equal(0);
    await mod.reload();
    expect(mod.totpSecret).to.not.equal(old);
    expect(mod.totpConfirmedAt).to.equal(null);
    expect(stdout).to.contain(`secret=${mod.totpSecret}`);
  });

  it('exits 1 for an unknown username or a suspended account', async () => {
    const unknown = await run(['promote', 'nobody']);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain('There is no account with the username nobody.');
    await createUser({ username: 'bad', suspended: 'Spam' });
    const suspended = await run(['promote', 'bad']);
    expect(suspended.code).to.equal(1);
    expect(suspended.stderr).to.contain('suspended');
  });
});

describe('npm run admin -- demote', () => {
  it('makes a moderator a tenant again, drops the secret and ends their sessions', async () => {
    await createModerator({ username: 'mod_anna' });
    const bertil = await createModerator({ username: 'mod_bertil' });
    const a = await signInModerator(bertil);
    expect((await a.get('/admin')).status).to.equal(200);
    const { code, stdout } = await run(['demote', 'mod_bertil']);
    expect(code).to.equal(0);
    expect(stdout).to.contain('mod_bertil');
    await bertil.reload();
    expect(bertil.role).to.equal('tenant');
    expect(bertil.totpSecret).to.equal(null);
    expect(await Session.count({ where: { userId: bertil.id } })).to.equal(0);
    expect((await a.get('/admin')).headers.location).to.equal('/login?next=%2Fadmin');
    expect((await AuditLog.findAll())[0].action).to.equal('demote_moderator');
  });

  it('never demotes the last moderator', async () => {
    const mod = await createModerator({ username: 'mod_anna' });
    const { code, stderr } = await run(['demote', 'mod_anna']);
    expect(code).to.equal(1);
    expect(stderr).to.contain('This is the last moderator');
    await mod.reload();
    expect(mod.role).to.equal('admin');
    expect(await AuditLog.count()).to.equal(0);
  });

  it('exits 1 for an account that is not a moderator', async () => {
    await createModerator();
    await createUser({ username: 'kaisa' });
    const { code, stderr } = await run(['demote', 'kaisa']);
    expect(code).to.equal(1);
    expect(stderr).to.contain('not a moderator');
  });
});
