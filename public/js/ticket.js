// The ticket page, live: new timeline entries appear, who else is looking or typing, and a
// warning when someone replies while I am writing. Without JavaScript the page works as before.
(function () {
  'use strict';

  var article = document.querySelector('article.ticket[data-ticket]');
  if (!article) return;
  var ticketId = article.getAttribute('data-ticket');
  var timeline = article.querySelector('ol.timeline');
  var form = article.querySelector('form.reply');
  var textarea = form ? form.querySelector('textarea[name="body"]') : null;
  var seenAt = form ? form.querySelector('input[name="seenAt"]') : null;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined)
        node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  function start() {
    var live = window.DeskLive;
    if (!live || !timeline) return;

    var version = Number(article.getAttribute('data-version')) || 0;
    // Entries the page has: those rendered (ids e-<id>) and those added here.
    var latestAt = null;
    var submitting = false;

    var statusLine = el('p', { class: 'live-status muted small', role: 'status', 'data-live-status': '' });
    var presenceLine = el('p', {
      class: 'presence muted small',
      'aria-live': 'polite',
      'data-live-presence': '',
    });
    timeline.parentNode.insertBefore(presenceLine, timeline.nextSibling);
    timeline.parentNode.insertBefore(statusLine, presenceLine.nextSibling);
    var warning = null;

    /**
     * One entry exactly as the page prints it: the server renders views/partials/timeline-entry.hbs
     * for this reader and sends the HTML (escaped by handlebars); nothing is drawn here.
     */
    function entryNode(e) {
      var holder = document.createElement('template');
      holder.innerHTML = e.html;
      var node = holder.content.firstElementChild;
      if (node) node.classList.add('live-new');
      return node;
    }

    /** Swap a part of the page for the same partial the server rendered again for this reader. */
    function swap(selector, html) {
      var old = article.querySelector(selector);
      if (!old || !html) return;
      var holder = document.createElement('template');
      holder.innerHTML = html;
      var fresh = holder.content.firstElementChild;
      if (fresh) old.replaceWith(fresh);
    }

    function applyWatch(view) {
      var added = 0;
      view.entries.forEach(function (e) {
        if (!latestAt || e.at > latestAt) latestAt = e.at;
        if (document.getElementById('e-' + e.id)) return;
        var node = entryNode(e);
        if (!node) return;
        timeline.appendChild(node);
        added++;
      });
      if (view.version > version) {
        version = view.version;
        article.setAttribute('data-version', String(version));
      }
      // The SLA panel (business time, computed by the server) and the status badge, as printed.
      if (view.sla) swap('[data-testid="sla"]', view.sla.html);
      swap('[data-testid="status"]', view.statusHtml);
      return added;
    }

    function since() {
      if (latestAt) return latestAt;
      // The page was rendered at seenAt: ask a little further back and skip what is shown.
      var rendered = seenAt ? Date.parse(seenAt.value) : NaN;
      return isNaN(rendered) ? undefined : new Date(rendered - 10000).toISOString();
    }

    // One ticket:watch at a time; a push during one asks again after it (it may have read too early).
    var watching = false;
    var again = false;
    function watch() {
      if (watching) {
        again = true;
        return;
      }
      watching = true;
      var payload = { ref: ticketId };
      var from = since();
      if (from) payload.since = from;
      live.ask('ticket:watch', payload).then(function (res) {
        watching = false;
        if (res.data) {
          applyWatch(res.data);
          article.setAttribute('data-live', 'watching');
        } else if (res.error) statusLine.textContent = res.error.message;
        if (again) {
          again = false;
          watch();
        }
      });
    }

    var catchUpTimer = null;
    function catchUp() {
      window.clearTimeout(catchUpTimer);
      catchUpTimer = setTimeout(watch, 100);
    }

    // --- presence ------------------------------------------------------------------------------

    var presenceClear = null;
    function namesOf(list) {
      var names = [];
      list.forEach(function (p) {
        var me = live.me();
        if (me && p.id === me.id) return;
        var name = p.operator ? live.t('live.an_operator') : p.name;
        if (names.indexOf(name) < 0) names.push(name);
      });
      return live.list(names);
    }
    function countOthers(list) {
      var me = live.me();
      return list.filter(function (p) {
        return !(me && p.id === me.id);
      }).length;
    }
    live.on('presence', function (p) {
      if (p.ticketId !== ticketId) return;
      var viewers = namesOf(p.viewers);
      var typing = namesOf(p.typing);
      var viewing = viewers ? live.t('live.also_viewing', { names: viewers }) : '';
      var typingLine = typing
        ? live.t(countOthers(p.typing) > 1 ? 'live.typing_many' : 'live.typing_one', { names: typing })
        : '';
      presenceLine.textContent = live.lines(viewing, typingLine);
      // A typist who vanished without a word stops showing after a while.
      window.clearTimeout(presenceClear);
      if (typing) {
        presenceClear = setTimeout(function () {
          presenceLine.textContent = viewers ? live.t('live.also_viewing', { names: viewers }) : '';
        }, 10000);
      }
    });

    // --- typing ---------------------------------------------------------------------------------

    var typingSentAt = 0;
    var idleTimer = null;
    function sendTyping(on) {
      live.socket.emit('typing', { ref: ticketId, typing: on });
    }
    if (textarea) {
      textarea.addEventListener('input', function () {
        var now = Date.now();
        if (now - typingSentAt > 4000) {
          typingSentAt = now;
          sendTyping(true);
        }
        window.clearTimeout(idleTimer);
        idleTimer = setTimeout(function () {
          typingSentAt = 0;
          sendTyping(false);
        }, 3000);
      });
    }
    if (form) {
      form.addEventListener('submit', function () {
        submitting = true;
      });
    }

    function warnCollision() {
      if (!form || submitting || !textarea || !textarea.value.trim()) return;
      if (!warning) {
        warning = el('div', { class: 'flash flash-warn', role: 'alert', 'data-live-collision': '' }, [
          live.t('live.replied_meanwhile'),
        ]);
        var submit = form.querySelector('button[type="submit"]');
        form.insertBefore(warning, submit || null);
      }
    }

    // --- pushes ---------------------------------------------------------------------------------

    live.on('ticket:commented', function (p) {
      if (p.ticketId !== ticketId) return;
      if (p.version > version) warnCollision();
      catchUp();
    });
    live.on('ticket:activity', function (p) {
      if (p.ticketId !== ticketId) return;
      if (p.version > version) catchUp();
    });

    live.onReady(function (info) {
      statusLine.textContent = info.reconnect ? live.t('live.back_online') : '';
      watch();
    });
    // Business time left moves on (and stops outside the client's hours): ask again each minute.
    setInterval(function () {
      if (live.socket.connected) watch();
    }, 60 * 1000);
    live.onOffline(function () {
      statusLine.textContent = live.t('live.offline');
    });
    live.onSignedOut(function (message) {
      statusLine.textContent = live.t('live.signed_out') || message;
      presenceLine.textContent = '';
    });
  }

  if (window.DeskLive) start();
  else document.addEventListener('desk:live', start, { once: true });
})();
