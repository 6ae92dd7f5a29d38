import { expect } from 'chai';
import { assetFile } from '../../server/pdf/assets.js';
import { Limiter } from '../../server/pdf/limiter.js';
import { fromRoot } from '../../server/paths.js';

describe('PDF page assets', () => {
  const roots = [{ prefix: '/static', dir: fromRoot('public') }];

  it('serves files under a root and nothing outside it', () => {
    expect(assetFile(roots, '/static/css/reports.css')).to.equal(fromRoot('public', 'css', 'reports.css'));
    expect(assetFile(roots, '/static/css/no-such.css')).to.equal(null);
    expect(assetFile(roots, '/static/css')).to.equal(null);
    expect(assetFile(roots, '/static/../package.json')).to.equal(null);
    expect(assetFile(roots, '/static/%2e%2e/package.json')).to.equal(null);
    expect(assetFile(roots, '/static/css/%00.css')).to.equal(null);
    expect(assetFile(roots, '/staticx/css/reports.css')).to.equal(null);
    expect(assetFile(roots, '/package.json')).to.equal(null);
  });
});

describe('PDF limiter', () => {
  it('lets `size` in at once, the next in order, and a waiter give up at its deadline', async () => {
    const limiter = new Limiter(1);
    expect(await limiter.acquire(Date.now() + 1000)).to.equal(true);
    const second = limiter.acquire(Date.now() + 1000);
    const late = limiter.acquire(Date.now() + 20);
    expect(limiter.pending).to.equal(2);
    expect(await late).to.equal(false);
    expect(limiter.pending).to.equal(1);
    limiter.release();
    expect(await second).to.equal(true);
    limiter.release();
    expect(await limiter.acquire(Date.now())).to.equal(true);
  });
});
