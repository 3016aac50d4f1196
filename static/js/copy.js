/* Copy buttons: a button with data-copy="<id>" copies that field's text. Without JavaScript the
   buttons stay hidden and the field is still there to select and copy by hand. */
(function () {
  "use strict";

  function copied(button) {
    var label = button.firstChild;
    var text = label.nodeValue;
    label.nodeValue = "Copied";
    window.setTimeout(function () {
      label.nodeValue = text;
    }, 2000);
  }

  function copy(button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) {
      return;
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () {
        copied(button);
      });
      return;
    }
    // Plain http (a local demo): select the text and use the older command.
    field.focus();
    field.select();
    if (document.execCommand("copy")) {
      copied(button);
    }
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(button);
    });
  });
})();
