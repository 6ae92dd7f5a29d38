// Queue pages, live: new tickets appear, claimed ones go, Take / Get next answer in place,
// the SLA state and business time left come from the server (asked again every minute), counts
// and the overview lists follow. Without JavaScript the same page works by forms and reloads.
(function () {
  'use strict';

  var QUEUE_PAGE = 200;
  var intlLocales = { en: 'en-GB', it: 'it-IT', da: 'da-DK' };

  var table = document.querySelector('table[data-live-queue]');
  var countsBox = document.querySelector('[data-live-counts]');
  var statusBox = document.querySelector('[data-live-status]');

  // --- SLA: drawn from what the server computed (business time, sla/view.ts SlaBrief) ---------
  // No wall-clock countdown here: business time stops outside the client's hours, and only the
  // server knows them. The page asks the server again every minute instead.

  var REFRESH_MS = 60 * 1000;

  /** The server's `duration` helper (views.ts): "3 d 4 h", "2 h 05 min", "12 min". */
  function duration(seconds) {
    var s = Math.max(0, Math.round(seconds));
    var d = Math.floor(s / 86400);
    var h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60);
    if (d) return d + ' d ' + h + ' h';
    if (h) return h + ' h ' + (m < 10 ? '0' + m : String(m)) + ' min';
    return m + ' min';
  }

  /** The cell content views/partials/sla-brief.hbs draws for a ticket summary. */
  function slaNodes(t, live, el) {
    var sla = t.sla;
    if (!sla) {
      if (!t.dueAt) return [el('span', { class: 'muted' }, ['—'])];
      var locale = intlLocales[document.documentElement.lang] || undefined;
      try {
        return [
          new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(t.dueAt)),
        ];
      } catch {
        return [t.dueAt];
      }
    }
    var nodes = [el('span', { class: 'badge sla-badge-' + sla.state }, [live.t('sla_states.' + sla.state)])];
    var left = null;
    if (sla.paused) left = el('span', { class: 'sla-left' }, [live.t('sla_brief.paused')]);
    else if (sla.remainingSeconds)
      left = el('span', { class: 'sla-left' }, [live.t('sla_brief.left', { time: duration(sla.remainingSeconds) })]);
    else if (sla.overdueSeconds)
      left = el('span', { class: 'sla-left overdue' }, [
        live.t('sla_brief.overdue', { time: duration(sla.overdueSeconds) }),
      ]);
    if (left) nodes.push(' ', left);
    return nodes;
  }

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
    var order = table ? table.getAttribute('data-queue-order') || 'sla' : 'sla';

    // The queue's filter and order are the server's (domain/queues/row-place.ts): each ticket
    // names the queues it belongs to and, per order, the key the server sorted by.
    function belongs(t) {
      return (t.queueIds || []).indexOf(queueId) >= 0;
    }
    function keyOf(t) {
      return (t.sortKeys && t.sortKeys[order]) || '';
    }

    function csrfToken() {
      var input = document.querySelector('input[name="_csrf"]');
      return input ? input.value : '';
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

    /** A row exactly like views/partials/ticket-rows.hbs draws it. */
    function renderRow(t) {
      var ticketUrl = '/tickets/' + encodeURIComponent(t.number);
      var assigneeCell;
      if (t.assignee) {
        assigneeCell = el('td', {}, [t.assignee.name]);
      } else {
        var form = el('form', { method: 'post', action: ticketUrl + '/take', class: 'inline take' }, [
          el('input', { type: 'hidden', name: '_csrf', value: csrfToken() }),
          el('button', { type: 'submit', 'data-testid': 'take-' + t.number }, [live.t('queues.take')]),
        ]);
        assigneeCell = el('td', {}, [form]);
      }
      var dueCell = el('td', { class: 'due', 'data-sla': '' }, slaNodes(t, live, el));
      return el(
        'tr',
        {
          'data-ticket-id': t.id,
          'data-version': String(t.version),
          'data-due': t.dueAt || '',
          'data-number': t.number,
          'data-sort-key': keyOf(t),
        },
        [
          el('td', {}, [el('a', { href: ticketUrl }, [el('code', {}, [t.number])])]),
          el('td', {}, [el('code', {}, [t.tenantCode])]),
          el('td', {}, [el('a', { href: ticketUrl }, [t.subject])]),
          el('td', {}, [live.t('ticket_types.' + t.type)]),
          el('td', {}, [
            el('span', { class: 'prio prio-' + t.priority }, [live.t('priorities.' + t.priority)]),
          ]),
          el('td', {}, [
            el('span', { class: 'badge status-' + t.status }, [live.t('ticket_status.' + t.status)]),
          ]),
          dueCell,
          assigneeCell,
        ],
      );
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

    /** Bring one ticket's row up to date: in the queue or not, never back to an older version. */
    function apply(t, fresh) {
      if (!tbody) return;
      if (syncing) syncing.push(t);
      var existing = rowOf(t.id);
      if (existing && Number(existing.getAttribute('data-version')) > t.version) return;
      if (!belongs(t)) {
        if (existing) existing.remove();
      } else {
        var row = renderRow(t);
        if (fresh) row.classList.add('live-new');
        if (existing) existing.remove();
        place(row);
      }
      syncEmpty();
    }

    function replaceAll(view, meanwhile) {
      order = view.order;
      var fresh = document.createDocumentFragment();
      view.tickets.forEach(function (t) {
        fresh.appendChild(renderRow(t));
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
      lists[t.getAttribute('data-live-list')] = t.tBodies[0] || t.appendChild(document.createElement('tbody'));
    });
    var hasLists = Object.keys(lists).length > 0;

    function emptyRow() {
      return el('tr', { class: 'empty-row', 'data-empty-row': '' }, [
        el('td', { colspan: '8', class: 'muted' }, [live.t('tables.nothing_here')]),
      ]);
    }

    function drawList(body, tickets) {
      var fresh = document.createDocumentFragment();
      tickets.forEach(function (t) {
        var known = body.querySelector('tr[data-ticket-id="' + t.id + '"]');
        var row = renderRow(t);
        if (!known) row.classList.add('live-new');
        fresh.appendChild(row);
      });
      if (!tickets.length) fresh.appendChild(emptyRow());
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
          if (lists.mine) drawList(lists.mine, res.data.mine);
          if (lists.soon) drawList(lists.soon, res.data.soon);
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
