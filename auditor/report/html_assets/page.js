"use strict";
// Filtering (severity, family, text) of the findings and the operations table, and sorting of
// the table by any column. Without this script the page shows every finding, unsorted.
(function () {
  document.documentElement.className = "js";
  var form = document.getElementById("filters");
  var family = document.getElementById("family");
  var query = document.getElementById("q");
  var shown = document.getElementById("shown");
  var findings = Array.prototype.slice.call(document.querySelectorAll(".finding"));
  var groups = Array.prototype.slice.call(document.querySelectorAll(".rule-group"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("table.ops tbody tr"));
  var texts = new Map();

  function text(el) { // what the text filter searches: a finding with its rule id, a table row
    if (!texts.has(el)) {
      var group = el.closest(".rule-group");
      texts.set(el, ((group ? group.dataset.rule + " " : "") + el.textContent).toLowerCase());
    }
    return texts.get(el);
  }

  function apply() {
    var severities = Array.prototype.map.call(form.querySelectorAll("input[name=severity]:checked"), function (box) { return box.value; });
    var fam = family.value;
    var q = query.value.trim().toLowerCase();
    var visible = 0;
    findings.forEach(function (li) {
      var ok = severities.indexOf(li.dataset.severity) >= 0 && (!fam || li.dataset.family === fam) && (!q || text(li).indexOf(q) >= 0);
      li.hidden = !ok;
      if (ok) visible += 1;
    });
    groups.forEach(function (group) {
      var n = group.querySelectorAll(".finding:not([hidden])").length;
      group.hidden = n === 0;
      group.querySelector(".shown").textContent = String(n);
    });
    var everySeverity = severities.length === 3;
    rows.forEach(function (tr) {
      var sevs = tr.dataset.severities ? tr.dataset.severities.split(" ") : [];
      var fams = tr.dataset.families ? tr.dataset.families.split(" ") : [];
      var bySeverity = everySeverity || sevs.some(function (s) { return severities.indexOf(s) >= 0; });
      tr.hidden = !(bySeverity && (!fam || fams.indexOf(fam) >= 0) && (!q || text(tr).indexOf(q) >= 0));
    });
    shown.textContent = visible + " of " + findings.length + " findings shown";
  }

  function sortBy(table, th) {
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (other) { other.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var sorted = Array.prototype.slice.call(body.rows).sort(function (a, b) {
      var x = a.cells[index].dataset.sort, y = b.cells[index].dataset.sort;
      if (x === "" || y === "") return x === y ? 0 : x === "" ? 1 : -1; // missing figures last
      var nx = Number(x), ny = Number(y);
      var order = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
      return ascending ? order : -order;
    });
    sorted.forEach(function (tr) { body.appendChild(tr); });
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.tHead.querySelectorAll("th").forEach(function (th) {
      th.querySelector("button").addEventListener("click", function () { sortBy(table, th); });
    });
  });
  apply();
})();
