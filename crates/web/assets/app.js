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
