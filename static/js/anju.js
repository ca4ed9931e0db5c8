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

// Background exports: poll the job and show its progress, then the download link.
(function () {
  var box = document.getElementById('export-job');
  if (!box) return;
  var bar = document.getElementById('export-bar');
  var msg = document.getElementById('export-message');
  var link = document.getElementById('export-download');
  var bg = box.querySelector('[role=progressbar]');
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        bar.style.width = d.progress + '%';
        bg.setAttribute('aria-valuenow', d.progress);
        if (d.status === 'done') { msg.textContent = '已完成'; link.hidden = false; return; }
        if (d.status === 'failed') { msg.textContent = d.message || '导出失败'; return; }
        msg.textContent = (d.message || '正在生成，请稍候…') + '（' + d.progress + '%）';
        setTimeout(poll, 700);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
