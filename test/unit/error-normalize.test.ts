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
