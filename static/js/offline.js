// 安居 without signal (core/offline.py tells the server's side).
//
// - A form with data-offline is sent from here (header X-Anju-Offline: page). Without network,
//   or when a weak signal fails on the way, the entry is kept in IndexedDB (photos too),
//   listed as 待上传 and sent again when the network returns, with the header
//   X-Anju-Offline: 1. Its client_id (a UUID made here) makes a second sending harmless.
// - The answer is shown, never dropped: 201 stored (the entry leaves the phone), 409/422 a
//   conflict or refusal with the server's reason, 404 the household left the user's area,
//   403 the user lost the role. A conflict stays until the user sends it anyway or discards it.
// - The households of the user's area can be kept on the phone for lookup (masked numbers only);
//   signing out deletes them and the pages the service worker kept.
(function () {
  'use strict';
  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.content : '';
  }
  var USER = meta('anju-user');
  if (!USER || !window.indexedDB || !window.Promise) return;

  var script = document.currentScript;
  if ('serviceWorker' in navigator && script && script.dataset.serviceWorker) {
    navigator.serviceWorker.register(script.dataset.serviceWorker).catch(function () {});
  }

  // --- IndexedDB ------------------------------------------------------------------------------
  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var open = indexedDB.open('anju-offline', 1);
        open.onupgradeneeded = function () {
          var d = open.result;
          d.createObjectStore('outbox', { keyPath: 'id' });
          d.createObjectStore('households', { keyPath: 'user' });
        };
        open.onsuccess = function () { resolve(open.result); };
        open.onerror = function () { reject(open.error); };
      });
    }
    return dbPromise;
  }
  function run(storeName, mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction(storeName, mode);
        var result;
        var request = work(tx.objectStore(storeName));
        if (request) request.onsuccess = function () { result = request.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function entries() {
    return run('outbox', 'readonly', function (s) { return s.getAll(); }).then(function (all) {
      return (all || []).filter(function (e) { return e.user === USER; })
        .sort(function (a, b) { return a.created < b.created ? -1 : 1; });
    });
  }
  function putEntry(entry) { return run('outbox', 'readwrite', function (s) { return s.put(entry); }); }
  function dropEntry(id) { return run('outbox', 'readwrite', function (s) { return s.delete(id); }); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  // --- Keeping an entry made without network ---------------------------------------------------
  function say(text) {
    var box = document.querySelector('[data-offline-notice]');
    if (!box) {
      box = document.createElement('p');
      box.className = 'msg-info offline-notice';
      box.setAttribute('role', 'status');
      box.setAttribute('data-offline-notice', '');
      var main = document.querySelector('main') || document.body;
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
  }

  function keep(form, idInput, notice) {
    var fields = [];
    var photos = 0;
    new FormData(form).forEach(function (value, name) {
      if (name === 'csrfmiddlewaretoken') return;
      if (typeof value !== 'string') {
        if (!value.size) return; // a file input left empty
        photos += 1;
      }
      fields.push([name, value]);
    });
    var entry = {
      id: idInput ? idInput.value : uuid(),
      user: USER,
      url: location.pathname,
      label: form.dataset.offline,
      household: form.dataset.householdName || '',
      created: new Date().toISOString(),
      photos: photos,
      state: 'pending',
      reason: '',
      fields: fields
    };
    return putEntry(entry).then(function () {
      form.reset();
      if (idInput) idInput.value = '';
      say(notice.replace('{label}', entry.label));
      render();
    }, function () {
      say('本机存储空间不足或被禁用，未能离线保存。请连上网络后再保存。');
    });
  }

  // Sent by the page itself with network: a weak signal that fails on the way keeps the entry
  // (a slow upload is given two minutes). Any answer but "stored" is left to the page: it
  // posts as usual and shows the server's answer (the form's errors, a refusal).
  function sendFromPage(form, idInput) {
    var submit = form.querySelector('button[type=submit]');
    if (submit) submit.disabled = true;
    say('正在保存……');
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, 120000) : null;
    fetch(form.action || location.href, {
      method: 'POST',
      body: new FormData(form),
      credentials: 'same-origin',
      headers: { 'X-Anju-Offline': 'page' },
      signal: controller ? controller.signal : undefined
    }).then(function (res) {
      if (timer) clearTimeout(timer);
      if (res.status === 201) {
        return res.json().then(function (answer) { location.assign(answer.url); });
      }
      HTMLFormElement.prototype.submit.call(form);
    }, function () {
      if (timer) clearTimeout(timer);
      if (submit) submit.disabled = false;
      return keep(form, idInput, '信号不好，未能发送：{label}已保存在本机（待上传），网络恢复后自动上传。');
    });
  }

  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!form.matches || !form.matches('form[data-offline]')) return;
    var idInput = form.querySelector('input[name="client_id"]');
    if (idInput && !idInput.value) idInput.value = uuid();
    ev.preventDefault();
    ev.stopImmediatePropagation();
    if (navigator.onLine) {
      sendFromPage(form, idInput);
      return;
    }
    keep(form, idInput, '没有网络：{label}已保存在本机（待上传），网络恢复后自动上传。');
  }, true);

  // --- Sending when the network is back -------------------------------------------------------
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : meta('csrf-token');
  }
  function mark(entry, state, reason) {
    entry.state = state;
    entry.reason = reason;
    return putEntry(entry);
  }
  function sendOne(entry) {
    var body = new FormData();
    entry.fields.forEach(function (f) { body.append(f[0], f[1]); });
    if (entry.force) body.append('ignore_changes', '1');
    return fetch(entry.url, {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      headers: { 'X-Anju-Offline': '1', 'X-CSRFToken': csrfToken() }
    }).then(function (res) {
      if (res.status === 201) return dropEntry(entry.id).then(function () { return 'stored'; });
      if (res.redirected && res.url.indexOf('/accounts/login/') !== -1) {
        return mark(entry, 'pending', '登录已过期：请重新登录，登录后自动上传。');
      }
      if (res.status === 409 || res.status === 422) {
        return res.json().then(function (answer) {
          return mark(entry, 'conflict', answer.reason || '未能保存。');
        });
      }
      if (res.status === 404) {
        return mark(entry, 'conflict', '该户已不在您的辖区（可能已迁出或删除），未能保存。');
      }
      if (res.status === 403) {
        return mark(entry, 'conflict', '您的账号已无权录入此项（角色或辖区已变更），未能保存。');
      }
      return mark(entry, 'pending', '服务器暂时无法保存（' + res.status + '），稍后自动重试。');
    }, function () {
      return mark(entry, 'pending', '网络不通，稍后自动重试。');
    });
  }
  var sending = null;
  function sendAll() {
    if (sending || !navigator.onLine) return sending || Promise.resolve();
    var stored = 0;
    sending = entries().then(function (list) {
      return list.filter(function (e) { return e.state === 'pending'; }).reduce(function (chain, e) {
        return chain.then(function () {
          return sendOne(e).then(function (result) { if (result === 'stored') stored += 1; });
        });
      }, Promise.resolve());
    }).then(function () {
      if (stored) say('已上传' + stored + '条离线录入的记录。');
    }).catch(function () {}).then(function () {
      sending = null;
      return render();
    });
    return sending;
  }
  window.addEventListener('online', sendAll);

  // --- The outbox on the page -----------------------------------------------------------------
  function button(text, action) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'linklike';
    b.textContent = text;
    b.addEventListener('click', action);
    return b;
  }
  function item(entry) {
    var li = document.createElement('li');
    li.className = 'outbox-item' + (entry.state === 'conflict' ? ' conflict' : '');
    li.setAttribute('data-entry', entry.id);
    var title = document.createElement('strong');
    title.textContent = entry.label + (entry.household ? ' · ' + entry.household : '');
    var when = new Date(entry.created);
    var info = document.createElement('span');
    info.className = 'muted';
    info.textContent = ' ' + when.toLocaleString('zh-CN', { hour12: false }) +
      (entry.photos ? ' · 照片' + entry.photos + '张' : '');
    var badge = document.createElement('span');
    badge.className = 'badge ' + (entry.state === 'conflict' ? 'level-D' : 'level-C');
    badge.textContent = entry.state === 'conflict' ? '未能保存' : '待上传';
    li.appendChild(badge);
    li.appendChild(document.createTextNode(' '));
    li.appendChild(title);
    li.appendChild(info);
    if (entry.reason) {
      var reason = document.createElement('p');
      reason.className = entry.state === 'conflict' ? 'error' : 'muted';
      reason.textContent = entry.reason;
      li.appendChild(reason);
    }
    if (entry.state === 'conflict') {
      var actions = document.createElement('p');
      actions.appendChild(button('仍然上传', function () {
        entry.force = true;
        mark(entry, 'pending', '').then(sendAll);
      }));
      actions.appendChild(document.createTextNode(' · '));
      actions.appendChild(button('放弃这条记录', function () {
        if (window.confirm('放弃后这条记录（含照片）将从本机删除，不能恢复。确定放弃？')) {
          dropEntry(entry.id).then(render);
        }
      }));
      li.appendChild(actions);
    }
    return li;
  }
  function render() {
    return entries().then(function (list) {
      document.querySelectorAll('[data-outbox-count]').forEach(function (el) {
        el.textContent = list.length ? String(list.length) : '';
        el.hidden = !list.length;
      });
      document.querySelectorAll('[data-outbox]').forEach(function (box) {
        box.hidden = !list.length && !box.hasAttribute('data-outbox-always');
        var empty = box.querySelector('[data-outbox-empty]');
        if (empty) empty.hidden = !!list.length;
        var send = box.querySelector('[data-outbox-send]');
        if (send) send.hidden = !list.length;
        var ul = box.querySelector('.outbox-list');
        ul.textContent = '';
        list.forEach(function (e) { ul.appendChild(item(e)); });
      });
    }).catch(function () {});
  }
  document.addEventListener('click', function (ev) {
    if (ev.target.closest && ev.target.closest('[data-outbox-send]')) {
      if (!navigator.onLine) { say('仍然没有网络，网络恢复后自动上传。'); return; }
      sendAll();
    }
  });

  // --- The households kept for lookup ---------------------------------------------------------
  function keptHouseholds() {
    return run('households', 'readonly', function (s) { return s.get(USER); });
  }
  var fieldBox = document.querySelector('[data-field-households]');
  function showHouseholds(kept) {
    if (!fieldBox || !kept) return;
    var note = fieldBox.querySelector('[data-households-note]');
    note.textContent = '本机已保存' + kept.households.length + '户（' + kept.saved_at.replace('T', ' ').slice(0, 16) + '）' +
      (kept.truncated ? '；辖区超过' + kept.limit + '户，只保存了前' + kept.limit + '户' : '');
    var query = (fieldBox.querySelector('[data-households-search]').value || '').trim();
    var table = fieldBox.querySelector('[data-households-table]');
    var body = table.querySelector('tbody');
    body.textContent = '';
    var shown = 0;
    kept.households.some(function (h) {
      var text = h.head_name + ' ' + h.village + ' ' + h.id_number_masked;
      if (query && text.indexOf(query) === -1) return false;
      var tr = document.createElement('tr');
      [h.head_name, h.village, h.category, h.id_number_masked].forEach(function (value, i) {
        var td = document.createElement('td');
        td.setAttribute('data-label', ['户主', '村', '类型', '身份证号'][i]);
        td.textContent = value;
        tr.appendChild(td);
      });
      var links = document.createElement('td');
      links.setAttribute('data-label', '录入');
      [[h.inspect_url, '录入排查'], [h.hazard_url, '上报隐患']].forEach(function (pair) {
        if (!pair[0]) return;
        var a = document.createElement('a');
        a.href = pair[0];
        a.textContent = pair[1];
        if (links.childNodes.length) links.appendChild(document.createTextNode(' · '));
        links.appendChild(a);
      });
      tr.appendChild(links);
      body.appendChild(tr);
      shown += 1;
      return shown >= 200; // a phone lists the first 200 matches; the search narrows
    });
    table.hidden = !shown;
  }
  if (fieldBox) {
    keptHouseholds().then(showHouseholds).catch(function () {});
    fieldBox.querySelector('[data-households-search]').addEventListener('input', function () {
      keptHouseholds().then(showHouseholds);
    });
    fieldBox.querySelector('[data-households-save]').addEventListener('click', function () {
      var note = fieldBox.querySelector('[data-households-note]');
      if (!navigator.onLine) { note.textContent = '没有网络，不能更新名单。'; return; }
      note.textContent = '正在下载……';
      fetch(fieldBox.dataset.url, { credentials: 'same-origin' })
        .then(function (res) { if (!res.ok) throw new Error(String(res.status)); return res.json(); })
        .then(function (data) {
          data.user = USER;
          return run('households', 'readwrite', function (s) { return s.put(data); }).then(function () { return data; });
        })
        .then(showHouseholds, function () { note.textContent = '下载失败，请稍后再试。'; });
    });
  }

  // Offline, the service worker may answer a household form never opened with the same form
  // of another household: the household comes from the list kept on the phone.
  var form = document.querySelector('form[data-offline][data-household-id]');
  var own = location.pathname.match(/^\/inspections\/households\/(\d+)\//);
  if (form && own && own[1] !== form.dataset.householdId) {
    keptHouseholds().then(function (kept) {
      var id = Number(own[1]);
      var h = kept && kept.households.filter(function (x) { return x.id === id; })[0];
      var head = document.querySelector('[data-household-head]');
      var submit = form.querySelector('button[type=submit]');
      if (!h) {
        if (head) head.textContent = '本机没有该户的信息：请先在“离线外业”页面保存名单。';
        if (submit) submit.disabled = true;
        return;
      }
      form.dataset.householdId = String(h.id);
      form.dataset.householdName = h.head_name;
      var seen = form.querySelector('input[name="seen_version"]');
      if (seen) seen.value = String(h.version);
      if (head) head.textContent = h.village + ' · 户主 ' + h.head_name + ' · ' + h.id_number_masked;
    });
  }

  // Signing out: the kept households and pages go; entries waiting to be sent stay, and are
  // sent only when this user signs in again.
  document.querySelectorAll('form[action$="/accounts/logout/"]').forEach(function (logout) {
    logout.addEventListener('submit', function (ev) {
      if (logout.dataset.forgotten) return;
      ev.preventDefault();
      var done = function () { logout.dataset.forgotten = '1'; logout.submit(); };
      var forget = run('households', 'readwrite', function (s) { return s.delete(USER); });
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage('forget-pages');
      }
      var pages = window.caches ? caches.delete('anju-pages') : Promise.resolve();
      Promise.all([forget, pages]).then(done, done);
    });
  });

  render().then(sendAll);
})();
