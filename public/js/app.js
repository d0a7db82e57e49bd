// Small enhancements only: every core action works without this file.
(function () {
  'use strict';
  // Move focus to a form's error summary so screen readers announce it at once.
  var summary = document.querySelector('.error-summary');
  if (summary && typeof summary.focus === 'function') summary.focus();
  // Ask before destructive actions (forms marked data-confirm).
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
