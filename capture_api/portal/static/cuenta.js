// The countdown to the close of an open window. The page already states the close instant in local time and the
// time left when it was served; this only keeps "Faltan …" current. It counts from the server's clock (data-ahora)
// plus the time elapsed on this page, so a device's wrong clock does not matter. Screen readers hear it through a
// polite live region only now and then (each hour, each five minutes in the last hour, and at the close), never
// each second; with prefers-reduced-motion the visible text changes once a minute, without seconds.
"use strict";
(function () {
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function n(value, one, many) {
    return value + " " + (value === 1 ? one : many);
  }

  function words(ms, seconds) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var parts = [];
    var days = Math.floor(s / 86400), hours = Math.floor(s / 3600) % 24, minutes = Math.floor(s / 60) % 60;
    if (days) parts.push(n(days, "día", "días"));
    if (days || hours) parts.push(n(hours, "hora", "horas"));
    parts.push(n(minutes, "minuto", "minutos"));
    if (seconds) parts.push(n(s % 60, "segundo", "segundos"));
    return parts.length > 1 ? parts.slice(0, -1).join(", ") + " y " + parts[parts.length - 1] : parts[0];
  }

  function start(box) {
    var end = Date.parse(box.getAttribute("data-cierre"));
    var served = Date.parse(box.getAttribute("data-ahora"));
    var shown = box.querySelector(".countdown-remaining");
    var live = box.querySelector(".countdown-live");
    if (isNaN(end) || isNaN(served) || !shown || !live) return;
    var t0 = performance.now();
    var lastMark = null;
    var timer;

    function mark(left) {
      // The step the live region speaks at: the hour when more than an hour is left, else five minutes.
      return left > 3600000 ? "h" + Math.floor(left / 3600000) : "m" + Math.floor(left / 300000);
    }

    function tick() {
      var left = end - (served + performance.now() - t0);
      if (left <= 0) {
        shown.textContent = "0 minutos";
        live.textContent = "El periodo cerró. Recargue la página para ver el estado actual.";
        clearInterval(timer);
        return;
      }
      shown.textContent = words(left, !reduced);
      var now = mark(left);
      // Nothing is said in the first minute: the page itself was just read.
      if (lastMark !== null && now !== lastMark && performance.now() - t0 > 60000) {
        live.textContent = "Faltan " + words(left, false) + ".";
      }
      lastMark = now;
    }

    tick();
    timer = setInterval(tick, reduced ? 60000 : 1000);
  }

  var boxes = document.querySelectorAll(".countdown[data-cierre]");
  for (var i = 0; i < boxes.length; i++) start(boxes[i]);
})();
