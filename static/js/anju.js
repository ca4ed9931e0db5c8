// Small progressive enhancements; every page works without JavaScript.
(function () {
  function csrf() {
    var m = document.cookie.match(/csrftoken=([^;]+)/);
    var input = document.querySelector('input[name=csrfmiddlewaretoken]');
    return m ? m[1] : (input ? input.value : '');
  }
  document.addEventListener('click', function (ev) {
    var btn = ev.target.closest('button.reveal');
    if (!btn) return;
    if (!window.confirm('查看完整号码将被记录（查看人、时间）。确定查看吗？')) return;
    fetch(btn.dataset.url, { method: 'POST', headers: { 'X-CSRFToken': csrf() }, credentials: 'same-origin' })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, d: d }; }); })
      .then(function (res) {
        if (!res.ok) { window.alert(res.d.detail || '无法查看。'); return; }
        var span = btn.parentElement.querySelector('[data-sensitive]');
        if (span) span.textContent = res.d.value;
        btn.remove();
      });
  });
  document.addEventListener('submit', function (ev) {
    var msg = ev.target.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });
})();
