// The request form, enhanced: "Add another time" shows the next row without a
// round trip; choosing a topic and a start fills an empty end with the topic's
// usual length; "Online" is offered only for topics that can run online. The
// form works the same without this script: the server does each of these.
(function () {
  "use strict";
  var form = document.querySelector("form.request-form");
  if (!form) return;
  var topic = form.querySelector("#topic_id");
  var shownField = form.querySelector("#times_shown");
  var addButton = form.querySelector("#add_time");

  function chosenTopic() {
    var option = topic.options[topic.selectedIndex];
    return option && option.value ? option : null;
  }

  // "18:30" plus minutes, or "" when it would run past midnight (the server
  // then works the end out itself).
  function later(start, minutes) {
    var parts = start.split(":");
    var total = Number(parts[0]) * 60 + Number(parts[1]) + minutes;
    if (!(total < 24 * 60)) return "";
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(Math.floor(total / 60)) + ":" + pad(total % 60);
  }

  // An end is ours to fill while it is empty or still what we filled in.
  function fillEnd(row) {
    var start = form.querySelector("#slot_" + row + "_start");
    var end = form.querySelector("#slot_" + row + "_end");
    var option = chosenTopic();
    if (!start || !end || !option || !start.value) return;
    if (end.value && end.value !== end.dataset.filled) return;
    end.value = later(start.value, Number(option.dataset.minutes));
    end.dataset.filled = end.value;
  }

  function eachRow(callback) {
    form.querySelectorAll(".slot").forEach(function (slot) {
      callback(Number(slot.id.replace("slot-", "")));
    });
  }

  function allowOnline() {
    var option = chosenTopic();
    var online = form.querySelector("#is_online-1");
    var venue = form.querySelector("#is_online-0");
    if (!online || !venue) return;
    var allowed = !option || option.dataset.online === "yes";
    online.disabled = !allowed;
    if (!allowed && online.checked) venue.checked = true;
  }

  topic.addEventListener("change", function () {
    eachRow(fillEnd);
    allowOnline();
  });
  eachRow(function (row) {
    var start = form.querySelector("#slot_" + row + "_start");
    ["input", "change"].forEach(function (kind) {
      start.addEventListener(kind, function () { fillEnd(row); });
    });
  });
  allowOnline();

  if (addButton) {
    addButton.addEventListener("click", function (event) {
      var next = form.querySelector(".slot[hidden]");
      if (!next) return;
      event.preventDefault();
      next.hidden = false;
      shownField.value = String(Number(shownField.value) + 1);
      next.querySelector("input").focus();
      if (!form.querySelector(".slot[hidden]")) addButton.parentNode.hidden = true;
    });
  }
})();
