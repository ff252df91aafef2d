// The email template editor's preview: as the subject, text or HTML is typed,
// the form is sent to the preview frame (nothing is saved).
(function () {
  "use strict";
  var form = document.getElementById("email-template");
  var button = document.getElementById("preview-button");
  if (!form || !button || !form.requestSubmit) { return; }
  var timer = null;
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { form.requestSubmit(button); }, 500);
  });
})();
