import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import type { Locale } from '../../server/i18n/i18n.js';
import { fromRoot } from '../../server/paths.js';
import { uiStrings } from '../../server/realtime/strings.js';

interface Live {
  list(names: string[]): string;
  lines(first: string, second: string): string;
  hasStrings(): boolean;
}

/**
 * public/js/realtime.js run as the page runs it, against a stand-in socket that answers `hello`
 * with the server's strings for `locale` (the texts the real server sends, uiStrings).
 */
async function liveIn(locale: Locale): Promise<Live> {
  const handlers = new Map<string, (...args: unknown[]) => void>();
  const socket = {
    connected: true,
    on: (event: string, fn: (...args: unknown[]) => void) => handlers.set(event, fn),
    timeout: () => ({
      emit: (event: string, done: (err: unknown, res: unknown) => void) =>
        done(null, event === 'hello' ? { data: { strings: uiStrings(locale), user: { id: 'me' } } } : {}),
    }),
  };
  const window: { DeskLive?: Live } = {};
  runInNewContext(readFileSync(fromRoot('public/js/realtime.js'), 'utf8'), {
    io: () => socket,
    window,
    document: { dispatchEvent: () => true },
    CustomEvent: class {},
    setTimeout,
    Promise,
  });
  handlers.get('connect')?.();
  await new Promise((r) => setImmediate(r));
  const live = window.DeskLive as Live;
  expect(live.hasStrings()).to.equal(true);
  return live;
}

/** Item 3 of #15: the presence line is put together from the server's translated templates. */
describe('the live presence line reads in the reader language (public/js/realtime.js)', () => {
  it('lists names with the list templates of each language, not glued together in the browser', async () => {
    const en = await liveIn('en');
    expect(en.list([])).to.equal('');
    expect(en.list(['Anna'])).to.equal('Anna');
    expect(en.list(['Anna', 'Bo'])).to.equal('Anna and Bo');
    expect(en.list(['Anna', 'Bo', 'Carla'])).to.equal('Anna, Bo and Carla');
    expect((await liveIn('it')).list(['Anna', 'Bo', 'Carla'])).to.equal('Anna, Bo e Carla');
    expect((await liveIn('da')).list(['Anna', 'Bo', 'Carla', 'Dan'])).to.equal('Anna, Bo, Carla og Dan');
  });

  it('joins the viewing and typing lines with the template, either one alone as it is', async () => {
    const en = await liveIn('en');
    expect(en.lines('Also viewing: Anna', 'Bo is typing…')).to.equal('Also viewing: Anna · Bo is typing…');
    expect(en.lines('Also viewing: Anna', '')).to.equal('Also viewing: Anna');
    expect(en.lines('', 'Bo is typing…')).to.equal('Bo is typing…');
    expect(en.lines('', '')).to.equal('');
  });
});
