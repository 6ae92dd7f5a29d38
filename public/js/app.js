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
})();
