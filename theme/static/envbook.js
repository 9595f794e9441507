// envbook default theme. Progressive enhancement only: the site works without it.
//  1. Clicking a heading ¶ or a matrix row 🔗 also copies the full URL.
//  2. Small-screen nav: Escape closes it; Back never restores it open; the
//     current page is scrolled into view in the sidebar.
//  3. The TOC entry of the section in view is highlighted.
//  4. Code blocks get a Copy button.
//  5. An old #fragment that moved (mdBook's redirects) leads to its new place.
//  6. Hidden code lines (mdBook's `# ` lines) are hidden, with a button that
//     shows them; without the script every line shows.
//  7. A table wider than its box fades at the edge with more table beyond it.
(function () {
  "use strict";

  var moved = document.getElementById("envbook-redirects");
  if (moved && location.hash) {
    var fragment = decodeURIComponent(location.hash.slice(1));
    var map = JSON.parse(moved.textContent);
    if (!document.getElementById(fragment) && Object.prototype.hasOwnProperty.call(map, fragment)) {
      location.replace(map[fragment]);
    }
  }

  var toast;
  function hint(text) {
    if (!toast) {
      toast = document.createElement("div");
      toast.className = "copy-toast";
      toast.setAttribute("role", "status");
      document.body.appendChild(toast);
    }
    toast.textContent = text;
    toast.classList.add("is-visible");
    clearTimeout(hint.timer);
    hint.timer = setTimeout(function () {
      toast.classList.remove("is-visible");
    }, 1600);
  }

  function copy(text) {
    // navigator.clipboard exists only in secure contexts (https, localhost).
    if (!navigator.clipboard) return Promise.reject();
    return navigator.clipboard.writeText(text);
  }

  // 1. Permalinks: copy, and let the link navigate as usual (no preventDefault).
  document.addEventListener("click", function (event) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    var link = event.target.closest && event.target.closest("a.headerlink, a.row-link");
    if (!link || !navigator.clipboard) return;
    var url = location.origin !== "null"
      ? location.origin + location.pathname + link.hash
      : link.href;
    copy(url).then(function () {
      hint("Link copied");
    }, function () {});
  });

  // 2. Small-screen navigation.
  var toggle = document.getElementById("envbook-nav-toggle");
  if (toggle) {
    window.addEventListener("pageshow", function () {
      toggle.checked = false;
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.checked) {
        toggle.checked = false;
        toggle.focus();
      }
    });
  }
  var sidebar = document.getElementById("envbook-sidebar");
  var current = sidebar && sidebar.querySelector("[aria-current='page']");
  if (current && sidebar.scrollHeight > sidebar.clientHeight) {
    var top = current.getBoundingClientRect().top - sidebar.getBoundingClientRect().top;
    if (top > sidebar.clientHeight - 48) {
      sidebar.scrollTop = top - sidebar.clientHeight / 3;
    }
  }

  // 3. Highlight the TOC entry of the last heading above the top third of the view.
  var tocLinks = document.querySelectorAll(".toc-side a[href^='#']");
  if (tocLinks.length && "IntersectionObserver" in window) {
    var entries = [];
    tocLinks.forEach(function (a) {
      var heading = document.getElementById(decodeURIComponent(a.hash.slice(1)));
      if (heading) entries.push({ link: a, heading: heading });
    });
    var active;
    var update = function () {
      var line = window.innerHeight / 3;
      var found = null;
      for (var i = 0; i < entries.length; i++) {
        if (entries[i].heading.getBoundingClientRect().top > line) break;
        found = entries[i];
      }
      if (found === active) return;
      if (active) active.link.classList.remove("is-active");
      if (found) found.link.classList.add("is-active");
      active = found;
    };
    // Fires whenever a heading crosses the line a third down the viewport.
    var observer = new IntersectionObserver(update, { rootMargin: "0px 0px -66% 0px" });
    entries.forEach(function (e) {
      observer.observe(e.heading);
    });
  }

  // 4. Copy buttons on code blocks.
  // The box a code block's buttons sit in, made once per block.
  function wrapOf(pre) {
    if (pre.parentNode.classList.contains("code-wrap")) return pre.parentNode;
    var wrap = document.createElement("div");
    wrap.className = "code-wrap";
    pre.parentNode.insertBefore(wrap, pre);
    wrap.appendChild(pre);
    return wrap;
  }

  document.querySelectorAll(".content pre").forEach(function (pre) {
    if (!navigator.clipboard) return;
    var wrap = wrapOf(pre);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "code-copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy code to clipboard");
    button.addEventListener("click", function () {
      copy(pre.innerText.replace(/\n$/, "")).then(function () {
        button.textContent = "Copied";
        button.classList.add("is-done");
        setTimeout(function () {
          button.textContent = "Copy";
          button.classList.remove("is-done");
        }, 1500);
      }, function () {});
    });
    wrap.appendChild(button);
  });

  // 5. Hidden code lines.
  document.querySelectorAll(".content pre").forEach(function (pre) {
    if (!pre.querySelector(".boring")) return;
    var wrap = wrapOf(pre);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "code-hidden-toggle";
    var show = function (shown) {
      pre.classList.toggle("hide-boring", !shown);
      button.textContent = shown ? "Hide lines" : "Show hidden lines";
      button.setAttribute("aria-label", shown ? "Hide the hidden lines of this code" : "Show the hidden lines of this code");
    };
    button.addEventListener("click", function () {
      show(pre.classList.contains("hide-boring"));
    });
    show(false);
    wrap.appendChild(button);
  });

  // 7. The scroll cue on wide tables (the classes envbook.css fades).
  var tables = document.querySelectorAll(".content table");
  function cue(table) {
    var beyond = table.scrollWidth - table.clientWidth;
    table.classList.toggle("scrolls-left", beyond > 1 && table.scrollLeft > 1);
    table.classList.toggle("scrolls-right", beyond > 1 && table.scrollLeft < beyond - 1);
  }
  if (tables.length && "ResizeObserver" in window) {
    var resized = new ResizeObserver(function (entries) {
      entries.forEach(function (entry) {
        cue(entry.target);
      });
    });
    tables.forEach(function (table) {
      resized.observe(table);
      table.addEventListener("scroll", function () {
        cue(table);
      }, { passive: true });
    });
    // The matrix controls change a table's columns, not always its box.
    document.addEventListener("change", function () {
      tables.forEach(cue);
    });
  }
})();
