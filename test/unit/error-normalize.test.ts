import { expect } from 'chai';
import { MongoBulkWriteError, MongoNetworkError, MongoServerError } from 'mongodb';
import { toAppError } from '../../server/errors/normalize.js';

describe('error normalisation', () => {
  it('reads a connection error wrapped by insertMany (MongoBulkWriteError) as the database unreachable, not internal', () => {
    // What the driver throws when the engine dies under an unordered insertMany (group commit):
    // seen as two 500s in the crash test before this was followed.
    const network = new MongoNetworkError('connection 144 to 127.0.0.1:39779 closed');
    const wrapped = new MongoBulkWriteError(network as never, {} as never);
    const appError = toAppError(wrapped);
    expect(appError.code).to.equal('unavailable');
    expect(appError.retryAfterSeconds).to.equal(5);
  });

  it("reads any subclass of the driver's network error as the database unreachable, whatever it calls itself", () => {
    // The driver's PoolClearedOnNetworkError (a request in flight when the engine died, seen as a
    // 500 on a page once in CI) extends MongoNetworkError under its own name.
    class PoolClearedOnNetworkError extends MongoNetworkError {
      override get name(): string {
        return 'PoolClearedOnNetworkError';
      }
    }
    const appError = toAppError(new PoolClearedOnNetworkError('Connection to 127.0.0.1:41747 interrupted'));
    expect(appError.code).to.equal('unavailable');
  });

  it("reads the driver's write to a socket the engine closed (Node's EPIPE) as the database unreachable", () => {
    // Seen once as a 500 on POST /api/v1/tickets in the crash-mixed test (engine killed mid-request):
    // Node's own error, thrown from the driver's Connection.writeCommand, not wrapped by the driver.
    const epipe = Object.assign(new Error('This socket has been ended by the other party'), {
      code: 'EPIPE',
    });
    epipe.stack = [
      'Error: This socket has been ended by the other party',
      '    at Socket.writeAfterFIN [as write] (node:net:566:14)',
      '    at Connection.writeCommand (/app/node_modules/mongodb/src/cmap/connection.ts:722:23)',
      '    at async Server.command (/app/node_modules/mongodb/src/sdam/server.ts:351:21)',
    ].join('\n');
    expect(toAppError(epipe).code).to.equal('unavailable');
    // The same error from anything else (a mail server, a webhook receiver) is not the database.
    const other = Object.assign(new Error('This socket has been ended by the other party'), {
      code: 'EPIPE',
    });
    other.stack =
      'Error: This socket has been ended by the other party\n    at SMTPConnection._send (/app/node_modules/nodemailer/lib/smtp-connection/index.js:1:1)';
    expect(toAppError(other).code).to.equal('internal');
  });

  it('keeps a bulk write error of the data itself as what it is', () => {
    const duplicate = new MongoServerError({
      message: 'E11000 duplicate key error',
      code: 11000,
      keyPattern: { number: 1 },
    });
    expect(toAppError(duplicate).code).to.equal('duplicate');
    expect(
      toAppError(new MongoBulkWriteError({ message: 'something else', code: 2 } as never, {} as never)).code,
    ).to.equal('internal');
  });
});
