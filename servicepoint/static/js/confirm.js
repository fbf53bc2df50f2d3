/* Forms with data-confirm ask before they submit. (A script file rather than an
   inline onsubmit handler: the Content-Security-Policy allows scripts from the
   server's own files only.) */
document.addEventListener("submit", function (event) {
  var message = event.target && event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) event.preventDefault();
});
