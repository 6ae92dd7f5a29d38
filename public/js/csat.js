// The survey's one click: a link opened by a person sends the rating it names at once. Mail
// scanners that fetch the link run no script, so they only see the page (nothing is recorded).
// Once per tab and link, so going back to the page does not send it again.
(function () {
  'use strict';
  var form = document.querySelector('form[data-auto-submit]');
  if (!form) return;
  var key = 'csat-sent:' + window.location.pathname + window.location.search;
  try {
    if (window.sessionStorage.getItem(key)) return;
    window.sessionStorage.setItem(key, '1');
  } catch {
    // storage refused (privacy mode): send anyway
  }
  form.submit();
})();
