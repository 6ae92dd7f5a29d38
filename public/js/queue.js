// Queue pages, live: new tickets appear, claimed ones go, Take / Get next answer in place,
// the SLA state and business time left come from the server (asked again every minute), counts
// and the overview lists follow. Without JavaScript the same page works by forms and reloads.
(function () {
  'use strict';

  var QUEUE_PAGE = 200;
  var table = document.querySelector('table[data-live-queue]');
  var countsBox = document.querySelector('[data-live-counts]');
  var statusBox = document.querySelector('[data-live-status]');

  // --- Rows and SLA display: drawn by the server (views/partials/ticket-rows.hbs, sla-brief.hbs)
  // for this reader and inserted here as they come. No wall-clock countdown: business time stops
  // outside the client's hours, and only the server knows them. The page asks again every minute.

  var REFRESH_MS = 60 * 1000;

  function say(text) {
    if (statusBox) statusBox.textContent = text || '';
  }

  function start() {
    var live = window.DeskLive;
    if (!live) return;

    // --- counts (queue index and queue page) ------------------------------------------------

    var countsTimer = null;
    function applyCounts(counts) {
      if (!counts) return;
      counts.queues.forEach(function (q) {
        var el = document.querySelector('[data-queue-count="' + q.id + '"] .count');
        if (el) el.textContent = String(q.count);
      });
      var mine = document.querySelector('[data-count="mine"]');
      if (mine) mine.textContent = String(counts.mine);
      var soon = document.querySelector('[data-count="soon"]');
      if (soon) soon.textContent = String(counts.breachingSoon);
    }
    function refreshCounts() {
      if (countsTimer) return;
      countsTimer = setTimeout(function () {
        countsTimer = null;
        live.ask('queues:counts').then(function (res) {
          if (res.data) applyCounts(res.data);
        });
      }, 400);
    }

    // --- the queue table --------------------------------------------------------------------

    var queueId = table ? table.getAttribute('data-live-queue') : null;
    var tbody = table ? table.tBodies[0] || table.appendChild(document.createElement('tbody')) : null;
    // The queue's filter and order are the server's (domain/queues/row-place.ts): each pushed
    // ticket names the queues it belongs to, and each row the server renders carries the key the
    // server sorted by (data-sort-key).
    function belongs(t) {
      return (t.queueIds || []).indexOf(queueId) >= 0;
    }

    /** The page's own CSRF token: rows rendered for the socket carry an empty one. */
    function csrfToken() {
      var inputs = document.querySelectorAll('input[name="_csrf"]');
      for (var i = 0; i < inputs.length; i++) if (inputs[i].value) return inputs[i].value;
      return '';
    }
    function fillCsrf(root) {
      var token = csrfToken();
      Array.prototype.forEach.call(root.querySelectorAll('input[name="_csrf"]'), function (input) {
        input.value = token;
      });
    }

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

    /** Server-rendered rows (HTML escaped by handlebars), ready to insert. */
    function fragmentOf(html) {
      var holder = document.createElement('template');
      holder.innerHTML = html;
      fillCsrf(holder.content);
      return holder.content;
    }
    function rowNode(html) {
      return fragmentOf(html).querySelector('tr');
    }

    function rowOf(id) {
      return tbody ? tbody.querySelector('tr[data-ticket-id="' + id + '"]') : null;
    }

    function syncEmpty() {
      if (!table) return;
      var empty = document.querySelector('[data-empty]');
      var none = tbody.rows.length === 0;
      if (none && !empty) {
        empty = el('p', { class: 'muted', 'data-empty': '' }, [live.t('queues.empty')]);
        table.parentNode.insertBefore(empty, table.nextSibling);
      }
      if (empty) empty.hidden = !none;
    }

    /** Before the first row whose server sort key is greater: the server's order, not a copy. */
    function place(row) {
      var rows = tbody.rows;
      var key = row.getAttribute('data-sort-key') || '';
      var before = null;
      for (var i = 0; i < rows.length && !before; i++)
        if (key < (rows[i].getAttribute('data-sort-key') || '')) before = rows[i];
      tbody.insertBefore(row, before);
      while (tbody.rows.length > QUEUE_PAGE) tbody.deleteRow(tbody.rows.length - 1);
    }

    // Pushes that arrive while a queue:sync is on its way are applied again on top of its answer,
    // which may have been read before them.
    var syncing = null;

    // The latest version each pushed ticket was seen at: older answers never overwrite it.
    var known = {};

    /** Bring one ticket's row up to date: in the queue or not, never back to an older version. */
    function apply(t, fresh) {
      if (!tbody) return;
      if (syncing) syncing.push(t);
      var existing = rowOf(t.id);
      if (existing && Number(existing.getAttribute('data-version')) > t.version) return;
      if (known[t.id] > t.version) return;
      known[t.id] = t.version;
      if (!belongs(t)) {
        delete wanted[t.id];
        if (existing) existing.remove();
        syncEmpty();
        return;
      }
      want(t.id, fresh);
    }

    // The rows themselves, for this reader, from the server: asked in batches (a burst of pushes,
    // e.g. an import, makes a few requests, not one per ticket).
    var wanted = {};
    var wantTimer = null;
    function want(id, fresh) {
      wanted[id] = wanted[id] || fresh;
      if (!wantTimer) wantTimer = setTimeout(fetchRows, 100);
    }
    function fetchRows() {
      wantTimer = null;
      var ids = Object.keys(wanted);
      var batch = ids.slice(0, 50);
      var fresh = {};
      batch.forEach(function (id) {
        fresh[id] = wanted[id];
        delete wanted[id];
      });
      if (ids.length > batch.length) wantTimer = setTimeout(fetchRows, 100);
      live.ask('queue:rows', { queueId: queueId, ids: batch }).then(function (res) {
        if (!res.data) {
          // Too many at once or offline for a moment: ask again shortly (a resync follows a reconnect).
          var code = res.error && res.error.code;
          if (code !== 'rate_limited' && code !== 'unavailable') return;
          batch.forEach(function (id) {
            if (!(id in wanted)) wanted[id] = fresh[id];
          });
          if (!wantTimer) wantTimer = setTimeout(fetchRows, 1000);
          return;
        }
        var got = {};
        res.data.rows.forEach(function (r) {
          got[r.id] = r;
        });
        batch.forEach(function (id) {
          var r = got[id];
          var now = rowOf(id);
          if (!r) {
            // Not in the queue for me any more (read after the push): the row goes.
            if (now && !(id in wanted)) now.remove();
            return;
          }
          if (now && Number(now.getAttribute('data-version')) > r.version) return;
          if (known[id] > r.version) return;
          var row = rowNode(r.html);
          if (!row) return;
          if (fresh[id]) row.classList.add('live-new');
          if (now) now.remove();
          place(row);
        });
        syncEmpty();
      });
    }

    function replaceAll(view, meanwhile) {
      var fresh = document.createDocumentFragment();
      view.rows.forEach(function (r) {
        var row = rowNode(r.html);
        if (row) fresh.appendChild(row);
      });
      tbody.textContent = '';
      tbody.appendChild(fresh);
      meanwhile.forEach(function (t) {
        apply(t, false);
      });
      syncEmpty();
      table.setAttribute('data-live', 'synced');
    }

    // --- the overview's lists (my tickets, breaching soon), redrawn from the server ------------

    var lists = {};
    Array.prototype.forEach.call(document.querySelectorAll('table[data-live-list]'), function (t) {
      lists[t.getAttribute('data-live-list')] =
        t.tBodies[0] || t.appendChild(document.createElement('tbody'));
    });
    var hasLists = Object.keys(lists).length > 0;

    /** A list as the server rendered it (its "nothing here" row included); new rows marked. */
    function drawList(body, html) {
      var fresh = fragmentOf(html);
      Array.prototype.forEach.call(fresh.querySelectorAll('tr[data-ticket-id]'), function (row) {
        var id = row.getAttribute('data-ticket-id');
        if (!body.querySelector('tr[data-ticket-id="' + id + '"]')) row.classList.add('live-new');
      });
      body.textContent = '';
      body.appendChild(fresh);
    }

    var overviewTimer = null;
    function refreshOverview() {
      if (overviewTimer) return;
      overviewTimer = setTimeout(function () {
        overviewTimer = null;
        live.ask('queues:overview').then(function (res) {
          if (!res.data) return;
          applyCounts(res.data.counts);
          if (lists.mine) drawList(lists.mine, res.data.html.mine);
          if (lists.soon) drawList(lists.soon, res.data.html.soon);
          document.body.setAttribute('data-live-overview', 'synced');
        });
      }, 400);
    }

    function resync() {
      if (hasLists) {
        refreshOverview();
      } else if (queueId) {
        if (table) table.setAttribute('data-live', 'syncing');
        syncing = [];
        live.ask('queue:sync', { queueId: queueId }).then(function (res) {
          var meanwhile = syncing || [];
          syncing = null;
          if (res.data) {
            replaceAll(res.data, meanwhile);
            applyCounts(res.data.counts);
          } else if (res.error) say(res.error.message);
        });
      } else if (countsBox) {
        refreshCounts();
      }
    }

    live.onReady(function (info) {
      if (info.reconnect) say(live.t('live.back_online'));
      resync();
    });
    live.onOffline(function () {
      say(live.t('live.offline'));
    });
    live.onSignedOut(function (message) {
      say(live.t('live.signed_out') || message);
    });

    function refreshAll() {
      if (hasLists) refreshOverview();
      else refreshCounts();
    }
    live.on('ticket:created', function (t) {
      apply(t, true);
      refreshAll();
    });
    live.on('ticket:changed', function (t) {
      apply(t, false);
      refreshAll();
    });
    live.on('ticket:claimed', function (payload) {
      apply(payload.ticket, false);
      refreshAll();
    });
    live.on('ticket:released', function (payload) {
      apply(payload.ticket, true);
      refreshAll();
    });
    // Business time left moves on: the server says again how much, every minute.
    setInterval(function () {
      if (live.socket.connected) resync();
    }, REFRESH_MS);

    // --- Take and Get next through the socket, the form as the fallback -----------------------

    function claim(form, event, payload) {
      var button = form.querySelector('button');
      if (button) button.disabled = true;
      live.ask(event, payload).then(function (res) {
        if (button) button.disabled = false;
        if (res.data && res.data.ticket) {
          window.location.assign('/tickets/' + encodeURIComponent(res.data.ticket.number));
        } else if (res.data === null) {
          say(live.t('queues.nothing_next'));
        } else if (res.error && res.error.code === 'unavailable' && !live.socket.connected) {
          form.submit();
        } else if (res.error) {
          say(res.error.message);
        }
      });
    }

    document.addEventListener('submit', function (event) {
      var form = event.target;
      if (!(form instanceof HTMLElement) || !live.socket.connected || !live.hasStrings()) return;
      var action = form.getAttribute('action') || '';
      var take = /^\/tickets\/([^/]+)\/take$/.exec(action);
      var next = /^\/queues\/([0-9a-f]{24})\/next$/.exec(action);
      if (take) {
        event.preventDefault();
        claim(form, 'ticket:take', { ref: decodeURIComponent(take[1]) });
      } else if (next) {
        event.preventDefault();
        claim(form, 'ticket:next', { queueId: next[1] });
      }
    });
  }

  if (!table && !countsBox && !document.querySelector('table[data-live-list]')) return;
  if (window.DeskLive) start();
  else document.addEventListener('desk:live', start, { once: true });
})();
