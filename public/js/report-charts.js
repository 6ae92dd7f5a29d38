// Charts over the SLA report tables. Progressive enhancement: the tables are the report and
// stay; this only draws what they say, from the JSON block the server rendered beside them
// (labels already translated), into the figures marked data-chart.
(function () {
  'use strict';
  var root = document.documentElement;
  // The PDF renderer waits for this mark before printing, drawn or not.
  function done() {
    root.setAttribute('data-charts-ready', 'true');
  }
  var source = document.getElementById('report-chart-data');
  var Chart = window.Chart;
  if (!source || !Chart) return done();
  var data;
  try {
    data = JSON.parse(source.textContent || '{}');
  } catch {
    return done();
  }
  var still =
    root.getAttribute('data-render') === 'pdf' ||
    (window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches);
  var tones = {
    firstResponse: '#1f5fbf',
    resolution: '#0f8a80',
    opened: '#1f5fbf',
    resolved: '#1b7f4b',
    backlog: '#b26a00',
    previous: '#9aa5b1',
    ageing: '#b26a00',
    green: '#1b7f4b',
    amber: '#d08a00',
    red: '#b42318',
    none: '#9aa5b1',
  };
  var number = new Intl.NumberFormat(data.locale || root.lang || undefined, { maximumFractionDigits: 1 });
  var percent = function (v) {
    return number.format(v) + ' %';
  };

  function configOf(spec) {
    var line = spec.kind === 'line';
    var datasets = spec.series.map(function (s) {
      var color = tones[s.tone] || tones.none;
      return {
        label: s.label,
        data: s.data,
        borderColor: color,
        backgroundColor: s.tones
          ? s.tones.map(function (t) {
              return tones[t] || tones.none;
            })
          : color,
        borderWidth: line ? 2 : 0,
        borderDash: s.dashed ? [6, 4] : undefined,
        pointRadius: line ? 3 : undefined,
        spanGaps: line,
      };
    });
    var values = { beginAtZero: true, ticks: { precision: 0 } };
    if (spec.percent) values = { min: 0, max: 100, ticks: { stepSize: 25, callback: percent } };
    return {
      type: line ? 'line' : 'bar',
      data: { labels: spec.labels, datasets: datasets },
      options: {
        locale: data.locale,
        responsive: true,
        maintainAspectRatio: false,
        animation: still ? false : undefined,
        indexAxis: spec.horizontal ? 'y' : 'x',
        scales: spec.horizontal ? { x: values } : { y: values },
        plugins: {
          // Line charts show a line sample in the legend, so the previous period's dashes read as such.
          legend: {
            display: datasets.length > 1,
            position: 'bottom',
            labels: { boxWidth: line ? 28 : 12, usePointStyle: line, pointStyle: 'line' },
          },
          tooltip: {
            callbacks: {
              label: function (item) {
                var v = spec.horizontal ? item.parsed.x : item.parsed.y;
                return item.dataset.label + ': ' + (spec.percent ? percent(v) : number.format(v));
              },
            },
          },
        },
      },
    };
  }

  var charts = [];
  var figures = document.querySelectorAll('figure[data-chart]');
  for (var i = 0; i < figures.length; i++) {
    var figure = figures[i];
    var spec = data.charts && data.charts[figure.getAttribute('data-chart')];
    var canvas = figure.querySelector('canvas');
    if (!spec || !canvas) continue;
    // Shown before drawing: a hidden canvas has no size to draw at.
    figure.hidden = false;
    // One band per client: the box grows with the portfolio instead of squeezing the bars.
    var box = figure.querySelector('.report-chart-canvas');
    if (spec.horizontal && box) box.style.height = Math.max(8, 2 * spec.labels.length + 4) + 'rem';
    try {
      charts.push(new Chart(canvas, configOf(spec)));
    } catch {
      figure.hidden = true;
    }
  }
  // A browser's own printing lays the page out narrower: redraw at that width and back.
  var resize = function () {
    charts.forEach(function (c) {
      c.resize();
    });
  };
  window.addEventListener('beforeprint', resize);
  window.addEventListener('afterprint', resize);
  done();
})();
