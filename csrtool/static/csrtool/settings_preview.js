// The settings page's preview: as a customer-facing setting is typed, the framed
// welcome page and welcome email are loaded again with the values typed.
(function () {
  "use strict";
  var FIELDS = [
    "product_name", "sender_name", "support_email", "support_phone",
    "brand_primary", "brand_accent", "terms_url", "privacy_url", "support_url",
    "default_language"
  ];
  var form = document.getElementById("partner-settings");
  var frames = document.querySelectorAll("iframe[data-preview-src]");
  if (!form || !frames.length) { return; }
  var timer = null;
  function refresh() {
    var params = new URLSearchParams();
    FIELDS.forEach(function (name) {
      var input = form.elements.namedItem(name);
      if (input) { params.set(name, input.value); }
    });
    frames.forEach(function (frame) {
      frame.src = frame.getAttribute("data-preview-src") + "&" + params.toString();
    });
  }
  form.addEventListener("input", function (event) {
    if (FIELDS.indexOf(event.target.name) === -1) { return; }
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
})();
