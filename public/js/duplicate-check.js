// The new invoice form: while the client types the supplier VAT, the invoice number and its issue
// date, ask the server (debounced) whether that invoice is already a ticket of their company, and
// say so before the form is sent. The rule and the words come from the server; sending is never blocked.
(function () {
  'use strict';

  var box = document.querySelector('[data-duplicate-check]');
  if (!box) return;
  var form = box.closest('form');
  if (!form) return;
  var vat = form.querySelector('[name="fields.supplierVat"]');
  var number = form.querySelector('[name="fields.invoiceNumber"]');
  var date = form.querySelector('[name="fields.issueDate"]');
  if (!vat || !number || !date) return;
  var url = box.getAttribute('data-duplicate-check');
  var DEBOUNCE_MS = 400;
  var timer = null;
  var asked = 0;

  function show(text) {
    box.textContent = text || '';
    box.hidden = !text;
  }

  function check() {
    var v = vat.value.trim();
    var n = number.value.trim();
    var d = date.value.trim();
    if (!v || !n || !d) return show('');
    var mine = ++asked;
    var query =
      '?supplierVat=' +
      encodeURIComponent(v) +
      '&invoiceNumber=' +
      encodeURIComponent(n) +
      '&issueDate=' +
      encodeURIComponent(d);
    fetch(url + query, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (res) {
        return res.ok ? res.json() : null;
      })
      .then(function (answer) {
        // An older answer arriving after a newer question is dropped.
        if (mine !== asked) return;
        show(answer && answer.duplicate ? answer.message : '');
      })
      .catch(function () {
        if (mine === asked) show('');
      });
  }

  function later() {
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(check, DEBOUNCE_MS);
  }

  vat.addEventListener('input', later);
  number.addEventListener('input', later);
  date.addEventListener('input', later);
  date.addEventListener('change', later);
  // A form re-rendered with values (a refused send) checks at once.
  check();
})();
