// Storybank: small improvements on pages that work fully without JavaScript.
// - Upload forms show a progress bar while a large file is sent.
// - Selecting words in a story fills in the "passage to quote" field.
// - Long theme lists get a filter box.
(function () {
  "use strict";

  // Upload progress: send the form with XMLHttpRequest, then follow the server's answer.
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) return;
      var files = form.querySelectorAll("input[type=file]");
      var size = 0;
      files.forEach(function (input) { if (input.files && input.files[0]) size += input.files[0].size; });
      if (size < 256 * 1024) return; // small uploads: the ordinary post is fine
      event.preventDefault();
      var box = form.querySelector(".progress");
      var bar = box && box.querySelector("progress");
      var label = box && box.querySelector("span");
      if (box) box.hidden = false;
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable || !bar) return;
        var percent = Math.round((e.loaded / e.total) * 100);
        bar.value = percent;
        if (label) label.textContent = "Uploading: " + percent + "%";
      });
      request.addEventListener("load", function () {
        if (request.responseURL && request.status < 400 && request.responseURL !== form.action) {
          window.location.assign(request.responseURL);
        } else {
          document.open();
          document.write(request.responseText);
          document.close();
        }
      });
      request.addEventListener("error", function () {
        if (label) label.textContent = "The upload failed. Check your connection and try again.";
      });
      request.send(new FormData(form));
      if (label) label.textContent = "Uploading…";
    });
  });

  // Quote selection: words selected in the story text go into the passage field, and which
  // appearance of them was selected into the occurrence field (so that words the story has
  // twice are quoted where they were selected). Typing in the field forgets the selection.
  var passage = document.getElementById("passage");
  var occurrence = document.getElementById("occurrence");
  if (passage) {
    document.addEventListener("mouseup", fillPassage);
    document.addEventListener("keyup", fillPassage);
    passage.addEventListener("input", function () { if (occurrence) occurrence.value = ""; });
  }
  function fillPassage() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return;
    var node = selection.anchorNode;
    var element = node && (node.nodeType === 1 ? node : node.parentElement);
    var story = element && element.closest("[data-quotable]");
    if (!story) return;
    var text = selection.toString().trim();
    if (!text) return;
    passage.value = text;
    if (occurrence) {
      // The selection's appearance: those of the same words before it in the story, plus one.
      var before = document.createRange();
      before.setStart(story, 0);
      var range = selection.getRangeAt(0);
      before.setEnd(range.startContainer, range.startOffset);
      var preceding = before.toString() + selection.toString().slice(0, selection.toString().indexOf(text));
      occurrence.value = String(preceding.split(text).length);
    }
  }

  // Theme typeahead: a form's single-choice theme list becomes a text box that suggests the
  // themes matching what is typed (the browser's own <datalist>, usable by keyboard and screen
  // readers). A theme picked from the list fills in its path; a theme's name typed whole is
  // turned into its path when the form is sent. Without JavaScript the list stays a <select>.
  document.querySelectorAll("form[data-typeahead]").forEach(function (form) {
    var select = form.querySelector('select[name="' + form.getAttribute("data-typeahead") + '"]');
    if (!select) return;
    var list = document.createElement("datalist");
    list.id = select.id + "-options";
    var pathOf = {};
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return;
      var name = option.text.replace(/\u00a0/g, " ").trim();
      var item = document.createElement("option");
      item.value = option.value;
      item.textContent = name;
      list.appendChild(item);
      pathOf[name.toLowerCase()] = option.value;
    });
    var input = document.createElement("input");
    input.type = "text";
    input.id = select.id;
    input.name = select.name;
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    var hint = document.createElement("p");
    hint.className = "hint";
    hint.id = select.id + "-typeahead-hint";
    hint.textContent = "Type part of a theme's name or path, then pick it from the suggestions.";
    var described = [hint.id];
    if (select.getAttribute("aria-describedby")) described.push(select.getAttribute("aria-describedby"));
    input.setAttribute("aria-describedby", described.join(" "));
    if (select.getAttribute("aria-invalid")) input.setAttribute("aria-invalid", select.getAttribute("aria-invalid"));
    select.parentNode.insertBefore(hint, select);
    select.parentNode.replaceChild(input, select);
    input.parentNode.appendChild(list);
    form.addEventListener("submit", function () {
      var path = pathOf[input.value.trim().toLowerCase()];
      if (path) input.value = path;
    });
  });

  // Theme filter: a text box above long theme lists narrows the options shown.
  document.querySelectorAll("select[data-filter]").forEach(function (select, index) {
    var input = document.createElement("input");
    input.type = "search";
    input.id = "theme-filter-" + index;
    input.setAttribute("aria-controls", select.id);
    var label = document.createElement("label");
    label.htmlFor = input.id;
    label.textContent = "Filter themes";
    label.className = "hint";
    select.parentNode.insertBefore(label, select);
    select.parentNode.insertBefore(input, select);
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(select.options, function (option) {
        option.hidden = needle !== "" && option.text.toLowerCase().indexOf(needle) === -1 && option.value.indexOf(needle) === -1;
      });
    });
  });
})();
