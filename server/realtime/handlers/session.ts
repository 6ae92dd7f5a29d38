import { uiStrings } from '../strings.js';
import { noInput, type HandlerKit } from './handle.js';

/** `hello`: who the socket is, and the strings its page scripts show. */
export function registerSessionHandlers({ handle, user }: HandlerKit): void {
  handle('hello', noInput, async () => ({
    user: { id: user.userId, name: user.name, staff: user.tenantId === null },
    locale: user.locale,
    strings: uiStrings(user.locale),
  }));
}
