// Queue page keys: j/k move between rows, Enter opens, t takes, n gets next, r opens the ticket
// at the composer, ? lists the keys. Keys typed into a field are the field's. Each key only does
// what a link or form on the page does (no rule lives here); without JavaScript those remain.
(function () {
  'use strict';

  var table = document.querySelector('table[data-testid="queue"]');
  if (!table) return;
  var dialog = document.querySelector('[data-keys-dialog]');
  var openButton = document.querySelector('[data-keys-open]');
  // The row the keys are on, by ticket number: live updates redraw rows, the number stays.
  var currentNumber = null;

  function rows() {
    return Array.prototype.slice.call(table.querySelectorAll('tbody > tr[data-number]'));
  }
  function currentRow() {
    if (!currentNumber) return null;
    return (
      rows().filter(function (r) {
        return r.getAttribute('data-number') === currentNumber;
      })[0] || null
    );
  }
  function select(row) {
    rows().forEach(function (r) {
      r.classList.remove('is-current');
      r.removeAttribute('aria-current');
    });
    currentNumber = row ? row.getAttribute('data-number') : null;
    if (!row) return;
    row.classList.add('is-current');
    row.setAttribute('aria-current', 'true');
    row.scrollIntoView({ block: 'nearest' });
  }
  function move(step) {
    var list = rows();
    if (!list.length) return;
    var at = list.indexOf(currentRow());
    var next = at < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, at + step));
    select(list[next]);
  }
  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]'));
  }
  function showKeys() {
    if (dialog && !dialog.open) dialog.showModal();
  }

  // Live updates (queue.js) replace rows: the mark follows the ticket to its new row.
  if (window.MutationObserver && table.tBodies[0]) {
    new window.MutationObserver(function () {
      var row = currentRow();
      if (row && !row.classList.contains('is-current')) select(row);
    }).observe(table.tBodies[0], { childList: true });
  }

  if (openButton) {
    openButton.hidden = false;
    openButton.addEventListener('click', showKeys);
  }

  document.addEventListener('keydown', function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    if (dialog && dialog.open) return;
    var current = currentRow();
    if (current && !current.classList.contains('is-current')) select(current);
    var key = event.key;
    if (key === 'j') move(1);
    else if (key === 'k') move(-1);
    else if (key === '?') showKeys();
    else if (key === 'n') {
      var next = document.querySelector('[data-next-form]');
      if (next) next.requestSubmit();
    } else if (
      key === 'Enter' &&
      current &&
      !(event.target && event.target.closest && event.target.closest('a, button'))
    ) {
      window.location.assign('/tickets/' + encodeURIComponent(current.getAttribute('data-number')));
    } else if (key === 'r' && current) {
      window.location.assign(
        '/tickets/' + encodeURIComponent(current.getAttribute('data-number')) + '#composer',
      );
    } else if (key === 't' && current) {
      var take = current.querySelector('form.take');
      if (take) take.requestSubmit();
    } else return;
    event.preventDefault();
  });
})();
