// The keying screen (views/tickets/keying.hbs): keyboard only. Enter moves to the next field (on
// the last one it saves the record), Tab moves as usual, and each field is checked as it is typed
// against the rules the page carries as data attributes (rendered from the layout by the server,
// which checks every record again when it is saved). No rule lives here that the server lacks.
(function () {
  'use strict';
  var form = document.getElementById('keying-form');
  if (!form) return;
  var inputs = Array.prototype.slice.call(form.querySelectorAll('input[data-rule-key]'));
  var msg = function (name) {
    return form.getAttribute('data-msg-' + name) || '';
  };
  var escape = function (s) {
    return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  };
  var decimal = form.getAttribute('data-decimal') || '.';
  var group = form.getAttribute('data-group') || ',';
  // A number as the reader writes it (the page says their separators, as numbers.ts reads them).
  var localNumber = new RegExp(
    '^([-+]?)(\\d{1,3}(?:' + escape(group) + '\\d{3})+|\\d+)(?:' + escape(decimal) + '(\\d+))?$',
  );
  function valueOf(plain) {
    var m = localNumber.exec(plain);
    if (!m) return null;
    return Number((m[1] === '-' ? '-' : '') + m[2].split(group).join('') + (m[3] ? '.' + m[3] : ''));
  }

  function check(input) {
    var d = input.dataset;
    var v = input.value.trim();
    if (v === '') return d.ruleRequired === 'true' ? msg('required') : '';
    if (d.ruleType === 'text' && v.length > Number(d.ruleMaxlength)) return msg('too_long');
    if (d.ruleType === 'number') {
      var plain = v.replace(/[\s\u00a0\u202f']/g, '');
      if (!/^-?\d[\d.,]*$/.test(plain)) return msg('number');
      var sep = Math.max(plain.lastIndexOf('.'), plain.lastIndexOf(','));
      var digits = sep >= 0 ? plain.length - sep - 1 : 0;
      if (digits > 0 && digits !== 3 && digits > Number(d.ruleDecimals)) return msg('decimals');
      var n = valueOf(plain);
      if (n !== null && d.ruleMin !== undefined && n < Number(d.ruleMin)) return msg('range');
      if (n !== null && d.ruleMax !== undefined && n > Number(d.ruleMax)) return msg('range');
    }
    if (d.ruleType === 'date') {
      var iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
      var dmy = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(v);
      var y, m, day;
      if (iso) {
        y = +iso[1];
        m = +iso[2];
        day = +iso[3];
      } else if (dmy) {
        y = +dmy[3];
        m = +dmy[2];
        day = +dmy[1];
      } else return msg('date');
      var dt = new Date(Date.UTC(y, m - 1, day));
      if (dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== day) return msg('date');
    }
    if (d.ruleType === 'code') {
      var codes = (d.ruleCodes || '').split('\n').map(function (c) {
        return c.toLowerCase();
      });
      if (codes.indexOf(v.toLowerCase()) < 0) return msg('code');
    }
    return '';
  }

  function show(input) {
    var problem = check(input);
    var out = document.getElementById('e-' + input.name);
    if (out) out.textContent = problem;
    if (problem) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    input.closest('.field').classList.toggle('has-error', Boolean(problem));
    return problem;
  }

  inputs.forEach(function (input, i) {
    input.addEventListener('input', function () {
      show(input);
    });
    input.addEventListener('keydown', function (e) {
      if (e.key !== 'Enter') return;
      e.preventDefault();
      if (show(input)) return;
      var next = inputs[i + 1];
      if (next) next.focus();
      else form.requestSubmit();
    });
  });

  form.addEventListener('submit', function (e) {
    var firstBad = null;
    inputs.forEach(function (input) {
      if (show(input) && !firstBad) firstBad = input;
    });
    if (firstBad) {
      e.preventDefault();
      firstBad.focus();
    }
  });

  var firstWrong = form.querySelector('input[aria-invalid="true"]');
  (firstWrong || inputs[0]).focus();
})();
