/* Screening page: ask before leaving it with typed values that are not saved (the live
   checklist never saves; only the Save button does). No other behaviour; the page works
   without this file. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-unsaved-warning]");
  if (!form) { return; }
  var submitting = false;

  function changedSelect(select) {
    var initial = 0;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].defaultSelected) { initial = i; }
    }
    return select.selectedIndex !== initial;
  }

  function dirty() {
    if (form.getAttribute("data-unsaved-warning") === "typed") { return true; }
    for (var i = 0; i < form.elements.length; i++) {
      var el = form.elements[i];
      if (el.type === "hidden" || el.type === "submit" || el.type === "button") { continue; }
      if (el.tagName === "SELECT" ? changedSelect(el) : el.value !== el.defaultValue) {
        return true;
      }
    }
    return false;
  }

  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && dirty()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
}());
