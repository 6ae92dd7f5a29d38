// Live updates, shared by the queue and ticket pages. Progressive enhancement only: without
// this file (or without /socket.io/socket.io.js) every page still works by plain forms and reloads.
(function () {
  'use strict';
  if (typeof io !== 'function') return;

  var readyHandlers = [];
  var offlineHandlers = [];
  var signedOutHandlers = [];
  var strings = {};
  var me = null;
  var connectedOnce = false;
  var stopped = false;

  // Polling first, upgraded to WebSocket: works behind proxies that refuse upgrades too.
  var socket = io({ reconnectionDelay: 500, reconnectionDelayMax: 5000, timeout: 10000 });

  /** A translated text from the server's catalogue, `{{name}}` placeholders filled in. */
  function t(key, params) {
    var text = Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : '';
    if (!params) return text;
    return text.replace(/\{\{\s*(\w+)\s*\}\}/g, function (_whole, name) {
      return params[name] === undefined || params[name] === null ? '' : String(params[name]);
    });
  }

  /**
   * Names as one phrase in the reader's language ("A, B and C"), from the server's templates:
   * `live_presence.list_two` joins the last two, `live_presence.list_more` puts one more in front.
   */
  function list(names) {
    if (!names.length) return '';
    var phrase = names[names.length - 1];
    if (names.length > 1)
      phrase = t('live_presence.list_two', { first: names[names.length - 2], last: phrase });
    for (var i = names.length - 3; i >= 0; i--)
      phrase = t('live_presence.list_more', { first: names[i], rest: phrase });
    return phrase;
  }

  /** Two lines of text as one, by the server's template (`live_presence.lines`); either may be empty. */
  function lines(first, second) {
    if (!first || !second) return first || second || '';
    return t('live_presence.lines', { first: first, second: second });
  }

  /** Emit with an acknowledgement: resolves `{ data }` or `{ error: { code, message } }`. */
  function ask(event, payload) {
    return new Promise(function (resolve) {
      var done = function (err, response) {
        if (err) resolve({ error: { code: 'unavailable', message: t('live.offline') } });
        else resolve(response || { error: { code: 'internal', message: '' } });
      };
      var timed = socket.timeout(10000);
      if (payload === undefined) timed.emit(event, done);
      else timed.emit(event, payload, done);
    });
  }

  function notify(list, arg) {
    list.forEach(function (fn) {
      try {
        fn(arg);
      } catch (err) {
        setTimeout(function () {
          throw err;
        });
      }
    });
  }

  socket.on('connect', function () {
    ask('hello').then(function (res) {
      if (!res.data) return;
      strings = res.data.strings || {};
      me = res.data.user;
      var reconnect = connectedOnce;
      connectedOnce = true;
      notify(readyHandlers, { reconnect: reconnect });
    });
  });

  socket.on('disconnect', function (reason) {
    if (stopped) return;
    notify(offlineHandlers, reason);
    // The server dropped us on purpose (sign-out, disabled account, shutdown of a node): try
    // once more; a session that is still valid comes back, an ended one is refused below.
    if (reason === 'io server disconnect') {
      setTimeout(function () {
        if (!stopped) socket.connect();
      }, 1000);
    }
  });

  socket.on('connect_error', function (err) {
    var code = err && err.data && err.data.code;
    if (code === 'unauthenticated' || (err && err.message === 'unauthenticated')) {
      stopped = true;
      socket.disconnect();
      notify(signedOutHandlers, (err.data && err.data.message) || '');
    }
  });

  window.DeskLive = {
    socket: socket,
    t: t,
    list: list,
    lines: lines,
    ask: ask,
    me: function () {
      return me;
    },
    on: function (event, handler) {
      socket.on(event, handler);
    },
    /** Called after every (re)connection, once the texts are loaded: re-sync there. */
    onReady: function (fn) {
      readyHandlers.push(fn);
      if (connectedOnce && socket.connected) fn({ reconnect: false });
    },
    onOffline: function (fn) {
      offlineHandlers.push(fn);
    },
    onSignedOut: function (fn) {
      signedOutHandlers.push(fn);
    },
    /** The texts arrive with the first connection; before that, nothing to translate with. */
    hasStrings: function () {
      return Object.keys(strings).length > 0;
    },
  };
  document.dispatchEvent(new CustomEvent('desk:live'));
})();
