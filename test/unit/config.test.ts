import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../server/config';

describe('configuration', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bb-config-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('works with no environment at all: SQLite under data/, port 3000, Swedish defaults', () => {
    const config = loadConfig({ DATA_DIR: dir });
    expect(config.port).to.equal(3000);
    expect(config.database.dialect).to.equal('sqlite');
    expect(config.database.storage).to.match(/data[/\\]bostadsbyte\.sqlite$/);
    expect(config.purge.schedule).to.equal('30 3 * * *');
    expect(config.purge.timezone).to.equal('Europe/Helsinki');
    expect(config.purge.enabled).to.equal(true);
    expect(config.session.idleMs).to.equal(30 * 60_000);
    expect(config.session.absoluteMs).to.equal(12 * 3_600_000);
    expect(config.org.name).to.equal('Heka');
    // OWASP's argon2id recommendation (the test suite itself runs with the cheapest cost).
    expect(config.argon2).to.deep.equal({ memoryCost: 19456, timeCost: 2 });
  });

  it('reads the "Before you swap" text from SWAP_GUIDE_FILE and refuses one that is missing a language or links elsewhere by script', () => {
    const file = path.join(dir, 'guide.json');
    const lang = { paragraphs: ['Text'], links: [{ text: 'Apply', href: 'https://landlord.example/' }] };
    fs.writeFileSync(file, JSON.stringify({ sv: lang, fi: lang, en: lang }));
    expect(loadConfig({ DATA_DIR: dir, SWAP_GUIDE_FILE: file }).swapGuide!.fi.links[0].href).to.equal(
      'https://landlord.example/',
    );
    expect(loadConfig({ DATA_DIR: dir }).swapGuide).to.equal(null);
    fs.writeFileSync(file, JSON.stringify({ sv: lang, fi: lang }));
    expect(() => loadConfig({ DATA_DIR: dir, SWAP_GUIDE_FILE: file })).to.throw(ConfigError, /SWAP_GUIDE_FILE: en/);
    fs.writeFileSync(
      file,
      JSON.stringify({ sv: lang, fi: lang, en: { paragraphs: ['x'], links: [{ text: 'x', href: 'javascript:alert(1)' }] } }),
    );
    expect(() => loadConfig({ DATA_DIR: dir, SWAP_GUIDE_FILE: file })).to.throw(ConfigError, /href/);
  });

  it('generates a session secret once, keeps it with mode 0600 and reuses it', () => {
    const first = loadConfig({ DATA_DIR: dir });
    const file = path.join(dir, 'session-secret');
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    const second = loadConfig({ DATA_DIR: dir });
    expect(second.sessionSecret).to.equal(first.sessionSecret);
    expect(first.sessionSecret.length).to.be.at.least(32);
  });

  it('switches to PostgreSQL for a postgres:// URL and accepts any sqlite file path', () => {
    expect(loadConfig({ DATA_DIR: dir, DATABASE_URL: 'postgres://u@h/db' }).database.dialect).to.equal('postgres');
    expect(loadConfig({ DATA_DIR: dir, DATABASE_URL: 'sqlite:/tmp/x/board.db' }).database.storage).to.equal('/tmp/x/board.db');
  });

  it('refuses bad values with a message that names the variable', () => {
    expect(() => loadConfig({ DATA_DIR: dir, PORT: 'abc' })).to.throw(ConfigError, /PORT/);
    expect(() => loadConfig({ DATA_DIR: dir, DATABASE_URL: 'mysql://x' })).to.throw(ConfigError, /DATABASE_URL/);
    expect(() => loadConfig({ DATA_DIR: dir, SESSION_SECRET: 'short' })).to.throw(ConfigError, /SESSION_SECRET/);
    expect(() => loadConfig({ DATA_DIR: dir, PURGE_ENABLED: 'maybe' })).to.throw(ConfigError, /PURGE_ENABLED/);
  });

  it('runs as production unless NODE_ENV says development or test', () => {
    expect(loadConfig({ DATA_DIR: dir }).env).to.equal('production');
    expect(loadConfig({ DATA_DIR: dir }).isProduction).to.equal(true);
    expect(loadConfig({ DATA_DIR: dir, NODE_ENV: 'staging' }).env).to.equal('production');
    expect(loadConfig({ DATA_DIR: dir, NODE_ENV: 'development' }).env).to.equal('development');
    expect(loadConfig({ DATA_DIR: dir, NODE_ENV: 'test' }).isTest).to.equal(true);
    expect(loadConfig({ DATA_DIR: dir }).declaredEnv).to.equal(undefined);
  });

  it('refuses TRUST_PROXY=true, naming the hop count or subnet list to give instead', () => {
    expect(() => loadConfig({ DATA_DIR: dir, TRUST_PROXY: 'true' })).to.throw(
      ConfigError,
      /TRUST_PROXY.*(number of proxies|subnets)/s,
    );
    expect(loadConfig({ DATA_DIR: dir, TRUST_PROXY: '1' }).trustProxy).to.equal(1);
    expect(loadConfig({ DATA_DIR: dir, TRUST_PROXY: '10.0.0.0/8, loopback' }).trustProxy).to.equal('10.0.0.0/8, loopback');
    expect(loadConfig({ DATA_DIR: dir }).trustProxy).to.equal(false);
  });

  it('makes the session cookie always Secure for an https:// BASE_URL, and warns of a public plain-http one', () => {
    expect(loadConfig({ DATA_DIR: dir, BASE_URL: 'https://bostadsbyte.example.fi' }).secureCookie).to.equal(true);
    expect(loadConfig({ DATA_DIR: dir }).secureCookie).to.equal(false);
    expect(loadConfig({ DATA_DIR: dir }).warnings).to.deep.equal([]);
    expect(loadConfig({ DATA_DIR: dir, BASE_URL: 'http://bostadsbyte.example.fi' }).warnings.join()).to.contain('Secure');
  });

  it('returns a frozen object', () => {
    const config = loadConfig({ DATA_DIR: dir });
    expect(Object.isFrozen(config)).to.equal(true);
  });
});
