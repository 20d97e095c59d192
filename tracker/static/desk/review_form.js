// The review form: each evidence row shows the fields of the kind chosen (a passage or an outside
// URL), and "Add another evidence row" adds one in place. Without JavaScript both kinds show and
// the button asks the server for a longer form. A static file: the Content-Security-Policy allows
// no inline scripts.
(function () {
  "use strict";
  function show(row) {
    var checked = row.querySelector("input.evidence-kind:checked");
    row.dataset.kind = checked ? checked.value : "passage";
    row.classList.add("js-kind");
  }
  function wire(row) {
    row.querySelectorAll("input.evidence-kind").forEach(function (radio) {
      radio.addEventListener("change", function () { show(row); });
    });
    show(row);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("review_form");
    if (!form) { return; }
    form.querySelectorAll("#evidence-list .evidence-row").forEach(wire);
    var add = document.getElementById("add-evidence");
    var total = form.querySelector("input[name='evidence-TOTAL_FORMS']");
    var template = document.getElementById("evidence-empty");
    add.addEventListener("click", function (event) {
      event.preventDefault();
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      var holder = document.createElement("div");
      holder.innerHTML = html.trim();
      var row = holder.firstElementChild;
      document.getElementById("evidence-list").appendChild(row);
      total.value = String(index + 1);
      wire(row);
      var first = row.querySelector("select, input, textarea");
      if (first) { first.focus(); }
    });
    // A second click on Submit while the first is on its way sends nothing more.
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.name === "_save") {
        if (form.dataset.sent) { event.preventDefault(); return; }
        form.dataset.sent = "1";
      }
    });
  });
})();
