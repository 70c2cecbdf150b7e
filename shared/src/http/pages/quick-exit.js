// Quick exit: the link already leaves for a neutral site. Here it leaves without this page in the back history, and
// Escape pressed three times within two seconds does the same (after GOV.UK's "Exit this page").
(function () {
  // The report form's date takes no day after today (the served form says so itself; the static copy cannot).
  var date = document.getElementById("date");
  if (date && !date.max) {
    var d = new Date(), p = function (n) { return (n < 10 ? "0" : "") + n; };
    date.max = d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate());
  }
  var link = document.getElementById("quick-exit");
  if (!link) return;
  var presses = 0, timer;
  function leave(e) {
    if (e) e.preventDefault();
    document.documentElement.className += " leaving";
    document.title = "";
    window.location.replace(link.href);
  }
  link.addEventListener("click", leave);
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" && e.key !== "Esc") return;
    presses += 1;
    clearTimeout(timer);
    timer = setTimeout(function () { presses = 0; }, 2000);
    if (presses >= 3) leave();
  });
})();
