// Apps pages: keep a live log scrolled to its end while the reader is at the end.
(() => {
  const nearEnd = (el) => el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  let follow = true;
  document.addEventListener("scroll", (event) => {
    if (event.target instanceof Element && event.target.id === "log") follow = nearEnd(event.target);
  }, true);
  const toEnd = () => {
    const log = document.getElementById("log");
    if (log && follow) log.scrollTop = log.scrollHeight;
  };
  document.addEventListener("DOMContentLoaded", toEnd);
  document.addEventListener("htmx:afterSettle", toEnd);
  document.addEventListener("htmx:oobAfterSwap", toEnd);
  // When a live deployment finishes, reload once to show its final actions.
  document.addEventListener("htmx:afterSettle", () => {
    const poller = document.getElementById("poller");
    if (poller && poller.dataset.finished && !poller.dataset.reloaded) {
      poller.dataset.reloaded = "1";
      window.location.reload();
    }
  });
})();
