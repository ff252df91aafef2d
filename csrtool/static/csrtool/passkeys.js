// Passkeys and security keys (WebAuthn): a form with data-passkey="create" or
// "get" first asks the server for options (data-options-url), lets the browser
// create or use a credential, puts the browser's answer in the form's hidden
// "credential" field and sends the form. The server checks everything.
(function () {
  "use strict";

  function say(form, text) {
    var status = form.querySelector(".passkey-status");
    if (status) status.textContent = text;
  }

  async function run(form) {
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var answer = await fetch(form.dataset.optionsUrl, {
      method: "POST",
      headers: { "X-CSRFToken": token },
      credentials: "same-origin",
    });
    if (!answer.ok) throw new Error("options");
    var options = await answer.json();
    var credential;
    if (form.dataset.passkey === "create") {
      credential = await navigator.credentials.create({
        publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
      });
    } else {
      credential = await navigator.credentials.get({
        publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
      });
    }
    form.elements.credential.value = JSON.stringify(credential.toJSON());
    form.submit();
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var usable =
      window.PublicKeyCredential &&
      PublicKeyCredential.parseCreationOptionsFromJSON &&
      PublicKeyCredential.parseRequestOptionsFromJSON;
    if (!usable) {
      form.querySelector("button").disabled = true;
      say(form, "This browser cannot use passkeys or security keys here.");
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      say(form, "Follow your browser's prompt…");
      run(form).catch(function () {
        say(form, "That did not work (cancelled, timed out or refused). Try again.");
      });
    });
  });
})();
