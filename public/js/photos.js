// Photo forms with JavaScript: a preview of each chosen photo, only as many empty slots
// as needed, and a progress bar while the form is sent. Without this file the same form
// is a plain multipart form and works the same.
(function () {
  'use strict';
  var form = document.querySelector('form[data-photo-form]');
  if (!form || !window.FormData || !window.XMLHttpRequest) return;

  var slots = Array.prototype.slice.call(form.querySelectorAll('[data-photo-slot]'));

  function hasFile(slot) {
    var input = slot.querySelector('input[type=file]');
    return !!(input && input.files && input.files.length > 0);
  }

  // Shows the slots in use and the first empty one; the others appear as photos are chosen.
  function showSlots() {
    var shownEmpty = false;
    slots.forEach(function (slot) {
      var used = hasFile(slot) || slot.querySelector('.field-error') !== null;
      if (used) slot.hidden = false;
      else if (!shownEmpty) {
        slot.hidden = false;
        shownEmpty = true;
      } else slot.hidden = true;
    });
  }

  slots.forEach(function (slot) {
    var input = slot.querySelector('input[type=file]');
    var preview = slot.querySelector('[data-photo-preview]');
    if (!input || !preview) return;
    input.addEventListener('change', function () {
      preview.textContent = '';
      preview.hidden = true;
      var file = input.files && input.files[0];
      if (file && /^image\//.test(file.type) && window.FileReader) {
        // A data: URL, which the page's Content-Security-Policy allows for images (blob: it does not).
        var reader = new FileReader();
        reader.onload = function () {
          var img = document.createElement('img');
          img.alt = '';
          img.src = String(reader.result);
          preview.textContent = '';
          preview.appendChild(img);
          preview.hidden = false;
        };
        reader.readAsDataURL(file);
      }
      showSlots();
    });
  });
  showSlots();

  var progress = form.querySelector('[data-upload-progress]');
  var bar = progress && progress.querySelector('progress');
  form.addEventListener('submit', function (event) {
    if (event.defaultPrevented || !progress || !bar) return;
    var anyFile = slots.some(hasFile);
    if (!anyFile) return;
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.upload.addEventListener('progress', function (e) {
      if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
    });
    xhr.addEventListener('load', function () {
      // The answer is the page the browser would have shown (after the redirect, or the
      // form again with its errors): show it, at its own address.
      var url = xhr.responseURL;
      document.open();
      document.write(xhr.responseText);
      document.close();
      if (url && window.history && history.replaceState) history.replaceState(null, '', url);
    });
    xhr.addEventListener('error', function () {
      progress.hidden = true;
      form.submit();
    });
    progress.hidden = false;
    bar.value = 0;
    xhr.send(new FormData(form));
  });
})();
