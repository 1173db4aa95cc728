// The embed frame (/embed/thread, issue 13) tells the page around it how tall its content
// is, so that the page can size the <iframe> and no scroll bar shows inside it:
//
//   window.parent.postMessage({"type": "moderation:height", "height": N}, siteOrigin)
//
// N is in CSS pixels. siteOrigin is the registered origin of the page the frame shows the
// comments of (the <html> element's data-parent-origin, set by the server only for a
// registered site), so no other page around the frame is told anything. The listener
// (embed.js) must check that event.origin is this service's origin. Without scripts the
// frame keeps the height the page gave it, and still works.
(function () {
  "use strict";
  var root = document.documentElement;
  var siteOrigin = root.getAttribute("data-parent-origin");
  if (!siteOrigin || window.parent === window) {
    return;
  }
  var told = -1;

  function tell() {
    // The content's own height, not the viewport's: the frame may shrink as well as grow.
    var height = Math.ceil(root.getBoundingClientRect().height);
    if (height === told) {
      return;
    }
    told = height;
    window.parent.postMessage({ type: "moderation:height", height: height }, siteOrigin);
  }

  if (typeof ResizeObserver === "function") {
    new ResizeObserver(tell).observe(root);
  } else {
    window.addEventListener("resize", tell);
  }
  window.addEventListener("load", tell);
  tell();
})();
