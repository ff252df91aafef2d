// Password fields marked data-show-password get a toggle button (aria-pressed),
// labelled with the attribute's value (the page's language; "Show password" when
// it is empty), so a subscriber can check what they typed. The field goes back
// to hidden before its form is sent, so the browser never keeps it as plain text.
(function () {
  "use strict";
  function add(input) {
    if (!input.id) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary small show-password";
    button.textContent = input.getAttribute("data-show-password") || "Show password";
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-controls", input.id);
    function show(visible) {
      input.type = visible ? "text" : "password";
      button.setAttribute("aria-pressed", visible ? "true" : "false");
    }
    button.addEventListener("click", function () {
      show(input.type === "password");
    });
    if (input.form) {
      input.form.addEventListener("submit", function () {
        show(false);
      });
    }
    input.insertAdjacentElement("afterend", button);
  }
  function init() {
    var inputs = document.querySelectorAll("input[type=password][data-show-password]");
    Array.prototype.forEach.call(inputs, add);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
