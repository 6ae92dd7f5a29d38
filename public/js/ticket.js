// The ticket page, live: new timeline entries appear, who else is looking or typing, and a
// warning when someone replies while I am writing. Without JavaScript the page works as before.
(function () {
  'use strict';

  var article = document.querySelector('article.ticket[data-ticket]');
  if (!article) return;
  var ticketId = article.getAttribute('data-ticket');
  var timeline = article.querySelector('ol.timeline');
  var form = article.querySelector('form.reply');
  // The composer's parts are looked up each time: a send puts the server's fresh composer in place.
  function textareaOf() {
    return form ? form.querySelector('textarea[name="body"]') : null;
  }
  function seenAtOf() {
    return form ? form.querySelector('input[name="seenAt"]') : null;
  }
  // Shared by the composer and the live part: a send in flight, the version it left, a catch-up.
  var sending = false;
  var ownVersion = 0;
  var refreshLive = null;

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
      var seenAt = seenAtOf();
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
    if (form) {
      form.addEventListener('input', function (event) {
        if (!event.target || event.target.name !== 'body') return;
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
      // A send without JavaScript leaves the page: no warning about one's own reply meanwhile.
      form.addEventListener('submit', function () {
        sending = true;
      });
    }

    function warnCollision() {
      var textarea = textareaOf();
      if (!form || sending || !textarea || !textarea.value.trim()) return;
      if (!warning || !form.contains(warning)) {
        warning = el('div', { class: 'flash flash-warn', role: 'alert', 'data-live-collision': '' }, [
          live.t('live.replied_meanwhile'),
        ]);
        // Above the send buttons (their row is a child of the form).
        var actions = form.querySelector('.composer-actions');
        form.insertBefore(warning, actions && actions.parentNode === form ? actions : null);
      }
    }

    // --- pushes ---------------------------------------------------------------------------------

    live.on('ticket:commented', function (p) {
      if (p.ticketId !== ticketId) return;
      if (p.version > Math.max(version, ownVersion)) warnCollision();
      catchUp();
    });
    live.on('ticket:activity', function (p) {
      if (p.ticketId !== ticketId) return;
      if (p.version > version) catchUp();
    });

    refreshLive = catchUp;
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

  // --- the composer ------------------------------------------------------------------------------
  // Sends without leaving the page: the same form, posted with the CSRF token as the page's script,
  // answered with JSON (the new entry and the composer as the server renders them). Ctrl/Cmd+Enter
  // sends; a draft is kept in this browser (per ticket and user) until it is sent.

  function composer() {
    if (!form || !window.fetch || !window.FormData) return;
    var draftKey = form.getAttribute('data-draft-key');
    var store = null;
    try {
      store = window.localStorage;
    } catch {
      store = null;
    }
    function keepDraft() {
      var textarea = textareaOf();
      if (!store || !draftKey || !textarea) return;
      try {
        if (textarea.value.trim()) store.setItem(draftKey, textarea.value);
        else store.removeItem(draftKey);
      } catch {
        // A full or refused storage only loses the draft.
      }
    }
    function dropDraft() {
      if (store && draftKey) store.removeItem(draftKey);
    }
    function say(text) {
      var line = form.querySelector('[data-composer-status]');
      if (line) line.textContent = text || '';
    }
    var initial = textareaOf();
    var saved = store && draftKey ? store.getItem(draftKey) : null;
    if (initial && saved && !initial.value) {
      initial.value = saved;
      say(form.getAttribute('data-draft-kept'));
    }

    form.addEventListener('input', function (event) {
      if (event.target && event.target.name === 'body') keepDraft();
    });
    form.addEventListener('keydown', function (event) {
      if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return;
      if (!event.target || event.target.name !== 'body') return;
      event.preventDefault();
      var send = form.querySelector('button[data-testid="send"]');
      if (typeof form.requestSubmit === 'function') form.requestSubmit(send || undefined);
      else if (send) send.click();
    });

    /** Put a part of the page the server rendered again in place of the one shown. */
    function swapIn(selector, html) {
      var old = document.querySelector(selector);
      if (!old || !html) return;
      var holder = document.createElement('template');
      holder.innerHTML = html;
      var fresh = holder.content.firstElementChild;
      if (fresh) old.replaceWith(fresh);
    }
    /** Put the server's fresh composer in place of this one's content (the form itself stays). */
    function replaceComposer(html) {
      if (!html) return;
      var holder = document.createElement('template');
      holder.innerHTML = html;
      var fresh = holder.content.querySelector('form.reply');
      if (fresh) form.innerHTML = fresh.innerHTML;
    }
    function setBusy(on) {
      Array.prototype.forEach.call(form.querySelectorAll('button[type="submit"]'), function (b) {
        b.disabled = on;
      });
      form.setAttribute('aria-busy', on ? 'true' : 'false');
    }

    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (form.getAttribute('aria-busy') === 'true') return;
      var data = new FormData(form);
      var submitter = event.submitter;
      data.delete('then');
      if (submitter && submitter.name === 'then') data.append('then', submitter.value);
      var token = form.querySelector('input[name="_csrf"]');
      sending = true;
      setBusy(true);
      say(form.getAttribute('data-sending'));
      fetch(form.action, {
        method: 'POST',
        body: data,
        credentials: 'same-origin',
        headers: { Accept: 'application/json', 'X-CSRF-Token': token ? token.value : '' },
      })
        .then(function (res) {
          return res.json().catch(function () {
            return null;
          });
        })
        .then(function (answer) {
          if (!answer || !answer.composerHtml) {
            // Refused outside the form (signed out, no longer allowed): the server's message.
            if (answer && answer.error && answer.error.message) {
              setBusy(false);
              say(answer.error.message);
              return;
            }
            throw new Error('no answer');
          }
          if (answer.ok) {
            if (answer.version > ownVersion) ownVersion = answer.version;
            if (answer.entry && timeline && !document.getElementById('e-' + answer.entry.id)) {
              var holder = document.createElement('template');
              holder.innerHTML = answer.entry.html;
              var node = holder.content.firstElementChild;
              if (node) timeline.appendChild(node);
            }
            if (answer.side) {
              // The status badge and the side cards (who has it, the moves), as the server printed them.
              swapIn('[data-testid="status"]', answer.side.statusHtml);
              swapIn('[data-testid="assignee"]', answer.side.assigneeHtml);
              swapIn('[data-testid="status-card"]', answer.side.statusCardHtml);
            }
            dropDraft();
            replaceComposer(answer.composerHtml);
            say(answer.message);
            form.setAttribute('data-sent', String(Number(form.getAttribute('data-sent') || 0) + 1));
            if (refreshLive) refreshLive();
          } else {
            replaceComposer(answer.composerHtml);
            say(answer.error && answer.error.message);
          }
        })
        .catch(function () {
          setBusy(false);
          say(form.getAttribute('data-send-failed'));
        })
        .then(function () {
          sending = false;
          form.setAttribute('aria-busy', 'false');
        });
    });
  }
  // The macro picker: choosing a macro shows its preview at once (its button does without JavaScript).
  var macroChoose = article.querySelector('form[data-macro-choose]');
  var macroSelect = macroChoose ? macroChoose.querySelector('select[name="macro"]') : null;
  if (macroSelect)
    macroSelect.addEventListener('change', function () {
      if (macroSelect.value) macroChoose.submit();
    });

  composer();

  if (window.DeskLive) start();
  else document.addEventListener('desk:live', start, { once: true });
})();
