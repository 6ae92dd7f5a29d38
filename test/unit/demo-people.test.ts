import { expect } from 'chai';
import { demoUsers } from '../../server/seed/demo-data.js';

/** People trying the demo read these names on every ticket: they are people's names, not job titles. */
describe('demo users', () => {
  it('are named as people (a first and a last name, no role word)', () => {
    const roleWords = /\b(admin|lead|operator|account|manager|user|client|staff)\b/i;
    for (const user of demoUsers) {
      expect(user.name, user.email).to.match(/^\p{Lu}\p{L}+ \p{Lu}[\p{L}' -]+$/u);
      expect(user.name, user.email).not.to.match(roleWords);
    }
    expect(new Set(demoUsers.map((u) => u.name)).size).to.equal(demoUsers.length);
  });
});
