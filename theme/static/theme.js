/* The light/dark switch in the header. "auto" follows the system's setting;
 * a choice is kept in localStorage and applied before the page is painted
 * (this script is loaded without `defer`), as `data-theme` on <html>, which
 * envbook.css and highlight.css follow. Without JavaScript the switch stays
 * hidden and the system's setting applies. */
(function () {
  "use strict";
  var KEY = "envbook-theme";
  var ORDER = ["auto", "light", "dark"];
  var SYMBOL = { auto: "\u25D0", light: "\u2600", dark: "\u263E" };
  var root = document.documentElement;

  function apply(theme) {
    if (theme === "light" || theme === "dark") {
      root.dataset.theme = theme;
    } else {
      delete root.dataset.theme;
    }
  }

  function remember(theme) {
    try {
      if (theme === "auto") localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, theme);
    } catch (e) {
      /* Storage refused (a private window): the choice lasts for this page. */
    }
  }

  try {
    apply(localStorage.getItem(KEY));
  } catch (e) {
    /* No storage: the system's setting. */
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("envbook-theme");
    if (!button) return;
    function show() {
      var now = root.dataset.theme || "auto";
      button.textContent = SYMBOL[now];
      button.title = "Theme: " + now;
      button.setAttribute("aria-label", "Theme: " + now + ", press for the next");
    }
    button.addEventListener("click", function () {
      var next = ORDER[(ORDER.indexOf(root.dataset.theme || "auto") + 1) % ORDER.length];
      apply(next);
      remember(next);
      show();
    });
    show();
    button.hidden = false;
  });
})();
