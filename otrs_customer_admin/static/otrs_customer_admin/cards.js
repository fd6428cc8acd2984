/*
 * Business cards: hovering over or focusing a link with data-otrs-card shows the
 * record's card, fetched once from that URL. Escape or leaving closes it.
 * Plain JavaScript, no build step; the card HTML is rendered (and escaped) by the server.
 */
(function () {
  "use strict";
  if (window.otrsCards) {
    return;
  }
  var SHOW_DELAY = 250;
  var HIDE_DELAY = 200;
  var cache = new Map();
  var popover = null;
  var current = null;
  var showTimer = null;
  var hideTimer = null;

  function ensurePopover() {
    if (!popover) {
      popover = document.createElement("div");
      popover.id = "otrs-card-popover";
      popover.className = "otrs-card-popover";
      popover.setAttribute("role", "tooltip");
      popover.hidden = true;
      popover.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
      popover.addEventListener("mouseleave", scheduleHide);
      document.body.appendChild(popover);
    }
    return popover;
  }

  function load(url) {
    if (!cache.has(url)) {
      var request = fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "XMLHttpRequest" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.text();
        })
        .catch(function (error) {
          cache.delete(url);
          throw error;
        });
      cache.set(url, request);
    }
    return cache.get(url);
  }

  function place(trigger) {
    var box = trigger.getBoundingClientRect();
    var top = window.scrollY + box.bottom + 6;
    var left = window.scrollX + box.left;
    popover.style.top = top + "px";
    popover.style.left = Math.max(8, Math.min(left, window.scrollX + document.documentElement.clientWidth - popover.offsetWidth - 8)) + "px";
  }

  function show(trigger) {
    var url = trigger.getAttribute("data-otrs-card");
    load(url).then(function (html) {
      if (current !== trigger) {
        return;
      }
      ensurePopover();
      popover.innerHTML = html;
      popover.hidden = false;
      trigger.setAttribute("aria-describedby", popover.id);
      place(trigger);
    }, function () {
      /* No card (no permission, gone): the link still works. */
    });
  }

  function hide() {
    clearTimeout(showTimer);
    if (current) {
      current.removeAttribute("aria-describedby");
    }
    current = null;
    if (popover) {
      popover.hidden = true;
    }
  }

  function scheduleHide() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, HIDE_DELAY);
  }

  function triggerOf(event) {
    return event.target.closest ? event.target.closest("[data-otrs-card]") : null;
  }

  function start(event, delay) {
    var trigger = triggerOf(event);
    if (!trigger) {
      return;
    }
    clearTimeout(hideTimer);
    if (current === trigger) {
      return;
    }
    hide();
    current = trigger;
    showTimer = setTimeout(function () { show(trigger); }, delay);
  }

  function stop(event) {
    if (triggerOf(event) && triggerOf(event) === current) {
      clearTimeout(showTimer);
      scheduleHide();
    }
  }

  document.addEventListener("mouseover", function (event) { start(event, SHOW_DELAY); });
  document.addEventListener("mouseout", stop);
  document.addEventListener("focusin", function (event) { start(event, 0); });
  document.addEventListener("focusout", stop);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      hide();
    }
  });

  window.otrsCards = { hide: hide };
})();
