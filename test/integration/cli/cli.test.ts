import { expect } from 'chai';
import mongoose from 'mongoose';
import { User } from '../../../models/user.js';
import { Tenant } from '../../../models/tenant.js';
import { verifyPassword } from '../../../server/domain/auth/passwords.js';
import { cli } from '../../support/cli.js';
import { dropAndDisconnect, testDbUri } from '../../support/db.js';

describe('command line', function () {
  this.timeout(60_000);
  let uri = '';
  before(async () => {
    uri = testDbUri('cli');
    await mongoose.connect(uri);
  });
  after(dropAndDisconnect);

  it('creates the first admin, refusing a duplicate and a short password', async () => {
    const ok = await cli(['admin:create', '--email', 'First@Example.com', '--password', 'a-long-password'], {
      MONGODB_URI: uri,
    });
    expect(ok.code, ok.out).to.equal(0);
    const admin = await User.findOne({ email: 'first@example.com' }).setOptions({ allTenants: true }).lean();
    expect(admin?.role).to.equal('admin');
    expect(admin?.status).to.equal('active');
    expect(await verifyPassword(admin?.passwordHash, 'a-long-password')).to.equal(true);

    const dup = await cli(['admin:create', '--email', 'first@example.com', '--password', 'a-long-password'], {
      MONGODB_URI: uri,
    });
    expect(dup.code).to.equal(1);
    expect(dup.out).to.match(/duplicate/);
    const short = await cli(['admin:create', '--email', 'second@example.com', '--password', 'short'], {
      MONGODB_URI: uri,
    });
    expect(short.code).to.equal(1);
    expect(short.out).to.match(/password/);
  });

  it('seeds idempotently and refuses in production', async () => {
    const first = await cli(['seed'], { MONGODB_URI: uri });
    expect(first.code, first.out).to.equal(0);
    expect(first.out).to.include('admin@desk.example');
    const again = await cli(['seed'], { MONGODB_URI: uri });
    expect(again.code).to.equal(0);
    expect(await Tenant.countDocuments({})).to.equal(2);
    expect(await User.countDocuments({}).setOptions({ allTenants: true })).to.equal(10);
    const prod = await cli(['seed'], {
      MONGODB_URI: uri,
      NODE_ENV: 'production',
      SESSION_SECRET: 'x'.repeat(40),
    });
    expect(prod.code).to.equal(2);
    expect(prod.out).to.include('refuses');
  });
});
