import { expect } from 'chai';
import {
  deliveryPolicy,
  nextAttemptAt,
  retryAfterMs,
  retrySchedule,
} from '../../../server/domain/webhooks/deliver.js';

/**
 * Issue #19 item 3, "honouring Retry-After": the header in both of its forms (RFC 9110 10.2.3:
 * delay-seconds or an HTTP-date), read against the injected clock, and how it moves the next
 * attempt (never earlier than the schedule, never later than the cap). The delivery test checks
 * the seconds form end to end on a real receiver.
 */
describe('webhook delivery: Retry-After', () => {
  const now = new Date('2026-03-02T10:00:00Z');
  const noJitter = () => 0.5;

  it('reads delay-seconds and an HTTP-date against the clock; a past date is now; garbage is ignored', () => {
    expect(retryAfterMs('120', now)).to.equal(120_000);
    expect(retryAfterMs(' 0 ', now)).to.equal(0);
    expect(retryAfterMs('Mon, 02 Mar 2026 10:30:00 GMT', now)).to.equal(30 * 60_000);
    expect(retryAfterMs('Mon, 02 Mar 2026 09:00:00 GMT', now)).to.equal(0);
    for (const bad of [undefined, '', 'soon', 'in a minute'])
      expect(retryAfterMs(bad, now), String(bad)).to.equal(null);
  });

  it('waits at least the schedule, as long as the receiver asks up to a day, and gives up on time', () => {
    const at = (attempts: number, retryAfter: number | null) =>
      nextAttemptAt(attempts, now, noJitter, retryAfter)!.getTime() - now.getTime();
    // After the first failure the schedule says 5 s: a shorter Retry-After does not hurry it.
    expect(at(1, 1_000)).to.equal(retrySchedule[1]);
    // An HTTP-date an hour away is honoured.
    expect(at(1, retryAfterMs('Mon, 02 Mar 2026 11:00:00 GMT', now))).to.equal(3_600_000);
    // A week is capped at a day: a receiver cannot park an event for ever.
    expect(at(2, 7 * 24 * 3_600_000)).to.equal(deliveryPolicy.maxRetryAfterMs);
    // No attempt after the last one of the schedule, whatever the receiver says.
    expect(nextAttemptAt(retrySchedule.length, now, noJitter, 60_000)).to.equal(null);
  });
});
