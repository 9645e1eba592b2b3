// grassroots: small improvements to pages that work without it.
// Fields marked data-geolocate="lat"/"lng" are filled from the device's position, when the
// person allows it and the fields are still empty.
(function () {
  var lat = document.querySelector('[data-geolocate="lat"]');
  var lng = document.querySelector('[data-geolocate="lng"]');
  if (!lat || !lng || !navigator.geolocation || lat.value || lng.value) return;
  navigator.geolocation.getCurrentPosition(function (pos) {
    if (lat.value || lng.value) return;
    lat.value = pos.coords.latitude.toFixed(6);
    lng.value = pos.coords.longitude.toFixed(6);
  }, function () { /* refused or unavailable: the grid and address still place the report */ }, { timeout: 10000 });
})();

// A search box above a category list narrows it as one types; with one match left, that one
// is chosen. Without this script the box stays hidden and the list works as it is.
(function () {
  document.querySelectorAll('[data-filter-select]').forEach(function (box) {
    var select = document.getElementById(box.getAttribute('data-filter-select'));
    if (!select) return;
    box.hidden = false;
    box.addEventListener('input', function () {
      var words = box.value.trim().toLowerCase();
      var visible = [];
      Array.prototype.forEach.call(select.options, function (option) {
        var match = !words || !option.value || option.text.toLowerCase().indexOf(words) >= 0 ||
          (option.parentNode.label || '').toLowerCase().indexOf(words) >= 0;
        option.hidden = !match;
        if (match && option.value) visible.push(option);
      });
      Array.prototype.forEach.call(select.querySelectorAll('optgroup'), function (group) {
        group.hidden = !Array.prototype.some.call(group.children, function (o) { return !o.hidden; });
      });
      if (visible.length === 1) select.value = visible[0].value;
    });
  });
})();

// A "use my location" button, shown only where the browser can tell the position: it opens
// the address its data-locate-me names with the device's lng and lat. Without it, the map and
// the address box place the report as before.
(function () {
  document.querySelectorAll('[data-locate-me]').forEach(function (button) {
    if (!navigator.geolocation) return;
    var status = document.getElementById(button.getAttribute('aria-describedby'));
    button.hidden = false;
    button.addEventListener('click', function () {
      button.disabled = true;
      if (status) status.textContent = button.getAttribute('data-waiting');
      navigator.geolocation.getCurrentPosition(function (pos) {
        location.href = button.getAttribute('data-locate-me') + '?lng=' + pos.coords.longitude.toFixed(6) +
          '&lat=' + pos.coords.latitude.toFixed(6);
      }, function () {
        button.disabled = false;
        if (status) status.textContent = button.getAttribute('data-refused');
      }, { timeout: 15000, maximumAge: 60000 });
    });
  });
})();

// A form marked data-fragment="ID" is sent without leaving the page: the answer is that part of
// the page, which replaces the element with that id. Without this script the form posts and the
// whole page comes back, as it always did.
// Listened for on the document, so that a part that came back this way works the same again.
(function () {
  document.addEventListener('submit', function (event) {
    var form = event.target.closest && event.target.closest('form[data-fragment]');
    if (!form) return;
    var id = form.getAttribute('data-fragment');
    var target = document.getElementById(id);
    if (!target || !window.fetch) return;
    event.preventDefault();
    // The button pressed says what was chosen (a household's status), as a plain post would.
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
    fetch(form.action, {
      method: 'POST',
      body: new URLSearchParams(data),
      headers: { 'X-Fragment': id },
      credentials: 'same-origin',
    }).then(function (response) {
      return response.text();
    }).then(function (html) {
      target.outerHTML = html;
      var replaced = document.getElementById(id);
      var focus = replaced && (replaced.querySelector('[aria-invalid="true"]') || replaced.querySelector('h2'));
      if (focus) { focus.setAttribute('tabindex', '-1'); focus.focus(); }
    }).catch(function () { form.submit(); });
  });
})();

// Categories proposed from a description as it is typed (智能分类): a box marked
// data-proposals="URL" asks that address for the proposals of the field data-proposals-from
// names, and choosing one sets the list data-proposals-for names. Without this script the
// platform sorts a report sent without a category.
(function () {
  document.querySelectorAll('[data-proposals]').forEach(function (box) {
    var text = document.getElementById(box.getAttribute('data-proposals-from'));
    var select = document.getElementById(box.getAttribute('data-proposals-for'));
    if (!text || !select || !window.fetch) return;
    var timer, asked = '';
    function ask() {
      var words = text.value.trim();
      if (words === asked) return;
      asked = words;
      fetch(box.getAttribute('data-proposals'), {
        method: 'POST',
        body: new URLSearchParams({ description: words }),
        credentials: 'same-origin',
      }).then(function (response) {
        return response.ok ? response.text() : '';
      }).then(function (html) {
        if (asked === words) box.innerHTML = html;
      }).catch(function () { /* the platform sorts it on submission */ });
    }
    text.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 400);
    });
    box.addEventListener('click', function (event) {
      var chosen = event.target.closest('[data-choose-category]');
      if (!chosen) return;
      select.value = chosen.getAttribute('data-choose-category');
      box.querySelectorAll('[data-choose-category]').forEach(function (b) {
        b.setAttribute('aria-pressed', b === chosen ? 'true' : 'false');
      });
    });
  });
})();

// A link marked data-add-row="ID" adds one more row to that list of fieldsets in place (the
// last one copied, emptied and numbered on), up to data-most rows, so that nothing typed is
// lost. Without this script the link reloads the form with more rows.
(function () {
  document.querySelectorAll('[data-add-row]').forEach(function (link) {
    var rows = document.getElementById(link.getAttribute('data-add-row'));
    var most = parseInt(link.getAttribute('data-most'), 10);
    if (!rows) return;
    link.addEventListener('click', function (event) {
      var all = rows.querySelectorAll('fieldset');
      var last = all[all.length - 1];
      if (!last) return;
      event.preventDefault();
      var next = all.length;
      var row = last.cloneNode(true);
      row.querySelectorAll('[id], [name], [for]').forEach(function (field) {
        ['id', 'name', 'for'].forEach(function (attribute) {
          var value = field.getAttribute(attribute);
          if (value) field.setAttribute(attribute, value.replace(/_\d+$/, '_' + next));
        });
        if (field.tagName === 'SELECT') field.selectedIndex = 0;
        else if ('value' in field && field.tagName !== 'LABEL') field.value = '';
      });
      var number = row.querySelector('[data-row-number]');
      if (number) number.textContent = String(next + 1);
      rows.appendChild(row);
      row.querySelector('input').focus();
      if (next + 1 >= most) link.hidden = true;
    });
  });
})();

// A part marked data-refresh="URL" is asked for again every data-every seconds (5 unless
// said) and replaced, so a command page follows the house-by-house check without a reload.
// Without this script the page shows the figures of when it was loaded.
(function () {
  document.querySelectorAll('[data-refresh]').forEach(function (part) {
    var id = part.id;
    var url = part.getAttribute('data-refresh');
    var every = (parseInt(part.getAttribute('data-every'), 10) || 5) * 1000;
    if (!id || !window.fetch) return;
    setInterval(function () {
      if (document.hidden) return;
      fetch(url, { credentials: 'same-origin', headers: { 'X-Fragment': id } }).then(function (response) {
        return response.ok ? response.text() : null;
      }).then(function (html) {
        var now = document.getElementById(id);
        // Kept while the reader has a part of it open or in hand.
        if (html && now && !now.contains(document.activeElement)) now.outerHTML = html;
      }).catch(function () {});
    }, every);
  });
})();

// A map marked data-draws="ID" (with data-frame="west,north,per-lng,per-lat" of its picture):
// each click adds the place under it, as `lng,lat`, to the corners in the field ID, and the
// area drawn so far is shown on the map. Without this script the corners are typed.
(function () {
  document.querySelectorAll('[data-draws]').forEach(function (box) {
    var field = document.getElementById(box.getAttribute('data-draws'));
    var svg = box.querySelector('svg');
    var f = (box.getAttribute('data-frame') || '').split(',').map(Number);
    if (!field || !svg || f.length !== 4 || !svg.createSVGPoint) return;
    box.hidden = false;
    var drawn = document.createElementNS('http://www.w3.org/2000/svg', 'polygon');
    drawn.setAttribute('class', 'drawn');
    svg.appendChild(drawn);
    function corners() {
      return field.value.split(/[;；\n]/).map(function (c) { return c.trim(); }).filter(Boolean);
    }
    function redraw() {
      drawn.setAttribute('points', corners().map(function (c) {
        var p = c.split(/[,，]/).map(Number);
        return ((p[0] - f[0]) * f[2]).toFixed(1) + ',' + ((f[1] - p[1]) * f[3]).toFixed(1);
      }).join(' '));
    }
    svg.addEventListener('click', function (event) {
      event.preventDefault();
      var point = svg.createSVGPoint();
      point.x = event.clientX;
      point.y = event.clientY;
      var at = point.matrixTransform(svg.getScreenCTM().inverse());
      var corner = (f[0] + at.x / f[2]).toFixed(5) + ',' + (f[1] - at.y / f[3]).toFixed(5);
      field.value = corners().concat([corner]).join('; ');
      redraw();
    });
    field.addEventListener('input', redraw);
    var clear = box.querySelector('[data-clear]');
    if (clear) clear.addEventListener('click', function () { field.value = ''; redraw(); });
    redraw();
  });
})();
