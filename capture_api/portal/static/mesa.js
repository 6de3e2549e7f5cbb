// The review desk's keyboard: a decision's key checks it, Enter records it. Without this script the radio buttons
// and the button work by keyboard as they are.
"use strict";
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  var target = event.target;
  if (target instanceof HTMLTextAreaElement) return;
  var form = document.getElementById("decidir");
  if (!form) return;
  if (event.key === "Enter" && target instanceof HTMLInputElement && target.type === "radio") {
    event.preventDefault();
    form.requestSubmit();
    return;
  }
  var choice = form.querySelector('input[name="decision"][data-key="' + CSS.escape(event.key.toLowerCase()) + '"]');
  if (choice) {
    event.preventDefault();
    choice.checked = true;
    choice.focus();
  }
});
