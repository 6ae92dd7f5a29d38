import { expect } from 'chai';
import mongoose from 'mongoose';
import { cli } from '../../support/cli.js';
import { dropAndDisconnect, testDbUri } from '../../support/db.js';

/** Item 14: the demo data's mails link to the portal where it runs, not to port 3000. */
describe('links in the mails of the demo data', function () {
  this.timeout(90_000);
  let uri = '';
  before(async () => {
    uri = testDbUri('demo-links');
    await mongoose.connect(uri);
  });
  after(dropAndDisconnect);

  it('point at the configured port (and at PUBLIC_URL when set)', async () => {
    const seeded = await cli(['seed'], { MONGODB_URI: uri, PORT: '4719' });
    expect(seeded.code, seeded.out).to.equal(0);
    const outbox = mongoose.connection.db!.collection('outboxmails');
    const sent = mongoose.connection.db!.collection('sentmails');
    const mails = [...(await outbox.find({}).toArray()), ...(await sent.find({}).toArray())];
    const links = mails
      .map((m) => (m.params as { link?: string } | undefined)?.link)
      .filter((l): l is string => typeof l === 'string');
    expect(links.length, 'the demo data queues mails with links').to.be.greaterThan(0);
    for (const link of links) expect(link).to.match(/^http:\/\/localhost:4719\//);

    await mongoose.connection.dropDatabase();
    const again = await cli(['seed'], {
      MONGODB_URI: uri,
      PORT: '4719',
      PUBLIC_URL: 'https://desk.example.com',
    });
    expect(again.code, again.out).to.equal(0);
    const second = (await outbox.find({}).toArray())
      .map((m) => (m.params as { link?: string } | undefined)?.link)
      .filter(Boolean);
    expect(second.length).to.be.greaterThan(0);
    for (const link of second) expect(link).to.match(/^https:\/\/desk\.example\.com\//);
  });
});
