// Doorstep console: keyboard review, photo preview, bulk selection. Loaded as a file (no inline script).
"use strict";

(function () {
  const body = document.body;
  const loadedAt = Date.now();

  function typing(event) {
    const t = event.target;
    return t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
  }

  // Photo links expire (PRESIGN_TTL_SECONDS): past that, reload the page for fresh links.
  function linksExpired() {
    const ttl = Number(body.dataset.linksExpire || 0);
    return ttl > 0 && Date.now() - loadedAt > (ttl - 30) * 1000;
  }

  // J / K or arrows: next / previous visit; A: approve (the server still asks for a comment when needed).
  document.addEventListener("keydown", function (event) {
    if (body.dataset.page !== "visit" || typing(event) || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    const preview = document.getElementById("preview");
    if (preview && preview.open) {
      return;
    }
    const key = event.key.toLowerCase();
    if ((key === "j" || key === "arrowright") && body.dataset.next) {
      window.location.assign(body.dataset.next);
    } else if ((key === "k" || key === "arrowleft") && body.dataset.previous) {
      window.location.assign(body.dataset.previous);
    } else if (key === "a") {
      const approve = document.getElementById("approve");
      if (approve) {
        event.preventDefault();
        approve.click();
      }
    }
  });

  // Thumbnails open the large preview in a dialog.
  document.addEventListener("click", function (event) {
    const link = event.target.closest("a.zoom");
    if (!link) {
      return;
    }
    event.preventDefault();
    if (linksExpired()) {
      window.location.reload();
      return;
    }
    const dialog = document.getElementById("preview");
    dialog.querySelector("img").src = link.href;
    dialog.querySelector("figcaption").textContent = link.dataset.caption || "";
    dialog.showModal();
  });
  document.addEventListener("click", function (event) {
    if (event.target.matches("dialog#preview, dialog#preview button.close")) {
      document.getElementById("preview").close();
    }
  });

  // Queue: tick every visit on the page whose checks all passed.
  const selectPassed = document.getElementById("select-passed");
  if (selectPassed) {
    selectPassed.addEventListener("change", function () {
      document.querySelectorAll("input.passed").forEach(function (box) {
        box.checked = selectPassed.checked;
      });
    });
  }
})();
