/* Matrix controls: above a page's first environment matrix, "Only
 * differences" and a checkbox per environment. They change what every matrix
 * of the page shows, without a reload, and mark the cells again among the
 * environments shown, by the rule of src/matrix.rs: a cell is "same" when
 * every shown environment has its value, "differs odd" when its value is less
 * common than the row's most common one, "missing" when it has none.
 *
 * Without JavaScript nothing is added and the static tables show everything.
 * The choice is not kept: a reload, or a link from a runbook, shows the full
 * tables, so a linked row is never hidden by an old choice. */
(function () {
  "use strict";

  var tables = [].map.call(document.querySelectorAll(".content table.matrix"), model);
  var envs = [];
  // Keyed by ids and values from the data: no prototype to collide with.
  var titles = Object.create(null);
  // Environments in the order of the widest table, then any others'.
  tables.slice().sort(function (a, b) {
    return b.envs.length - a.envs.length;
  }).forEach(function (table) {
    table.envs.forEach(function (env, i) {
      if (!(env in titles)) {
        envs.push(env);
        titles[env] = table.heads[i].textContent;
      }
    });
  });
  if (envs.length < 2) return;

  // A table as its environment columns and its rows' cells.
  function model(table) {
    var heads = [].slice.call(table.tHead ? table.tHead.querySelectorAll("th[data-env]") : []);
    var rows = [].map.call(table.tBodies[0] ? table.tBodies[0].rows : [], function (tr) {
      return { tr: tr, cells: [].slice.call(tr.cells, 1) };
    });
    return {
      wrap: table.parentNode.classList.contains("matrix-wrap") ? table.parentNode : table,
      heads: heads,
      envs: heads.map(function (th) {
        return th.dataset.env;
      }),
      rows: rows
    };
  }

  // Each cell's value as a key for comparing (null when missing): the link
  // mark says where a value came from, not what it is, so it is left out.
  // And the note a table shows when the choice leaves it empty.
  tables.forEach(function (table) {
    table.rows.forEach(function (row) {
      row.keys = row.cells.map(function (td) {
        if (td.classList.contains("missing")) return null;
        var copy = td.cloneNode(true);
        copy.querySelectorAll(".from").forEach(function (from) {
          from.remove();
        });
        return copy.innerHTML;
      });
    });
    table.note = document.createElement("p");
    table.note.className = "matrix-empty";
    table.note.hidden = true;
    table.wrap.after(table.note);
  });

  // The classes of a row's shown cells (by column index), and whether the row
  // is the same in all of them.
  function marks(keys, shown) {
    var count = new Map();
    var most = 0;
    shown.forEach(function (i) {
      var key = keys[i];
      if (key === null) return;
      count.set(key, (count.get(key) || 0) + 1);
      most = Math.max(most, count.get(key));
    });
    var shared = shown.every(function (i) {
      return keys[i] === keys[shown[0]];
    });
    var classes = {};
    shown.forEach(function (i) {
      var key = keys[i];
      classes[i] = key === null ? "missing" : shared ? "same" : count.get(key) < most ? "differs odd" : "differs";
    });
    return { classes: classes, shared: shared };
  }

  function show(table, picked, onlyDifferences) {
    var shown = [];
    table.envs.forEach(function (env, i) {
      table.heads[i].hidden = !picked[env];
      if (picked[env]) shown.push(i);
    });
    var visible = 0;
    table.rows.forEach(function (row) {
      var m = marks(row.keys, shown);
      row.cells.forEach(function (td, i) {
        td.hidden = !(i in m.classes);
        if (i in m.classes) td.className = m.classes[i];
      });
      row.tr.classList.toggle("shared", m.shared && shown.length > 1);
      row.tr.hidden = onlyDifferences && m.shared;
      if (!row.tr.hidden) visible++;
    });
    table.wrap.hidden = !shown.length || !visible;
    table.note.hidden = !shown.length || visible > 0;
    var names = shown.map(function (i) {
      return table.heads[i].textContent;
    });
    table.note.textContent = names.length === 1
      ? "Only " + names[0] + " is shown: nothing to compare."
      : "No setting here differs between " + names.slice(0, -1).join(", ") + " and " + names[names.length - 1] + ".";
  }

  // The controls, before the first matrix.
  var bar = document.createElement("div");
  bar.className = "matrix-controls";
  bar.setAttribute("role", "group");
  bar.setAttribute("aria-label", "Compare environments");
  function checkbox(text, value, checked) {
    var label = document.createElement("label");
    var input = document.createElement("input");
    input.type = "checkbox";
    input.value = value;
    input.checked = checked;
    label.append(input, " " + text);
    return label;
  }
  var only = checkbox("Only differences", "", false);
  only.className = "matrix-only";
  var pick = document.createElement("span");
  pick.className = "matrix-envs";
  pick.setAttribute("role", "group");
  pick.setAttribute("aria-label", "Environments shown");
  var heading = document.createElement("span");
  heading.className = "matrix-envs-label";
  heading.textContent = "Environments:";
  pick.append(heading);
  envs.forEach(function (env) {
    pick.append(checkbox(titles[env], env, true));
  });
  bar.append(only, pick);
  tables[0].wrap.before(bar);

  function update() {
    var picked = Object.create(null);
    var boxes = pick.querySelectorAll("input");
    var count = 0;
    boxes.forEach(function (box) {
      picked[box.value] = box.checked;
      if (box.checked) count++;
    });
    // The last environment shown cannot be taken away.
    boxes.forEach(function (box) {
      box.disabled = box.checked && count === 1;
    });
    var onlyDifferences = only.querySelector("input").checked;
    tables.forEach(function (table) {
      show(table, picked, onlyDifferences);
    });
  }
  bar.addEventListener("change", update);

  // A link within the page to a row the choice hides shows everything again.
  window.addEventListener("hashchange", function () {
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!target || !target.closest("[hidden]")) return;
    bar.querySelectorAll("input").forEach(function (box) {
      box.checked = box.value !== "";
    });
    update();
    target.scrollIntoView();
  });
})();
