// Dashboard charts, drawn with the vendored Chart.js from the data the page embeds.
(function () {
  var node = document.getElementById('dashboard-data');
  if (!node || typeof Chart === 'undefined') return;
  var data = JSON.parse(node.textContent);
  var blue = '#2f6db5', green = '#3a8f5c';
  var palette = ['#2f6db5', '#3a8f5c', '#d08c1f', '#b54a3c', '#7b5ea7', '#3a9aa3', '#8a8f98', '#c46aa0', '#5b7f2a', '#a0522d', '#4b6584', '#e1b12c'];
  Chart.defaults.font.family = 'system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
  Chart.defaults.animation = false;

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false }, config.options || {});
    canvas.chart = new Chart(canvas, config);
  }

  if (data.progress && data.progress.rows.length) {
    var rows = data.progress.rows;
    draw('chart-progress', {
      type: 'bar',
      data: {
        labels: rows.map(function (r) { return r.label; }),
        datasets: [
          { label: '计划', data: rows.map(function (r) { return r.planned; }), backgroundColor: blue },
          { label: '已竣工', data: rows.map(function (r) { return r.completed; }), backgroundColor: green }
        ]
      },
      options: {
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { tooltip: { callbacks: { footer: function (items) {
          return '竣工率 ' + rows[items[0].dataIndex].rate + '%';
        } } } }
      }
    });
  }
  if (data.pipeline.labels.length) {
    draw('chart-pipeline', {
      type: 'bar',
      data: { labels: data.pipeline.labels, datasets: [{ label: '项目数', data: data.pipeline.counts, backgroundColor: blue }] },
      options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
  if (data.categories.labels.length) {
    draw('chart-categories', {
      type: 'doughnut',
      data: { labels: data.categories.labels, datasets: [{ data: data.categories.counts, backgroundColor: palette }] },
      options: { plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } } }
    });
  }
})();
