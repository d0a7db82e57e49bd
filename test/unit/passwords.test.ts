import argon2 from 'argon2';
import { expect } from 'chai';
import { ARGON2_AT_ONCE, passwordProblem, hashPassword, verifyPassword } from '../../server/auth/passwords';
import { context } from '../helpers/context';

describe('password rules', () => {
  it('accepts a long passphrase without any composition rules', () => {
    expect(passwordProblem('the cat sat on the warm mat')).to.equal(undefined);
    expect(passwordProblem('alllowercaseletters')).to.equal(undefined);
  });

  it('counts characters, not bytes, for the 12–128 limits', () => {
    expect(passwordProblem('åäöxyzåäöxy')).to.equal('too_short');
    expect(passwordProblem('åäöxyzåäöxyq')).to.equal(undefined);
    expect(passwordProblem('ö'.repeat(60) + 'å'.repeat(68))).to.equal(undefined);
    expect(passwordProblem('ö'.repeat(60) + 'å'.repeat(69))).to.equal('too_long');
  });

  it('refuses common passwords, also repeated or with digits appended', () => {
    expect(passwordProblem('123qweasdzxc')).to.equal('common');
    expect(passwordProblem('passwordpassword')).to.equal('common');
    expect(passwordProblem('password2024!!')).to.equal('common');
    expect(passwordProblem('aaaaaaaaaaaaaaa')).to.equal('common');
  });

  it('refuses a password built from the username or e-mail', () => {
    expect(passwordProblem('kallio_kaisa2024', { username: 'kallio_kaisa' })).to.equal('personal');
    expect(passwordProblem('maija.meikalainen', { email: 'maija.meikalainen@example.fi' })).to.equal('personal');
  });

  it('asks moderators for at least 15 characters', () => {
    expect(passwordProblem('fourteen chars', { min: 15 })).to.equal('too_short');
  });

  it('hashes with argon2id and verifies only the right password', async () => {
    const hash = await hashPassword('the cat sat on the warm mat', context().config);
    expect(hash).to.match(/^\$argon2id\$/);
    expect(await verifyPassword(hash, 'the cat sat on the warm mat')).to.equal(true);
    expect(await verifyPassword(hash, 'the cat sat on the cold mat')).to.equal(false);
    expect(await verifyPassword('garbage', 'x')).to.equal(false);
  });

  it('hashes with the configured cost: 19 MiB and two passes by default', async () => {
    const config = { ...context().config, argon2: { memoryCost: 19456, timeCost: 2 } };
    const hash = await hashPassword('the cat sat on the warm mat', config);
    expect(hash).to.match(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await verifyPassword(hash, 'the cat sat on the warm mat')).to.equal(true);
  });
});

describe('password hashing under a burst of sign-ins', () => {
  it('runs no more argon2 calls at once than there are cores, and answers every one', async () => {
    const original = argon2.verify;
    let now = 0;
    let most = 0;
    (argon2 as { verify: typeof argon2.verify }).verify = async (hash: string, password: string | Buffer) => {
      now++;
      most = Math.max(most, now);
      await new Promise((resolve) => setTimeout(resolve, 5));
      now--;
      return hash === `hash-of-${String(password)}`;
    };
    try {
      const answers = await Promise.all(
        Array.from({ length: 4 * ARGON2_AT_ONCE + 3 }, (_, i) => verifyPassword('hash-of-right', i % 2 ? 'right' : 'wrong')),
      );
      expect(answers.filter(Boolean)).to.have.length(Math.floor(answers.length / 2));
    } finally {
      (argon2 as { verify: typeof argon2.verify }).verify = original;
    }
    expect(most).to.equal(ARGON2_AT_ONCE);
  });
});
