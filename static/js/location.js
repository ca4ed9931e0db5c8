// Location is optional: filled in when the phone's browser allows it, never required.
(function () {
  var lat = document.getElementById('id_latitude');
  if (!lat || !navigator.geolocation || lat.value) return;
  var lng = document.getElementById('id_longitude'), acc = document.getElementById('id_location_accuracy');
  var note = document.getElementById('location-note');
  navigator.geolocation.getCurrentPosition(function (pos) {
    lat.value = pos.coords.latitude.toFixed(6);
    lng.value = pos.coords.longitude.toFixed(6);
    acc.value = Math.round(pos.coords.accuracy);
    if (note) note.textContent = '已获取定位（精度约 ' + acc.value + ' 米）。';
  }, function () {
    if (note) note.textContent = '未获取定位（可不填）。';
  }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
})();
