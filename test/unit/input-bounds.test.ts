import { expect } from 'chai';
import { failureLimiter } from '../../server/http/failure-limiter.js';
import { jsonDepthExceeds } from '../../server/http/middleware/bodies.js';

describe('input bounds', () => {
  it('measures JSON depth without recursion, however deep', () => {
    expect(jsonDepthExceeds({ a: [1, { b: 2 }] }, 3)).to.equal(false);
    expect(jsonDepthExceeds({ a: [1, { b: {} }] }, 3)).to.equal(true);
    expect(jsonDepthExceeds('text', 0)).to.equal(false);
    expect(jsonDepthExceeds(JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)), 32)).to.equal(true);
  });

  it('limits an address by its failures only, until its window ends', () => {
    const limiter = failureLimiter({ windowMs: 60_000, limit: 3 });
    const t0 = 1_000_000;
    expect(limiter.retryAfterSeconds('10.0.0.1', t0)).to.equal(null);
    for (let i = 0; i < 3; i++) limiter.recordFailure('10.0.0.1', t0 + i);
    expect(limiter.retryAfterSeconds('10.0.0.1', t0 + 10)).to.equal(60);
    expect(limiter.retryAfterSeconds('10.0.0.2', t0 + 10)).to.equal(null);
    expect(limiter.retryAfterSeconds('10.0.0.1', t0 + 60_000)).to.equal(null);
  });
});
