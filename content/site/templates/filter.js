(function () {
  var box = document.getElementById("filter-box");
  var none = document.getElementById("filter-none");
  var providers = Array.prototype.slice.call(document.querySelectorAll("[data-search]"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("[data-group]"));
  document.getElementById("filter").hidden = false;
  box.addEventListener("input", function () {
    var query = box.value.trim().toLowerCase();
    providers.forEach(function (p) { p.hidden = query !== "" && p.dataset.search.indexOf(query) < 0; });
    groups.forEach(function (g) { g.hidden = !g.querySelector("[data-search]:not([hidden])"); });
    none.hidden = providers.some(function (p) { return !p.hidden; });
  });
})();
