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
    var form = ev.target;
    var msg = form.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) { ev.preventDefault(); return; }
    // Long work (a large import): say so, show a moving bar, and ignore a second click.
    var busy = form.getAttribute('data-busy');
    if (!busy) return;
    if (form.dataset.submitted) { ev.preventDefault(); return; }
    form.dataset.submitted = '1';
    var box = document.createElement('div');
    box.className = 'busy';
    box.setAttribute('role', 'status');
    box.innerHTML = '<div class="progress indeterminate"><span></span></div><p></p>';
    box.querySelector('p').textContent = busy;
    form.insertAdjacentElement('afterend', box);
    // Disabled after the browser has taken this submission (disabling first would drop it).
    setTimeout(function () {
      document.querySelectorAll('form[data-busy] button').forEach(function (b) { b.disabled = true; });
    }, 0);
  });
})();

// Progress bars: the width comes from data-width (the CSP allows no style attribute).
document.querySelectorAll('.progress [data-width]').forEach(function (bar) {
  bar.style.width = bar.dataset.width + '%';
});

// Background exports: poll the job and show its progress, then the download link.
(function () {
  var box = document.getElementById('export-job');
  if (!box) return;
  var bar = document.getElementById('export-bar');
  var msg = document.getElementById('export-message');
  var link = document.getElementById('export-download');
  var retry = document.getElementById('export-retry');
  var bg = box.querySelector('[role=progressbar]');
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        bar.style.width = d.progress + '%';
        bg.setAttribute('aria-valuenow', d.progress);
        if (d.status === 'done') { msg.textContent = '已完成'; link.hidden = false; return; }
        if (d.status === 'failed') {
          msg.textContent = d.message || '导出失败';
          if (retry) retry.hidden = false;
          return;
        }
        msg.textContent = (d.message || '正在生成，请稍候…') + '（' + d.progress + '%）';
        setTimeout(poll, 700);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();

// Phones (issue 19 point 2). Below 600 px a list table (`table.list`) shows each row as a
// card: every cell is labelled with its column's header here, and the stylesheet does the
// rest. A filter form (`form.filters`) folds into one "筛选" panel, open when a filter is set;
// the header's links fold behind a "菜单" button. Without JavaScript everything stays open.
(function () {
  var phone = window.matchMedia('(max-width: 600px)');
  document.documentElement.classList.add('js');

  document.querySelectorAll('table.list').forEach(function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll('thead th'), function (th) {
      return th.textContent.trim();
    });
    table.querySelectorAll('tbody tr').forEach(function (tr) {
      var column = 0;
      Array.prototype.forEach.call(tr.children, function (cell) {
        if (!cell.hasAttribute('data-label') && heads[column] && cell.colSpan === 1) {
          cell.setAttribute('data-label', heads[column]);
        }
        column += cell.colSpan || 1;
      });
    });
  });

  // On a phone the search box and the submit button stay in view and the other filters fold
  // into a "筛选" panel inside the same form; on a wide screen the filters stay one row.
  var filterForms = phone.matches ? document.querySelectorAll('form.filters') : [];
  Array.prototype.forEach.call(filterForms, function (form) {
    var folded = Array.prototype.filter.call(form.children, function (el) {
      return el.matches('.field') &&
        !el.querySelector('input[type=search], button, input[type=submit]');
    });
    if (!folded.length) return;
    var active = 0;
    folded.forEach(function (el) {
      el.querySelectorAll('input[name]:not([type=hidden]), select[name]').forEach(function (f) {
        if (f.type === 'checkbox' || f.type === 'radio' ? f.checked : f.value !== '') active++;
      });
    });
    var panel = document.createElement('details');
    panel.className = 'filter-panel';
    var summary = document.createElement('summary');
    summary.textContent = active ? '筛选（已选 ' + active + ' 项）' : '筛选';
    panel.appendChild(summary);
    form.insertBefore(panel, folded[0]);
    var body = document.createElement('div');
    body.className = 'filter-panel-body';
    panel.appendChild(body);
    folded.forEach(function (el) { body.appendChild(el); });
    panel.open = active > 0;
    phone.addEventListener('change', function (ev) { if (!ev.matches) panel.open = true; });
  });

  var bar = document.querySelector('.topbar');
  var toggle = document.getElementById('menu-toggle');
  if (bar && toggle) {
    toggle.hidden = false;
    toggle.addEventListener('click', function () {
      var open = bar.classList.toggle('menu-open');
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    });
  }
})();
