/* Behaviour shared by every page. No inline handlers anywhere: the
 * Content-Security-Policy forbids them, so buttons declare data attributes. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-close-dialog]");
    if (!button) return;
    const dialog = button.closest("dialog");
    if (dialog) dialog.close(); else history.back();
  });
})();
