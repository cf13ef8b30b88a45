// The badge sheet's print button: shown only where a script runs, it opens the print dialog.
"use strict";

const button = document.getElementById("print");
if (button) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
