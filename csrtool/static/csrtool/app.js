// Small progressive enhancements for the CSR console. Everything works without them.
(function () {
  "use strict";

  function announce(button, text) {
    var scope = button.closest("div, p, td") || document;
    var status = scope.querySelector(".copy-status") || document.querySelector(".copy-status");
    if (status) {
      status.textContent = text;
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (button) {
      var value = button.getAttribute("data-copy");
      var done = function () {
        button.textContent = "Copied";
        announce(button, "Copied " + value);
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(value).then(done, function () {
          announce(button, "Copy failed: select the text and copy it.");
        });
      } else {
        var area = document.createElement("textarea");
        area.value = value;
        area.setAttribute("readonly", "");
        area.style.position = "absolute";
        area.style.left = "-9999px";
        document.body.appendChild(area);
        area.select();
        try { document.execCommand("copy"); done(); } catch (e) { announce(button, "Copy failed"); }
        document.body.removeChild(area);
      }
      return;
    }
    var confirmer = event.target.closest("[data-confirm]");
    if (confirmer && !window.confirm(confirmer.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) {
      var firstInvalid = document.querySelector("[aria-invalid=true]");
      (firstInvalid || summary).focus();
    }
  });
})();
