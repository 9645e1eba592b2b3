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
