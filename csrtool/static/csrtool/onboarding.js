// Onboarding form: show "Your own question" only when "Write my own question" is chosen.
(function () {
  "use strict";
  function init() {
    var select = document.getElementById("id_question");
    var own = document.querySelector("[data-own-question]");
    if (!select || !own) return;
    function sync() {
      var writing = select.value === "own";
      own.hidden = !writing;
      var input = own.querySelector("input");
      if (input) input.disabled = !writing;
    }
    select.addEventListener("change", sync);
    sync();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
