/* The number picker (Add Enterprise Account, the subscriber page): typing digits
   (or changing the contact phone) narrows the list of numbers in place. Without
   this script, "Find numbers" reloads the page with the narrowed list. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-numbers-url]");
  if (!form || !window.fetch) {
    return;
  }
  var url = form.getAttribute("data-numbers-url");
  var digits = form.querySelector("[name=number_digits]");
  var phone = document.getElementById("id_phone");
  var partner = document.getElementById("id_partner");
  var timer = null;
  var latest = 0;

  function chosen() {
    var radio = document.querySelector("input[name=number]:checked");
    return radio ? radio.value : "";
  }

  function refresh() {
    var params = new URLSearchParams({
      phone: phone ? phone.value : form.getAttribute("data-phone") || "",
      number_digits: digits ? digits.value : "",
      number: chosen()
    });
    if (partner) {
      params.set("partner", partner.value);
    } else if (form.getAttribute("data-partner")) {
      params.set("partner", form.getAttribute("data-partner"));
    }
    if (form.getAttribute("data-no-none")) {
      params.set("none", "0");
    }
    var ticket = ++latest;
    fetch(url + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var list = document.getElementById("number-choices");
        if (html === null || ticket !== latest || !list) {
          return;
        }
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#number-choices");
        if (fresh) {
          list.replaceWith(fresh);
        }
      })
      .catch(function () {});
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 250);
  }

  if (digits) {
    digits.addEventListener("input", later);
    // Enter in the digits box narrows the list instead of submitting the form.
    digits.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        refresh();
      }
    });
  }
  if (phone) {
    phone.addEventListener("change", later);
  }
  var find = document.getElementById("find-numbers");
  if (find) {
    find.addEventListener("click", function (event) {
      event.preventDefault();
      refresh();
    });
  }
})();
