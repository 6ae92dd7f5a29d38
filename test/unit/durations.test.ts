import { expect } from 'chai';
import { formatDuration } from '../../server/i18n/duration.js';

/** SLA durations in the reader's language (found by the outside test: "1 d 0 h" in every language). */
describe('business-time durations', () => {
  it('reads days and hours, hours and minutes, or minutes, in en, it and da', () => {
    const cases: Array<[number, string, string, string]> = [
      [3 * 86400 + 8 * 3600 + 300, '3 d 8 h', '3 gg 8 h', '3 d. 8 t.'],
      [2 * 3600 + 300, '2 h 05 min', '2 h 05 min', '2 t. 05 min.'],
      [59 * 60 + 29, '59 min', '59 min', '59 min.'],
      [-5, '0 min', '0 min', '0 min.'],
    ];
    for (const [seconds, en, it, da] of cases) {
      expect(formatDuration(seconds, 'en'), `${seconds} en`).to.equal(en);
      expect(formatDuration(seconds, 'it'), `${seconds} it`).to.equal(it);
      expect(formatDuration(seconds, 'da'), `${seconds} da`).to.equal(da);
    }
  });
});
