// Progressive enhancement only: every page works without this file.
(function () {
  'use strict';
  // Ask before destructive actions (disable, suspend).
  document.addEventListener('submit', function (event) {
    var button = event.submitter;
    if (button && button.classList.contains('danger') && button.dataset.confirm) {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    }
  });
  // The header's menu (a <details>): wide windows show it open. CSS does it where ::details-content
  // is known; elsewhere it is opened here, and folded again when the window narrows.
  var menu = document.querySelector('details[data-menu]');
  var supported = window.CSS && window.CSS.supports && window.CSS.supports('selector(::details-content)');
  if (menu && !supported && window.matchMedia) {
    var wide = window.matchMedia('(min-width: 800px)');
    var follow = function () {
      menu.open = wide.matches;
    };
    follow();
    if (wide.addEventListener) wide.addEventListener('change', follow);
  }
  // Escape folds the open menu and gives the focus back to its button.
  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape' || !menu || !menu.open || !menu.contains(document.activeElement)) return;
    var toggle = menu.querySelector('summary');
    if (!toggle || window.getComputedStyle(toggle).display === 'none') return;
    menu.open = false;
    toggle.focus();
  });
})();
