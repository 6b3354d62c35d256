// The coverage maps: a tap, a click or keyboard focus on a marker shows its
// place's groups beside it, copied from the list that comes with the map.
// Without this script each marker is a link to that entry in the list.
(function () {
  "use strict";

  function show(map, marker) {
    var details = map.querySelector(".map-details");
    var entry = document.getElementById(marker.getAttribute("data-place"));
    if (!details || !entry) {
      return;
    }
    details.replaceChildren.apply(
      details,
      Array.prototype.map.call(entry.childNodes, function (node) {
        return node.cloneNode(true);
      })
    );
    var active = map.querySelector(".map-marker.is-active");
    if (active) {
      active.classList.remove("is-active");
    }
    marker.classList.add("is-active");
    // Beside the marker, kept inside the map's box.
    var box = map.querySelector(".coverage-map").getBoundingClientRect();
    var spot = marker.getBoundingClientRect();
    details.hidden = false;
    var left = spot.right - box.left + 8;
    if (left + details.offsetWidth > box.width) {
      left = Math.max(0, spot.left - box.left - details.offsetWidth - 8);
    }
    details.style.left = left + "px";
    details.style.top = Math.max(0, spot.top - box.top - 8) + "px";
  }

  function hide(map) {
    var details = map.querySelector(".map-details");
    var active = map.querySelector(".map-marker.is-active");
    if (details) {
      details.hidden = true;
    }
    if (active) {
      active.classList.remove("is-active");
    }
  }

  document.querySelectorAll(".coverage-map-with-list").forEach(function (map) {
    map.addEventListener("focusin", function (event) {
      var marker = event.target.closest(".map-marker");
      if (marker) {
        show(map, marker);
      }
    });
    map.addEventListener("click", function (event) {
      var marker = event.target.closest(".map-marker");
      if (marker) {
        event.preventDefault();
        show(map, marker);
      }
    });
    map.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        hide(map);
      }
    });
  });
})();
