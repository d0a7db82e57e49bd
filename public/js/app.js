// Small enhancements only: every core action works without this file.
(function () {
  'use strict';
  // Move focus to a form's error summary so screen readers announce it at once.
  var summary = document.querySelector('.error-summary');
  if (summary && typeof summary.focus === 'function') summary.focus();
  // "Back to results" on a listing returns to the search as it was (filters and page).
  // Without JavaScript the link simply opens the search page.
  try {
    if (location.pathname === '/listings') sessionStorage.setItem('bb.lastSearch', location.search);
    var back = document.querySelector('a.back-to-results');
    var last = sessionStorage.getItem('bb.lastSearch');
    if (back && last && /^\?[\w%.,=&+\-:]*$/.test(last)) back.setAttribute('href', '/listings' + last);
  } catch {
    // storage turned off: the plain link stays
  }
  // Ask before destructive actions (forms marked data-confirm).
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
