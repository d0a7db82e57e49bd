import { expect } from 'chai';
import ejs from 'ejs';
import { escapeHtml } from '../../server/view-engine';

describe('view engine', () => {
  it("escapes <%= %> output exactly as EJS's own escape does", () => {
    const escapeXML = (ejs as unknown as { escapeXML: (s: unknown) => string }).escapeXML;
    const values: unknown[] = [
      'plain text, åäö',
      `<script>alert("x")</script> & 'quoted'`,
      '&amp; already an entity',
      '<<>>&&""\'\'',
      '',
      0,
      1.5,
      -0,
      true,
      null,
      undefined,
      ['a<b', 'c'],
      { toString: () => '<obj>' },
      new Date(0),
    ];
    for (const value of values) expect(escapeHtml(value), String(value)).to.equal(escapeXML(value));
  });
});
