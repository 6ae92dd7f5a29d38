import { expect } from 'chai';
import { DateTime } from 'luxon';
import {
  addBusinessSeconds,
  businessSecondsBetween,
  isOpenAt,
  type BusinessCalendar,
} from '../../../server/domain/sla/business-time.js';

/**
 * Business-time arithmetic. Every expected instant below is worked out by hand in the comments:
 * Rome and Copenhagen are UTC+1 (CET) until 2026-03-29 01:00Z and from 2026-10-25 01:00Z, UTC+2
 * (CEST) in between. 2026-03-29 and 2026-10-25 are Sundays.
 */

type Day = 1 | 2 | 3 | 4 | 5 | 6 | 7;
const hours = (days: Day[], from: string, to: string) => days.map((day) => ({ day, from, to }));
const H = 3600;
const at = (iso: string): Date => new Date(iso);
const iso = (d: Date): string => d.toISOString();

const weekdays: Day[] = [1, 2, 3, 4, 5];
const everyDay: Day[] = [1, 2, 3, 4, 5, 6, 7];

/** Acme: Mon-Fri 09:00-18:00 Europe/Rome, Immacolata closed. */
const acme: BusinessCalendar = {
  timeZone: 'Europe/Rome',
  alwaysOpen: false,
  weekly: hours(weekdays, '09:00', '18:00'),
  holidays: ['2026-12-08', '2026-12-25', '2026-12-26'],
  closures: [],
};
/** Nordhavn: Mon-Thu 08:00-16:00, Fri 08:00-15:30 Europe/Copenhagen, Danish Christmas closed. */
const nordhavn: BusinessCalendar = {
  timeZone: 'Europe/Copenhagen',
  alwaysOpen: false,
  weekly: [...hours([1, 2, 3, 4], '08:00', '16:00'), ...hours([5], '08:00', '15:30')],
  holidays: ['2026-12-24', '2026-12-25', '2026-12-26', '2027-01-01'],
  closures: [],
};
/** 24x7 Rome: `plain` takes the arithmetic shortcut, `walked` (a holiday long past) walks the days. */
const plain: BusinessCalendar = {
  timeZone: 'Europe/Rome',
  alwaysOpen: true,
  weekly: [],
  holidays: [],
  closures: [],
};
const walked: BusinessCalendar = { ...plain, holidays: ['2001-01-01'] };
/** Every day 09:00-18:00, Rome (so the DST Sundays have business hours). */
const daily: BusinessCalendar = { ...acme, weekly: hours(everyDay, '09:00', '18:00'), holidays: [] };
/** A night window across the switch hour: Sundays 01:00-04:00, Rome. */
const night: BusinessCalendar = { ...acme, weekly: hours([7], '01:00', '04:00'), holidays: [] };

describe('business time', () => {
  describe('addBusinessSeconds', () => {
    it('Friday 17:30 in Rome plus 2 h on Mon-Fri 09-18 is due Monday 10:30', () => {
      // Fri 2026-11-13 17:30 CET = 16:30Z. Friday gives 30 min (17:30-18:00), the weekend none,
      // Monday 2026-11-16 09:00 + 1 h 30 = 10:30 CET = 09:30Z.
      expect(iso(addBusinessSeconds(acme, at('2026-11-13T16:30:00Z'), 2 * H))).to.equal(
        '2026-11-16T09:30:00.000Z',
      );
    });

    it('ends at closing time rather than at the next opening', () => {
      // Fri 2026-11-13 16:00 CET (15:00Z) + 2 h = 18:00 CET = 17:00Z the same Friday.
      expect(iso(addBusinessSeconds(acme, at('2026-11-13T15:00:00Z'), 2 * H))).to.equal(
        '2026-11-13T17:00:00.000Z',
      );
      // One second more: Monday 2026-11-16 09:00:01 CET = 08:00:01Z.
      expect(iso(addBusinessSeconds(acme, at('2026-11-13T15:00:00Z'), 2 * H + 1))).to.equal(
        '2026-11-16T08:00:01.000Z',
      );
    });

    it('starts counting at the next opening when opened outside hours', () => {
      // Sat 2026-11-14 10:00 CET + 1 h: counting starts Mon 09:00, due Mon 10:00 CET = 09:00Z.
      expect(iso(addBusinessSeconds(acme, at('2026-11-14T09:00:00Z'), H))).to.equal(
        '2026-11-16T09:00:00.000Z',
      );
      // Zero seconds: the next opening, Mon 09:00 CET = 08:00Z; inside hours, the start itself.
      expect(iso(addBusinessSeconds(acme, at('2026-11-14T09:00:00Z'), 0))).to.equal(
        '2026-11-16T08:00:00.000Z',
      );
      expect(iso(addBusinessSeconds(acme, at('2026-11-13T10:00:00Z'), 0))).to.equal(
        '2026-11-13T10:00:00.000Z',
      );
      // Mon 2026-11-16 07:15 CET (06:15Z), before opening, + 30 min = 09:30 CET = 08:30Z.
      expect(iso(addBusinessSeconds(acme, at('2026-11-16T06:15:00Z'), 1800))).to.equal(
        '2026-11-16T08:30:00.000Z',
      );
    });

    it('skips an Italian public holiday (Immacolata, Tue 2026-12-08)', () => {
      // Mon 2026-12-07 17:00 CET (16:00Z) + 2 h: 1 h on Monday, Tuesday is the holiday,
      // Wed 2026-12-09 09:00 + 1 h = 10:00 CET = 09:00Z.
      expect(iso(addBusinessSeconds(acme, at('2026-12-07T16:00:00Z'), 2 * H))).to.equal(
        '2026-12-09T09:00:00.000Z',
      );
      // Opened on the holiday itself, Tue 11:00 CET (10:00Z), + 1 h: Wed 10:00 CET = 09:00Z.
      expect(iso(addBusinessSeconds(acme, at('2026-12-08T10:00:00Z'), H))).to.equal(
        '2026-12-09T09:00:00.000Z',
      );
      // Natale and Santo Stefano (Fri 25, Sat 26): Thu 2026-12-24 17:00 CET + 3 h =
      // 1 h Thursday, Mon 2026-12-28 09:00 + 2 h = 11:00 CET = 10:00Z.
      expect(iso(addBusinessSeconds(acme, at('2026-12-24T16:00:00Z'), 3 * H))).to.equal(
        '2026-12-28T10:00:00.000Z',
      );
    });

    it('skips the Danish Christmas days (2026-12-24/25/26) and knows the short Friday', () => {
      // Wed 2026-12-23 15:00 CET (14:00Z) + 2 h: 1 h on Wednesday (to 16:00), Thu 24 and
      // Fri 25 are holidays, Sat 26 a holiday and a weekend day, Sunday closed:
      // Mon 2026-12-28 08:00 + 1 h = 09:00 CET = 08:00Z.
      expect(iso(addBusinessSeconds(nordhavn, at('2026-12-23T14:00:00Z'), 2 * H))).to.equal(
        '2026-12-28T08:00:00.000Z',
      );
      // Fri 2026-11-13 15:00 CET (14:00Z) + 1 h: 30 min to 15:30, Mon 08:00 + 30 min =
      // 08:30 CET = 07:30Z.
      expect(iso(addBusinessSeconds(nordhavn, at('2026-11-13T14:00:00Z'), H))).to.equal(
        '2026-11-16T07:30:00.000Z',
      );
      // Thu 2026-12-31 15:00 CET + 2 h: 1 h Thursday, Fri 2027-01-01 holiday,
      // Mon 2027-01-04 08:00 + 1 h = 09:00 CET = 08:00Z.
      expect(iso(addBusinessSeconds(nordhavn, at('2026-12-31T14:00:00Z'), 2 * H))).to.equal(
        '2027-01-04T08:00:00.000Z',
      );
    });

    it('crosses the spring-forward weekend (Europe/Rome, Sun 2026-03-29) on a business calendar', () => {
      // Fri 2026-03-27 17:00 CET (16:00Z) + 2 h: 1 h on Friday; Monday 2026-03-30 is in CEST,
      // 09:00 CEST = 07:00Z, + 1 h = 10:00 CEST = 08:00Z.
      expect(iso(addBusinessSeconds(acme, at('2026-03-27T16:00:00Z'), 2 * H))).to.equal(
        '2026-03-30T08:00:00.000Z',
      );
      // A daily 09-18 calendar opened Sat 2026-03-28 17:00 CET (16:00Z) + 2 h: 1 h Saturday,
      // Sunday (the switch day) 09:00 CEST = 07:00Z + 1 h = 08:00Z.
      expect(iso(addBusinessSeconds(daily, at('2026-03-28T16:00:00Z'), 2 * H))).to.equal(
        '2026-03-29T08:00:00.000Z',
      );
    });

    it('crosses the fall-back weekend (Europe/Rome, Sun 2026-10-25) on a business calendar', () => {
      // Fri 2026-10-23 17:00 CEST (15:00Z) + 2 h: 1 h Friday; Mon 2026-10-26 09:00 CET = 08:00Z
      // + 1 h = 10:00 CET = 09:00Z.
      expect(iso(addBusinessSeconds(acme, at('2026-10-23T15:00:00Z'), 2 * H))).to.equal(
        '2026-10-26T09:00:00.000Z',
      );
      // Daily 09-18, Sat 2026-10-24 17:00 CEST (15:00Z) + 2 h: 1 h Saturday; Sunday 09:00 CET
      // (08:00Z) + 1 h = 09:00Z.
      expect(iso(addBusinessSeconds(daily, at('2026-10-24T15:00:00Z'), 2 * H))).to.equal(
        '2026-10-25T09:00:00.000Z',
      );
    });

    it('counts real elapsed seconds across the switch hour on a 24x7 calendar', () => {
      for (const cal of [plain, walked]) {
        // Sat 2026-03-28 23:00 CET (22:00Z) + 4 h = 02:00Z, which the clocks show as 04:00 CEST
        // (the hour 02:00-03:00 does not exist that night).
        const spring = addBusinessSeconds(cal, at('2026-03-28T22:00:00Z'), 4 * H);
        expect(iso(spring)).to.equal('2026-03-29T02:00:00.000Z');
        expect(DateTime.fromJSDate(spring, { zone: 'Europe/Rome' }).toFormat('HH:mm')).to.equal('04:00');
        // Sun 2026-10-25 01:30 CEST (2026-10-24T23:30Z) + 2 h = 01:30Z, the second 02:30 (CET).
        const autumn = addBusinessSeconds(cal, at('2026-10-24T23:30:00Z'), 2 * H);
        expect(iso(autumn)).to.equal('2026-10-25T01:30:00.000Z');
        expect(DateTime.fromJSDate(autumn, { zone: 'Europe/Rome' }).toFormat('HH:mm ZZ')).to.equal(
          '02:30 +01:00',
        );
      }
    });

    it('counts the real seconds of a night window that crosses the switch hour', () => {
      // Sundays 01:00-04:00. Spring: 01:00 CET = 00:00Z to 04:00 CEST = 02:00Z, 2 h open, so
      // 90 min after opening is 01:30Z (03:30 CEST).
      expect(iso(addBusinessSeconds(night, at('2026-03-29T00:00:00Z'), 5400))).to.equal(
        '2026-03-29T01:30:00.000Z',
      );
      // Autumn: 01:00 CEST = 2026-10-24T23:00Z to 04:00 CET = 03:00Z, 4 h open; + 3 h = 02:00Z.
      expect(iso(addBusinessSeconds(night, at('2026-10-24T23:00:00Z'), 3 * H))).to.equal(
        '2026-10-25T02:00:00.000Z',
      );
    });

    it('skips an ad-hoc closure in the middle of a day, and one over two days', () => {
      // Wed 2026-11-18 12:00-14:00 CET (11:00Z-13:00Z) closed; Thu 16:00 CET to Fri 11:00 CET closed.
      const cal: BusinessCalendar = {
        ...acme,
        closures: [
          { from: at('2026-11-18T11:00:00Z'), to: at('2026-11-18T13:00:00Z') },
          { from: at('2026-11-19T15:00:00Z'), to: at('2026-11-20T10:00:00Z') },
        ],
      };
      // Wed 10:00 CET (09:00Z) + 3 h: 10-12 = 2 h, closed 12-14, 14:00 + 1 h = 15:00 CET = 14:00Z
      // (13:00 CET without the closure).
      expect(iso(addBusinessSeconds(acme, at('2026-11-18T09:00:00Z'), 3 * H))).to.equal(
        '2026-11-18T12:00:00.000Z',
      );
      expect(iso(addBusinessSeconds(cal, at('2026-11-18T09:00:00Z'), 3 * H))).to.equal(
        '2026-11-18T14:00:00.000Z',
      );
      // Opened during the closure, 12:30 CET (11:30Z), + 30 min: 14:30 CET = 13:30Z.
      expect(iso(addBusinessSeconds(cal, at('2026-11-18T11:30:00Z'), 1800))).to.equal(
        '2026-11-18T13:30:00.000Z',
      );
      // Thu 15:00 CET (14:00Z) + 2 h: 1 h to 16:00, closed until Fri 11:00, + 1 h = 12:00 CET = 11:00Z.
      expect(iso(addBusinessSeconds(cal, at('2026-11-19T14:00:00Z'), 2 * H))).to.equal(
        '2026-11-20T11:00:00.000Z',
      );
    });

    it("supports split days and '24:00' as an end", () => {
      // Mon-Fri 09:00-13:00 and 14:00-18:00: Mon 2026-11-16 12:00 CET (11:00Z) + 2 h =
      // 1 h to 13:00, lunch, 14:00 + 1 h = 15:00 CET = 14:00Z.
      const lunch: BusinessCalendar = {
        ...acme,
        weekly: [...hours(weekdays, '09:00', '13:00'), ...hours(weekdays, '14:00', '18:00')],
      };
      expect(iso(addBusinessSeconds(lunch, at('2026-11-16T11:00:00Z'), 2 * H))).to.equal(
        '2026-11-16T14:00:00.000Z',
      );
      // Fri 20:00-24:00 and Sat 00:00-02:00: Fri 2026-11-13 23:00 CET + 2 h = 1 h Friday,
      // Sat 00:00 + 1 h = 01:00 CET = 00:00Z.
      const lateShift: BusinessCalendar = {
        ...acme,
        weekly: [...hours([5], '20:00', '24:00'), ...hours([6], '00:00', '02:00')],
      };
      expect(iso(addBusinessSeconds(lateShift, at('2026-11-13T22:00:00Z'), 2 * H))).to.equal(
        '2026-11-14T00:00:00.000Z',
      );
    });

    it('refuses a calendar without open hours, one closed for 3 years, and bad input', () => {
      const closed: BusinessCalendar = { ...acme, weekly: [] };
      expect(() => addBusinessSeconds(closed, at('2026-11-13T10:00:00Z'), H)).to.throw(/no open hours/);
      const start = DateTime.fromISO('2026-01-01', { zone: 'Europe/Rome' });
      const holidays = Array.from(
        { length: 4 * 366 },
        (_, i) => start.plus({ days: i }).toISODate() as string,
      );
      const t0 = Date.now();
      expect(() => addBusinessSeconds({ ...acme, holidays }, at('2026-01-01T10:00:00Z'), H)).to.throw(
        /not found within/,
      );
      expect(Date.now() - t0, 'gives up quickly').to.be.lessThan(2000);
      expect(() =>
        addBusinessSeconds({ ...acme, timeZone: 'Mars/Olympus_Mons' }, at('2026-11-13T10:00:00Z'), H),
      ).to.throw(/time zone/);
      expect(() => addBusinessSeconds(acme, at('2026-11-13T10:00:00Z'), -1)).to.throw(RangeError);
      expect(() => addBusinessSeconds(acme, new Date(NaN), 1)).to.throw(RangeError);
      expect(() =>
        addBusinessSeconds({ ...acme, weekly: hours([1], '18:00', '09:00') }, at('2026-11-13T10:00:00Z'), H),
      ).to.throw(/bad hours/);
    });
  });

  describe('businessSecondsBetween', () => {
    it('counts across a weekend', () => {
      // Acme, Fri 2026-11-13 16:00 CET (15:00Z) to Mon 2026-11-16 11:00 CET (10:00Z):
      // Friday 16-18 = 2 h, Monday 09-11 = 2 h: 4 h.
      expect(businessSecondsBetween(acme, at('2026-11-13T15:00:00Z'), at('2026-11-16T10:00:00Z'))).to.equal(
        4 * H,
      );
      // Nordhavn, Fri 14:00 CET (13:00Z) to Mon 10:00 CET (09:00Z): Fri 14:00-15:30 = 1.5 h,
      // Mon 08-10 = 2 h: 3.5 h.
      expect(
        businessSecondsBetween(nordhavn, at('2026-11-13T13:00:00Z'), at('2026-11-16T09:00:00Z')),
      ).to.equal(3.5 * H);
      // A whole Acme week, Mon 00:00 to Mon 00:00: 5 x 9 h.
      expect(businessSecondsBetween(acme, at('2026-11-15T23:00:00Z'), at('2026-11-22T23:00:00Z'))).to.equal(
        45 * H,
      );
      // Only the weekend: nothing.
      expect(businessSecondsBetween(acme, at('2026-11-13T17:00:00Z'), at('2026-11-16T08:00:00Z'))).to.equal(
        0,
      );
    });

    it('is 0 for an empty or reversed range, and for a calendar without hours', () => {
      expect(businessSecondsBetween(acme, at('2026-11-13T10:00:00Z'), at('2026-11-13T10:00:00Z'))).to.equal(
        0,
      );
      expect(businessSecondsBetween(acme, at('2026-11-13T12:00:00Z'), at('2026-11-13T10:00:00Z'))).to.equal(
        0,
      );
      expect(
        businessSecondsBetween(
          { ...acme, weekly: [] },
          at('2026-11-13T10:00:00Z'),
          at('2027-11-13T10:00:00Z'),
        ),
      ).to.equal(0);
    });

    it('makes a 09:00-18:00 day 9 open hours also on the DST days', () => {
      // Sun 2026-03-29: 09:00 CEST = 07:00Z to 18:00 CEST = 16:00Z. Local midnight to midnight
      // is 2026-03-28T23:00Z to 2026-03-29T22:00Z.
      expect(businessSecondsBetween(daily, at('2026-03-28T23:00:00Z'), at('2026-03-29T22:00:00Z'))).to.equal(
        9 * H,
      );
      // Sun 2026-10-25: 09:00 CET = 08:00Z to 18:00 CET = 17:00Z; midnight to midnight is
      // 2026-10-24T22:00Z to 2026-10-25T23:00Z.
      expect(businessSecondsBetween(daily, at('2026-10-24T22:00:00Z'), at('2026-10-25T23:00:00Z'))).to.equal(
        9 * H,
      );
      // Mon 2026-03-30, the first CEST working day of Acme: 9 h.
      expect(businessSecondsBetween(acme, at('2026-03-29T22:00:00Z'), at('2026-03-30T22:00:00Z'))).to.equal(
        9 * H,
      );
    });

    it('counts 23 h and 25 h for the DST days of a 24x7 calendar', () => {
      for (const cal of [plain, walked]) {
        expect(businessSecondsBetween(cal, at('2026-03-28T23:00:00Z'), at('2026-03-29T22:00:00Z'))).to.equal(
          23 * H,
        );
        expect(businessSecondsBetween(cal, at('2026-10-24T22:00:00Z'), at('2026-10-25T23:00:00Z'))).to.equal(
          25 * H,
        );
      }
    });

    it('counts the real seconds of a window across the switch hour', () => {
      // Sundays 01:00-04:00: 2 h on 2026-03-29 (01:00 CET to 04:00 CEST), 4 h on 2026-10-25
      // (01:00 CEST to 04:00 CET), 3 h on an ordinary Sunday.
      expect(businessSecondsBetween(night, at('2026-03-28T23:00:00Z'), at('2026-03-29T22:00:00Z'))).to.equal(
        2 * H,
      );
      expect(businessSecondsBetween(night, at('2026-10-24T22:00:00Z'), at('2026-10-25T23:00:00Z'))).to.equal(
        4 * H,
      );
      expect(businessSecondsBetween(night, at('2026-11-14T23:00:00Z'), at('2026-11-15T23:00:00Z'))).to.equal(
        3 * H,
      );
    });

    it('subtracts holidays and closures', () => {
      // Acme, Mon 2026-12-07 00:00 to Mon 2026-12-14 00:00 CET: 4 working days (Tue is Immacolata) = 36 h,
      // minus a closure Wed 2026-12-09 12:00-14:00 CET = 34 h.
      const cal: BusinessCalendar = {
        ...acme,
        closures: [{ from: at('2026-12-09T11:00:00Z'), to: at('2026-12-09T13:00:00Z') }],
      };
      expect(businessSecondsBetween(acme, at('2026-12-06T23:00:00Z'), at('2026-12-13T23:00:00Z'))).to.equal(
        36 * H,
      );
      expect(businessSecondsBetween(cal, at('2026-12-06T23:00:00Z'), at('2026-12-13T23:00:00Z'))).to.equal(
        34 * H,
      );
    });
  });

  describe('isOpenAt', () => {
    it('is open in [from, to) of a working day only', () => {
      expect(isOpenAt(acme, at('2026-11-13T08:00:00Z'))).to.equal(true); // Fri 09:00 CET
      expect(isOpenAt(acme, at('2026-11-13T16:59:59Z'))).to.equal(true); // Fri 17:59:59
      expect(isOpenAt(acme, at('2026-11-13T17:00:00Z'))).to.equal(false); // Fri 18:00
      expect(isOpenAt(acme, at('2026-11-14T10:00:00Z'))).to.equal(false); // Saturday
      expect(isOpenAt(acme, at('2026-12-08T10:00:00Z'))).to.equal(false); // Immacolata
      expect(isOpenAt(nordhavn, at('2026-11-13T14:29:00Z'))).to.equal(true); // Fri 15:29 CET
      expect(isOpenAt(nordhavn, at('2026-11-13T14:30:00Z'))).to.equal(false); // Fri 15:30 CET
      expect(isOpenAt(plain, at('2026-03-29T01:30:00Z'))).to.equal(true);
      expect(isOpenAt({ ...acme, weekly: [] }, at('2026-11-13T10:00:00Z'))).to.equal(false);
    });

    it('honours closures and the local time of the switch days', () => {
      const cal: BusinessCalendar = {
        ...acme,
        closures: [{ from: at('2026-11-18T11:00:00Z'), to: at('2026-11-18T13:00:00Z') }],
      };
      expect(isOpenAt(cal, at('2026-11-18T10:59:59Z'))).to.equal(true); // 11:59:59 CET
      expect(isOpenAt(cal, at('2026-11-18T11:30:00Z'))).to.equal(false); // 12:30 CET
      expect(isOpenAt(cal, at('2026-11-18T13:00:00Z'))).to.equal(true); // 14:00 CET
      // Daily 09-18 on 2026-03-29: 08:30 CEST = 06:30Z closed, 09:00 CEST = 07:00Z open.
      expect(isOpenAt(daily, at('2026-03-29T06:30:00Z'))).to.equal(false);
      expect(isOpenAt(daily, at('2026-03-29T07:00:00Z'))).to.equal(true);
    });
  });

  describe('properties (seeded pseudo-random, the same cases every run)', () => {
    /** mulberry32: a small deterministic generator. */
    function random(seed: number): () => number {
      let a = seed >>> 0;
      return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }
    const withClosures: BusinessCalendar = {
      ...acme,
      closures: [
        { from: at('2026-03-25T10:00:00Z'), to: at('2026-03-25T14:30:00Z') },
        { from: at('2026-10-22T15:00:00Z'), to: at('2026-10-26T09:15:00Z') },
        { from: at('2027-02-10T00:00:00Z'), to: at('2027-02-17T00:00:00Z') },
      ],
    };
    const shifts: BusinessCalendar = {
      timeZone: 'Europe/Rome',
      alwaysOpen: false,
      weekly: [
        ...hours(everyDay, '00:00', '06:00'),
        ...hours(everyDay, '22:00', '24:00'),
        ...hours([7], '01:00', '04:00'),
      ],
      holidays: ['2026-12-25'],
      closures: [],
    };
    const newYork: BusinessCalendar = { ...acme, timeZone: 'America/New_York', holidays: ['2026-11-26'] };
    const calendars = { acme, nordhavn, plain, walked, daily, night, withClosures, shifts, newYork };
    const from2026 = Date.UTC(2026, 0, 1);
    const span = Date.UTC(2028, 0, 1) - from2026;

    for (const [name, cal] of Object.entries(calendars)) {
      it(`round-trips: businessSecondsBetween(start, addBusinessSeconds(start, s)) === s (${name})`, () => {
        const next = random(name.length * 7919 + 17);
        for (let i = 0; i < 300; i++) {
          const start = new Date(from2026 + Math.floor(next() * span));
          const seconds = Math.floor(next() * 20 * 9 * H); // up to 20 days of 9 hours
          const due = addBusinessSeconds(cal, start, seconds);
          const label = `${name} #${i}: ${iso(start)} + ${seconds} s = ${iso(due)}`;
          expect(due.getTime(), label).to.be.at.least(start.getTime());
          expect(businessSecondsBetween(cal, start, due), label).to.equal(seconds);
          // Splitting the work in two gives the same deadline.
          const part = 1 + Math.floor(next() * Math.max(1, seconds - 1));
          if (part < seconds)
            expect(
              iso(addBusinessSeconds(cal, addBusinessSeconds(cal, start, part), seconds - part)),
              label,
            ).to.equal(iso(due));
        }
      });
    }

    it('agrees with a minute-by-minute reference around the DST switches', () => {
      /** The slow, obvious definition: is the local wall-clock minute inside a window? */
      const openMinute = (cal: BusinessCalendar, ms: number): boolean => {
        if (cal.closures.some((c) => c.from.getTime() <= ms && ms < c.to.getTime())) return false;
        const local = DateTime.fromMillis(ms, { zone: cal.timeZone });
        if (cal.holidays.includes(local.toISODate() as string)) return false;
        if (cal.alwaysOpen) return true;
        const minute = local.hour * 60 + local.minute;
        const toMinutes = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));
        return cal.weekly.some(
          (w) => w.day === local.weekday && toMinutes(w.from) <= minute && minute < toMinutes(w.to),
        );
      };
      const next = random(4242);
      const around = [Date.UTC(2026, 2, 27), Date.UTC(2026, 9, 23), Date.UTC(2026, 11, 22)];
      for (let i = 0; i < 18; i++) {
        const cal = [acme, nordhavn, walked, daily, night, calendars.withClosures][i % 6] as BusinessCalendar;
        const base = around[i % 3] as number;
        const from = base + Math.floor(next() * 2 * 24 * 60) * 60_000;
        const to = from + Math.floor(next() * 3 * 24 * 60) * 60_000;
        let minutes = 0;
        for (let ms = from; ms < to; ms += 60_000) if (openMinute(cal, ms)) minutes++;
        expect(businessSecondsBetween(cal, new Date(from), new Date(to)), `case ${i}`).to.equal(minutes * 60);
      }
    });

    it('is fast enough for a sweep over many tickets', () => {
      const next = random(99);
      const t0 = performance.now();
      for (let i = 0; i < 2000; i++)
        addBusinessSeconds(nordhavn, new Date(from2026 + Math.floor(next() * span)), 5 * 8 * H);
      expect(performance.now() - t0, '2000 deadlines of 5 business days').to.be.lessThan(1500);
    });
  });
});
