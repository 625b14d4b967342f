// The only script of our own: a print button (inline handlers are not allowed by the CSP).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
