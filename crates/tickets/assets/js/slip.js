// The delivery slip's "Imprimir" button (no inline handlers: the pages run
// under a Content-Security-Policy that allows only the desk's own scripts).
(function () {
  "use strict";
  var button = document.getElementById("imprimir");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
