// The HTML report's own script: leaderboard (sort, filter, pick), charts (Apache ECharts,
// loaded before this script) and the picked trial. Plain browser JavaScript with no build
// step. One page, two modes:
// - the static report (`gradtune report --format html`): render-html.ts inlines this
//   script after the data; it draws once and makes no request of any kind;
// - the dashboard (`gradtune dashboard`): the same page, served with a #live-config; the
//   script then polls its own server for what changed (trials, study-wide views, section
//   texts), merges it into the data and draws again, keeping the sort, the filter, the
//   page of the leaderboard and the picked trial. Dashboard trials arrive as light views
//   (no per-epoch history or gradients); the curves of a trial are fetched when it is shown.
//
// The data holds strings users wrote (parameter names and values, layer names, errors).
// Every one of them reaches the page as a text node (textContent, or ECharts' canvas
// text); tooltips are DOM elements built the same way, never HTML strings.
(function () {
  'use strict';

  let data = JSON.parse(document.getElementById('report-data').textContent);
  let byNumber = new Map(data.trials.map((t) => [t.n, t]));
  let metric = data.study.metric;
  const liveConfig = document.getElementById('live-config');
  const live = liveConfig ? JSON.parse(liveConfig.textContent) : null;

  const STATUS_COLOR = {
    completed: '#2b8a3e',
    rejected: '#e8590c',
    failed: '#c92a2a',
    pruned: '#868e96',
    running: '#1971c2',
    stale: '#adb5bd',
  };
  const STATUS_SYMBOL = { rejected: 'triangle', failed: 'diamond', pruned: 'rect', running: 'emptyCircle', stale: 'emptyCircle', completed: 'circle' };
  const TRIAL_COLORS = ['#3b5bdb', '#2b8a3e', '#e8590c', '#862e9c', '#0b7285', '#c2255c'];
  const ACCENT = '#3b5bdb';
  // Axes sit on the frame of their plot, never at a zero that a log10 scale puts mid-chart.
  const AXIS = { axisLine: { onZero: false, lineStyle: { color: '#adb5bd' } }, splitLine: { lineStyle: { color: '#eef0f4' } }, axisLabel: { color: '#495057' }, nameTextStyle: { color: '#5d6675' } };

  // ---------------------------------------------------------------- helpers

  /** An element with properties and children; strings become text nodes, never markup. */
  function h(tag, props, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'text') node.textContent = String(value);
      else if (key === 'class') node.className = value;
      else if (key === 'on') for (const [event, fn] of Object.entries(value)) node.addEventListener(event, fn);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of [].concat(children === undefined ? [] : children)) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  /** A finite number, or null: the data writes NaN and ±Infinity as strings. */
  function num(v) {
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  }

  /** A number for people: 4 significant digits, exponents for the very small and large. */
  function fmt(v) {
    if (typeof v === 'string') return v;
    if (v === null || v === undefined) return '';
    if (typeof v !== 'number') return String(v);
    if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e');
    return String(Number(v.toPrecision(4)));
  }

  /** A trial's value of a parameter as the leaderboard shows it: the data carries the text only where it is not String(value). */
  function paramText(t, name) {
    if (Object.prototype.hasOwnProperty.call(t.paramText, name)) return t.paramText[name];
    return Object.prototype.hasOwnProperty.call(t.params, name) ? String(t.params[name]) : '';
  }

  /** A tooltip as a DOM element: a bold title and `key value` lines. */
  function tip(title, lines) {
    const node = h('div', { class: 'tip' }, [h('b', { text: title })]);
    for (const [key, value] of lines) {
      if (value === undefined || value === null || value === '') continue;
      node.append(h('br'), h('span', { class: 'k', text: key + ' ' }), String(value));
    }
    return node;
  }

  function trialTip(t, extra) {
    const lines = [
      ['status', t.status + (t.rank !== null ? ', rank ' + t.rank : '')],
      [metric, t.scoreText],
      ['epochs', t.epochs],
      ['gradients', t.verdictText !== '-' ? t.verdictText : ''],
      ['error', t.error ? firstLine(t.error) : ''],
    ];
    return tip('trial ' + t.n, lines.concat(extra || []));
  }

  function prunedText(t) {
    return 'pruned at epoch ' + t.pruned.epoch + ' (' + t.pruned.rule.split(':')[0] + ')';
  }

  function firstLine(text) {
    const line = String(text).split('\n')[0];
    return line.length > 160 ? line.slice(0, 157) + '…' : line;
  }

  // Work is cut into jobs run in small batches between frames, so a 500-trial report never
  // blocks the page for long: the first charts appear while the rest are still being set up.
  const jobs = [];
  let draining = false;
  function later(job) {
    jobs.push(job);
    if (!draining) {
      draining = true;
      setTimeout(drain, 0);
    }
  }
  function drain() {
    const start = performance.now();
    while (jobs.length > 0 && performance.now() - start < 25) {
      const job = jobs.shift();
      try {
        job();
      } catch (err) {
        console.error(err);
      }
    }
    if (jobs.length > 0) setTimeout(drain, 0);
    else {
      draining = false;
      document.body.setAttribute('data-rendered', 'true');
      // The dashboard's tests wait for the data version they expect to be drawn.
      if (live) document.body.setAttribute('data-version', String(version));
    }
  }

  // One chart per element, kept across redraws: a live update sets the new option on the
  // same instance (no blank frame, no re-initialisation); a chart whose element left the
  // page (its section was rewritten) is disposed.
  const charts = new Map();
  function chart(el, option) {
    let instance = charts.get(el);
    if (instance && !instance.isDisposed()) {
      instance.off('click');
      instance.setOption(Object.assign({ animation: false }, option), { notMerge: true });
      return instance;
    }
    instance = echarts.init(el, null, { renderer: 'canvas' });
    // ECharts' default font: labels are measured (containLabel) and drawn with the same one.
    instance.setOption(Object.assign({ animation: false }, option));
    charts.set(el, instance);
    return instance;
  }
  function pruneCharts() {
    for (const [el, instance] of charts) {
      if (!document.body.contains(el)) {
        instance.dispose();
        charts.delete(el);
      }
    }
  }
  window.addEventListener('resize', () => charts.forEach((c) => c.resize()));

  // A trial's per-epoch history and gradients: always there in the report; in the
  // dashboard only once fetched (`history === undefined` until then).
  function loaded(t) {
    return t.history !== undefined;
  }
  function hasHistory(t) {
    return loaded(t) ? t.history !== null : Boolean(t.hasHistory);
  }
  function hasGradients(t) {
    return loaded(t) ? t.gradients !== null : Boolean(t.hasGradients);
  }

  /** Whether positive values span more than `ratio` (a log scale then reads them better). */
  function wantsLog(values, ratio) {
    const finite = values.filter((v) => v !== null);
    if (finite.length === 0 || finite.some((v) => v <= 0)) return false;
    return Math.max(...finite) / Math.min(...finite) > ratio;
  }

  // Log scales are drawn as log10 of the value on a linear axis labelled in decades, with
  // the value itself as the point's third component for tooltips. ECharts' own log axis
  // rounds an explicit minimum below 1 (1e-8) to 0 and then draws nothing beneath it, which
  // would hide the vanishing floor.
  function logPoint(x, v) {
    return v === null || v <= 0 ? [x, '-', null] : [x, Math.log10(v), v];
  }
  function decadeAxis(lo, hi, extra) {
    return Object.assign({}, AXIS, {
      type: 'value',
      min: lo,
      max: hi,
      interval: hi - lo > 14 ? 2 : 1,
      axisLabel: { formatter: (v) => (v === 0 ? '1' : '1e' + v), color: '#495057' },
    }, extra);
  }
  /** The value behind a point, whether plotted as is or as its log10. */
  function pointValue(p) {
    return p.value.length > 2 ? p.value[2] : p.value[1];
  }

  // ---------------------------------------------------------------- picking a trial

  let picked = initialPick();
  let pickListeners = [];

  function initialPick() {
    const fromHash = /^#trial-(\d+)$/.exec(location.hash);
    if (fromHash && byNumber.has(Number(fromHash[1]))) return Number(fromHash[1]);
    if (data.best !== null) return data.best;
    const withGradients = data.trials.find(hasGradients);
    if (withGradients) return withGradients.n;
    const withHistory = data.trials.find(hasHistory);
    return withHistory ? withHistory.n : data.trials.length > 0 ? data.trials[0].n : null;
  }

  function pick(n) {
    if (!byNumber.has(n)) return;
    picked = n;
    if (live) want([n]);
    for (const listener of pickListeners) listener(n);
  }

  const pickedLabel = document.getElementById('picked-label');
  function showPickedLabel(n) {
    if (pickedLabel) pickedLabel.textContent = n === null ? '' : 'picked: trial ' + n;
  }
  showPickedLabel(picked);

  // ---------------------------------------------------------------- leaderboard

  // What the reader chose in the leaderboard, kept across live updates.
  const lbState = { sort: { key: 'rank', dir: 1 }, hidden: new Set(), page: 0, pageSize: 100 };

  function leaderboard() {
    const table = document.getElementById('lb');
    if (!table) return;
    const thead = table.tHead;
    const tbody = table.tBodies[0];
    const hyperband = data.hyperband !== null;
    const columns = [
      {
        key: 'rank',
        label: 'rank',
        num: true,
        value: (t) => t.rank,
        cell: (t) => h('td', { class: 'num', title: t.n === data.best ? 'the best trial' : null }, [t.n === data.best ? h('span', { class: 'star', text: '★ ' }) : null, t.rank === null ? '–' : String(t.rank)]),
      },
      { key: 'trial', label: 'trial', num: true, value: (t) => t.n, text: (t) => String(t.n) },
      { key: 'status', label: 'status', value: (t) => t.status, cell: (t) => h('span', { class: 'chip ' + t.status, text: t.status }) },
      // Best first on the first click, whatever the direction.
      { key: 'score', label: metric, num: true, first: data.study.direction === 'max' ? -1 : 1, value: (t) => num(t.score), text: (t) => t.scoreText },
      { key: 'epochs', label: 'epochs', num: true, value: (t) => t.epochs, text: (t) => String(t.epochs) },
      { key: 'time', label: 'time (s)', num: true, value: (t) => t.seconds, text: (t) => (t.seconds === null ? '' : t.seconds.toFixed(1)) },
      {
        key: 'gradients',
        label: 'gradients',
        value: (t) => (t.error ? 'error: ' + t.error : t.pruned ? prunedText(t) : t.verdictText),
        cell: (t) => {
          // A pruned trial says where and why it stopped; its gradients were healthy to that point.
          const text = t.error ? firstLine(t.error) : t.pruned ? prunedText(t) : t.verdictText;
          return h('td', { class: 'verdict ' + (t.error ? 'error' : t.pruned ? 'pruned' : t.verdict || ''), title: t.error || (t.pruned ? t.pruned.rule : t.verdictText), text });
        },
      },
    ];
    if (data.trials.some((t) => t.slot && t.slot.kind === 'asha')) {
      columns.push(
        { key: 'continues', label: 'continues', num: true, value: (t) => t.parent, text: (t) => (t.parent === null ? '' : '#' + t.parent) },
        { key: 'rung', label: 'rung', num: true, value: (t) => (t.slot && t.slot.kind === 'asha' ? t.slot.rung : null), text: (t) => (t.slot && t.slot.kind === 'asha' ? String(t.slot.rung) : '') },
      );
    }
    if (hyperband) {
      columns.push(
        { key: 'continues', label: 'continues', num: true, value: (t) => t.parent, text: (t) => (t.parent === null ? '' : '#' + t.parent) },
        { key: 'round', label: 'bracket/round', value: (t) => (t.slot ? t.slot.bracket * 1000 + t.slot.round : null), text: (t) => (t.slot ? t.slot.bracket + '/' + t.slot.round : '') },
      );
    }
    for (const p of data.params) {
      columns.push({
        key: 'param:' + p.name,
        label: p.name,
        num: p.numeric,
        value: (t) => (Object.prototype.hasOwnProperty.call(t.params, p.name) ? t.params[p.name] : null),
        text: (t) => paramText(t, p.name),
      });
    }

    const order = new Map(data.trials.map((t, i) => [t.n, i]));
    const sort = lbState.sort;
    // A column that is gone (a parameter no longer varies) cannot stay the sort.
    if (!columns.some((c) => c.key === sort.key)) Object.assign(sort, { key: 'rank', dir: 1 });
    const headRow = h('tr');
    const headers = new Map();
    for (const c of columns) {
      const th = h('th', { class: c.num ? 'num' : '', scope: 'col', 'data-key': c.key, title: 'sort by ' + c.label }, [c.label, h('span', { class: 'arrow' })]);
      th.addEventListener('click', () => {
        sort.dir = sort.key === c.key ? -sort.dir : c.first || 1;
        sort.key = c.key;
        lbState.page = 0;
        applySort();
      });
      headers.set(c.key, th);
      headRow.append(th);
    }
    thead.replaceChildren(headRow);

    // Rows are made when first shown and kept. Only one page of them is in the table at a
    // time: laying out a table is proportional to its cells, and 500 rows of 20 columns
    // took a quarter of a second per sort on a laptop-class core, freezing the page.
    const rows = new Map();
    function rowFor(t) {
      let tr = rows.get(t.n);
      if (tr) return tr;
      tr = h('tr', { 'data-trial': t.n, 'data-status': t.status, tabindex: 0, class: t.n === data.best ? 'best' : '' });
      for (const c of columns) {
        if (!c.cell) {
          tr.append(h('td', { class: c.num ? 'num' : '', text: c.text(t) }));
          continue;
        }
        const cell = c.cell(t);
        tr.append(cell.tagName === 'TD' ? cell : h('td', {}, [cell]));
      }
      tr.classList.toggle('picked', t.n === picked);
      tr.addEventListener('click', () => pick(t.n));
      tr.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          pick(t.n);
        }
      });
      rows.set(t.n, tr);
      return tr;
    }

    function compare(column) {
      return (a, b) => {
        const va = column.value(a);
        const vb = column.value(b);
        // Missing values go last in both directions: "no score" is never the best or worst score.
        if (va === null || va === undefined) return vb === null || vb === undefined ? order.get(a.n) - order.get(b.n) : 1;
        if (vb === null || vb === undefined) return -1;
        let c;
        if (typeof va === 'number' && typeof vb === 'number') c = va - vb;
        else c = String(va).localeCompare(String(vb), undefined, { numeric: true });
        return sort.dir * c || order.get(a.n) - order.get(b.n);
      };
    }

    let sorted = data.trials.slice();
    function applySort() {
      const column = columns.find((c) => c.key === sort.key);
      sorted = data.trials.slice().sort(compare(column));
      for (const [key, th] of headers) {
        const active = key === sort.key;
        th.setAttribute('aria-sort', active ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none');
        th.lastChild.textContent = active ? (sort.dir === 1 ? '▲' : '▼') : '';
      }
      render();
    }

    // Status filter: one box per status present, ticked unless the reader unticked it; then the pager.
    const controls = document.getElementById('lb-controls');
    controls.replaceChildren();
    const counts = new Map();
    for (const t of data.trials) counts.set(t.status, (counts.get(t.status) || 0) + 1);
    const hidden = lbState.hidden;
    controls.append(h('span', { text: 'show:' }));
    for (const status of ['completed', 'rejected', 'running', 'pruned', 'failed', 'stale']) {
      if (!counts.has(status)) continue;
      const box = h('input', { type: 'checkbox', checked: !hidden.has(status), 'data-status': status });
      box.addEventListener('change', () => {
        if (box.checked) hidden.delete(status);
        else hidden.add(status);
        lbState.page = 0;
        render();
      });
      controls.append(h('label', {}, [box, ' ', h('span', { class: 'chip ' + status, text: status + ' ' + counts.get(status) })]));
    }
    const shown = h('span', { class: 'shown' });
    const pager = h('span', { class: 'pager' });
    const range = h('span', { class: 'range' });
    const prev = h('button', { type: 'button', class: 'page-prev', text: '◀ previous', on: { click: () => turn(-1) } });
    const next = h('button', { type: 'button', class: 'page-next', text: 'next ▶', on: { click: () => turn(1) } });
    const size = h('select', { class: 'page-size', title: 'rows per page' });
    for (const n of [50, 100, 250, 0]) size.append(h('option', { value: n, text: n === 0 ? 'all rows' : n + ' rows', selected: n === lbState.pageSize }));
    size.addEventListener('change', () => {
      lbState.pageSize = Number(size.value);
      lbState.page = 0;
      render();
    });
    pager.append(prev, range, next, size);
    controls.append(shown, pager);

    function turn(step) {
      lbState.page += step;
      render();
    }

    function render() {
      const pageSize = lbState.pageSize;
      const matching = sorted.filter((t) => !hidden.has(t.status));
      const per = pageSize === 0 ? Math.max(1, matching.length) : pageSize;
      const pages = Math.max(1, Math.ceil(matching.length / per));
      const page = (lbState.page = Math.min(Math.max(0, lbState.page), pages - 1));
      const slice = matching.slice(page * per, (page + 1) * per);
      tbody.replaceChildren(...slice.map(rowFor));
      shown.textContent = 'showing ' + matching.length + ' of ' + data.trials.length + ' trials';
      pager.hidden = matching.length <= 50;
      range.textContent = matching.length === 0 ? '' : ' rows ' + (page * per + 1) + '–' + (page * per + slice.length) + ' ';
      prev.disabled = page === 0;
      next.disabled = page >= pages - 1;
    }
    later(applySort);

    function markPicked(n) {
      for (const [number, row] of rows) row.classList.toggle('picked', number === n);
    }
    pickListeners.push(markPicked);
  }

  // ---------------------------------------------------------------- optimization history

  /** The trial under a point of the history chart: its x value. */
  function historyTrial(p) {
    const n = Array.isArray(p.value) ? p.value[0] : null;
    return p.seriesName !== 'best so far' && byNumber.has(n) ? n : null;
  }

  function historyChart() {
    const el = document.getElementById('chart-history');
    if (!el) return;
    const sign = data.study.direction === 'max' ? 1 : -1;
    const inOrder = data.trials.slice().sort((a, b) => a.n - b.n);
    const scored = inOrder.filter((t) => t.status === 'completed' && num(t.score) !== null);
    const best = [];
    let bestSoFar = null;
    for (const t of inOrder) {
      if (t.status === 'completed' && num(t.score) !== null && (bestSoFar === null || sign * (t.score - bestSoFar) > 0)) bestSoFar = t.score;
      if (bestSoFar !== null) best.push([t.n, bestSoFar]);
    }
    // Trials without a score, in the strip under the plot: one row per status.
    const stripOf = (t) => (t.status === 'completed' ? 'completed, no score' : t.status);
    const unscored = inOrder.filter((t) => !(t.status === 'completed' && num(t.score) !== null));
    const stripRows = ['rejected', 'pruned', 'failed', 'stale', 'running', 'completed, no score'].filter((s) => unscored.some((t) => stripOf(t) === s));
    const maxN = inOrder.length > 0 ? inOrder[inOrder.length - 1].n : 0;
    const hasStrip = stripRows.length > 0;
    const stripHeight = 22 * stripRows.length + 10;
    const xBase = Object.assign({ type: 'value', min: 0, max: Math.max(1, maxN), minInterval: 1 }, AXIS);
    const grids = [{ left: 64, right: 28, top: 44, bottom: hasStrip ? stripHeight + 58 : 40 }];
    const xAxes = [Object.assign({}, xBase, { gridIndex: 0, name: hasStrip ? '' : 'trial', nameLocation: 'middle', nameGap: 24 })];
    const yAxes = [Object.assign({ type: 'value', scale: true, name: metric, gridIndex: 0 }, AXIS)];
    const series = [
      {
        name: 'completed',
        type: 'scatter',
        xAxisIndex: 0,
        yAxisIndex: 0,
        // Plain [trial, score] points (the trial is the x value): ECharts' large mode draws
        // thousands of them as one path instead of one element each.
        data: scored.map((t) => [t.n, t.score]),
        large: true,
        largeThreshold: 2000,
        symbolSize: 8,
        itemStyle: { color: STATUS_COLOR.completed, opacity: 0.8 },
      },
      { name: 'best so far', type: 'line', step: 'end', xAxisIndex: 0, yAxisIndex: 0, data: best, symbol: 'none', lineStyle: { color: ACCENT, width: 2 }, itemStyle: { color: ACCENT }, silent: true },
    ];
    if (hasStrip) {
      grids.push({ left: 64, right: 28, height: stripHeight - 10, bottom: 36 });
      xAxes.push(Object.assign({}, xBase, { gridIndex: 1, name: 'trial', nameLocation: 'middle', nameGap: 24 }));
      yAxes.push(Object.assign({ type: 'category', data: stripRows, gridIndex: 1, inverse: true, axisTick: { show: false } }, AXIS, { splitLine: { show: true, lineStyle: { color: '#f1f3f5' } } }));
      for (const status of stripRows) {
        const color = STATUS_COLOR[status] || STATUS_COLOR.pruned;
        series.push({
          name: status,
          type: 'scatter',
          xAxisIndex: 1,
          yAxisIndex: 1,
          data: unscored.filter((t) => stripOf(t) === status).map((t) => [t.n, status]),
          large: true,
          largeThreshold: 2000,
          symbol: STATUS_SYMBOL[status] || 'circle',
          symbolSize: 9,
          itemStyle: { color },
        });
      }
    }
    series.push({ name: 'picked', type: 'scatter', xAxisIndex: 0, yAxisIndex: 0, data: [], symbol: 'circle', symbolSize: 18, itemStyle: { color: 'rgba(0,0,0,0)', borderColor: ACCENT, borderWidth: 2 }, silent: true, z: 10 });
    const instance = chart(el, {
      grid: grids,
      xAxis: xAxes,
      yAxis: yAxes,
      legend: { top: 4, data: series.filter((s) => s.name !== 'picked' && s.data.length > 0).map((s) => s.name) },
      tooltip: { trigger: 'item', confine: true, formatter: (p) => (historyTrial(p) !== null ? trialTip(byNumber.get(historyTrial(p))) : '') },
      series,
    });
    instance.on('click', (p) => {
      if (historyTrial(p) !== null) pick(historyTrial(p));
    });
    function showPicked(n) {
      const t = byNumber.get(n);
      const point = t && t.status === 'completed' && num(t.score) !== null ? [[t.n, t.score]] : [];
      instance.setOption({ series: [{ name: 'picked', data: point }] });
    }
    pickListeners.push(showPicked);
    showPicked(picked);
  }

  // ---------------------------------------------------------------- learning curves

  function curveTrials() {
    const shown = data.top.slice();
    if (picked !== null && !shown.includes(picked)) shown.push(picked);
    const trials = shown.map((n) => byNumber.get(n)).filter((t) => t !== undefined);
    // The dashboard fetches the curves it is about to show; they are drawn when they arrive.
    if (live) want(trials.filter((t) => !loaded(t) && hasHistory(t)).map((t) => t.n));
    return trials.filter((t) => loaded(t) && t.history !== null);
  }

  function curveOption(keys, title, subtitle) {
    const trials = curveTrials();
    const series = [];
    const values = [];
    trials.forEach((t, i) => {
      const color = TRIAL_COLORS[i % TRIAL_COLORS.length];
      const width = t.n === picked ? 3.2 : 1.6;
      keys.forEach((key, k) => {
        const column = t.history.values[key];
        if (!column) return;
        const points = t.history.epoch.map((epoch, j) => [epoch, num(column[j])]);
        points.forEach((p) => values.push(p[1]));
        series.push({
          id: key + ':' + t.n,
          name: 'trial ' + t.n + (t.n === picked ? ' (picked)' : ''),
          type: 'line',
          data: points,
          showSymbol: points.length < 40,
          symbolSize: 4,
          lineStyle: { color, width, type: k === 0 ? 'solid' : 'dashed' },
          itemStyle: { color },
          z: t.n === picked ? 5 : 2,
        });
      });
    });
    // An exploding trial's loss can reach 1e10 while the others stay near 0.1.
    const log = wantsLog(values, 1e3);
    for (const s of series) s.data = s.data.map((p) => (log ? logPoint(p[0], p[1]) : [p[0], p[1] === null ? '-' : p[1]]));
    const finite = values.filter((v) => v !== null && v > 0);
    const yAxis = log
      ? decadeAxis(Math.floor(Math.log10(Math.min(...finite))), Math.ceil(Math.log10(Math.max(...finite))), { name: 'log scale' })
      : Object.assign({ type: 'value', scale: true }, AXIS);
    return {
      title: { text: title, subtext: subtitle, left: 0, top: 0, textStyle: { fontSize: 13, fontWeight: 600 }, subtextStyle: { fontSize: 11 } },
      legend: { top: 0, right: 0, type: 'scroll', width: '60%' },
      grid: { left: 56, right: 20, top: 58, bottom: 40 },
      xAxis: Object.assign({ type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 24, minInterval: 1, scale: true }, AXIS),
      yAxis,
      tooltip: {
        trigger: 'axis',
        confine: true,
        formatter: (items) => {
          const list = [].concat(items);
          const epoch = list.length > 0 ? list[0].value[0] : '';
          return tip('epoch ' + epoch, list.map((p) => [p.seriesName.replace(' (picked)', '') + ' ' + p.seriesId.split(':')[0], fmt(pointValue(p))]));
        },
      },
      series,
    };
  }

  function learningCurves() {
    const lossEl = document.getElementById('chart-loss');
    if (!lossEl) return;
    const metricEl = document.getElementById('chart-metric');
    const pair = data.metric;
    const loss = chart(lossEl, curveOption(['loss', 'val_loss'], 'loss', 'solid: training · dashed: validation'));
    const other = chart(
      metricEl,
      pair ? curveOption([pair.train, pair.val], pair.train, 'solid: training · dashed: validation') : { title: { text: 'no metric besides the loss was recorded', left: 'center', top: 'middle', textStyle: { fontSize: 13, color: '#5d6675' } } },
    );
    pickListeners.push(() => {
      loss.setOption(curveOption(['loss', 'val_loss'], 'loss', 'solid: training · dashed: validation'), { notMerge: true });
      if (pair) other.setOption(curveOption([pair.train, pair.val], pair.train, 'solid: training · dashed: validation'), { notMerge: true });
    });
  }

  // Epochs are numbered across a chain of promotions: a promoted trial trains, say, 10–27.
  function epochsFact(t) {
    const from = t.fromEpoch || 0;
    if (from === 0) return t.epochs + ' epoch' + (t.epochs === 1 ? '' : 's');
    if (t.epochs === 0) return 'no epoch after epoch ' + from;
    return t.epochs === 1 ? 'epoch ' + (from + 1) : 'epochs ' + (from + 1) + '–' + (from + t.epochs);
  }

  function pickedCard() {
    const card = document.getElementById('picked-card');
    if (!card) return;
    function render(n) {
      card.replaceChildren();
      const t = byNumber.get(n);
      if (!t) {
        card.append(h('div', { text: 'No trial picked.' }));
        return;
      }
      const facts = [
        t.status + (t.rank !== null ? ', rank ' + t.rank : ''),
        t.scoreText ? metric + ' ' + t.scoreText + (t.bestEpoch !== null ? ' at epoch ' + t.bestEpoch : '') : null,
        epochsFact(t),
        t.seconds !== null ? t.seconds.toFixed(1) + ' s' : null,
        t.parent !== null ? 'continues trial ' + t.parent + ' from epoch ' + t.fromEpoch : null,
        t.repairs !== null ? 'repairs ' + t.repairs : null,
        // The algorithm's slot, read from its fields (Hyperband: iteration, bracket, round).
        t.slot ? Object.keys(t.slot).map((k) => k + ' ' + t.slot[k]).join(', ') : null,
        'gradients: ' + t.verdictText,
      ].filter((x) => x !== null);
      card.append(h('div', { class: 'title' }, ['Picked trial ' + t.n + ': ', h('span', { text: facts.join(' · ') })]));
      const params = h('div', { class: 'params' });
      for (const [name, value] of Object.entries(t.params)) params.append(h('span', {}, [h('span', { class: 'k', text: name + ' ' }), String(value)]));
      card.append(params);
      // Findings, their evidence and the remedies the trial's space offers, as `report --trial` lists them.
      if (t.findings.length > 0) {
        const list = h('div', { class: 'findings' });
        for (const [label, text] of t.findings) {
          const sub = label.startsWith('  ');
          list.append(h('div', { class: sub ? 'finding-detail' : 'finding' }, [h('span', { class: 'k', text: label.trim() + ': ' }), text]));
        }
        card.append(list);
      }
      if (t.pruned) card.append(h('div', { class: 'pruned', text: 'pruned at epoch ' + t.pruned.epoch + ': ' + t.pruned.rule }));
      if (t.error) card.append(h('pre', { text: t.error }));
    }
    pickListeners.push(render);
    render(picked);
  }

  // ---------------------------------------------------------------- gradient health

  function layerColor(i, count) {
    // Light (first layers) to dark (output): depth reads as colour.
    const f = count <= 1 ? 1 : i / (count - 1);
    const from = [116, 192, 252];
    const to = [24, 35, 94];
    const c = from.map((v, k) => Math.round(v + (to[k] - v) * f));
    return 'rgb(' + c.join(',') + ')';
  }

  function gradientOption(n) {
    const t = byNumber.get(n);
    if (t && !loaded(t)) {
      if (live) want([t.n]);
      return { title: { text: 'trial ' + t.n + ': loading its gradients…', left: 'center', top: 'middle', textStyle: { fontSize: 14, color: '#5d6675' } } };
    }
    const g = t ? t.gradients : null;
    if (!g) {
      return {
        title: {
          text: t ? 'trial ' + t.n + ' has no gradient diagnostics' : 'no trial picked',
          subtext: t ? (t.status === 'failed' ? 'it failed before the monitor recorded an epoch' : 'the monitor recorded no epoch for it') : '',
          left: 'center',
          top: 'middle',
          textStyle: { fontSize: 14, color: '#5d6675' },
        },
      };
    }
    const values = [g.vanishingFloor, g.explodingCeiling];
    const series = g.layers.map((layer, i) => {
      const points = g.epoch.map((epoch, j) => logPoint(epoch, num(g.kernel[i][j])));
      points.forEach((p) => p[2] !== null && values.push(p[2]));
      const color = layerColor(i, g.layers.length);
      return { name: layer, type: 'line', data: points, showSymbol: true, symbolSize: 5, lineStyle: { width: 1.8, color }, itemStyle: { color } };
    });
    const global = g.epoch.map((epoch, j) => logPoint(epoch, num(g.global[j])));
    global.forEach((p) => p[2] !== null && values.push(p[2]));
    series.push({ name: 'global', type: 'line', data: global, symbol: 'none', lineStyle: { width: 2, type: 'dotted', color: '#868e96' }, itemStyle: { color: '#868e96' } });
    // A NaN or infinite reading has no place on the axis; it is marked at the top instead of
    // leaving an exploding trial's chart empty.
    const isNonFinite = (v) => typeof v === 'string';
    const nonFinite = g.epoch
      .map((epoch, j) => ({ epoch, layers: g.layers.filter((_, i) => isNonFinite(g.kernel[i][j])).concat(isNonFinite(g.global[j]) ? ['global'] : []) }))
      .filter((x) => x.layers.length > 0);
    const marks = [
      { yAxis: Math.log10(g.vanishingFloor), lineStyle: { color: '#1c7ed6', type: 'dashed', width: 1.5 }, label: { formatter: 'vanishing floor ' + fmt(g.vanishingFloor), position: 'insideStartBottom', color: '#1c7ed6' } },
      { yAxis: Math.log10(g.explodingCeiling), lineStyle: { color: '#e03131', type: 'dashed', width: 1.5 }, label: { formatter: 'exploding ceiling ' + fmt(g.explodingCeiling), position: 'insideStartTop', color: '#e03131' } },
    ];
    if (g.verdictEpoch !== null && t.verdict !== 'healthy') {
      marks.push({ xAxis: g.verdictEpoch, lineStyle: { color: '#e8590c', type: 'solid', width: 1 }, label: { formatter: t.verdict + ' at epoch ' + g.verdictEpoch, position: 'end', color: '#e8590c' } });
    }
    series[0].markLine = { symbol: 'none', silent: true, data: marks };
    // A decade of room beyond the data and both thresholds, so no line sits on the frame.
    const lo = Math.floor(Math.log10(Math.min(...values))) - 1;
    const hi = Math.ceil(Math.log10(Math.max(...values))) + 1;
    if (nonFinite.length > 0) {
      series.push({
        name: 'NaN or ∞',
        type: 'scatter',
        data: nonFinite.map((x) => ({ value: [x.epoch, hi - 0.5], layers: x.layers })),
        symbol: 'triangle',
        symbolSize: 12,
        itemStyle: { color: '#e03131' },
      });
    }
    const partial = g.partial.length > 0 ? '; epoch ' + g.partial.join(', ') + ' did not end (checks so far)' : '';
    const epochs = g.epoch.length > 0 ? [Math.min(...g.epoch), Math.max(...g.epoch)] : [0, 1];
    return {
      title: { text: 'trial ' + t.n + ': ' + t.verdictText, subtext: t.status + partial, left: 0, top: 0, textStyle: { fontSize: 13, fontWeight: 600, width: 900, overflow: 'truncate' }, subtextStyle: { fontSize: 11 } },
      legend: { type: 'scroll', bottom: 0 },
      grid: { left: 76, right: 24, top: 52, bottom: 64 },
      // One epoch of margin either side: a trial rejected in its first epoch is one point.
      xAxis: Object.assign({ type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 24, minInterval: 1, min: Math.max(0, epochs[0] - 1), max: epochs[1] + 1 }, AXIS),
      yAxis: decadeAxis(lo, hi, { name: 'kernel-gradient L2 norm (log scale)', nameLocation: 'middle', nameGap: 52 }),
      tooltip: {
        trigger: 'axis',
        confine: true,
        formatter: (items) => {
          const list = [].concat(items);
          return tip(
            'trial ' + t.n + ', epoch ' + (list.length > 0 ? list[0].value[0] : ''),
            list.map((p) => (p.data && p.data.layers ? ['not finite', p.data.layers.join(', ')] : [p.seriesName, fmt(pointValue(p))])),
          );
        },
      },
      series,
    };
  }

  function gradientChart() {
    const el = document.getElementById('chart-gradients');
    if (!el) return;
    const instance = chart(el, gradientOption(picked));
    pickListeners.push((n) => instance.setOption(gradientOption(n), { notMerge: true }));
  }

  let rejectionParam = null;

  function rejectionCharts() {
    const reasonsEl = document.getElementById('chart-reasons');
    if (!reasonsEl) return;
    const r = data.rejections;
    const reasons = r.byReason.slice().reverse();
    chart(reasonsEl, {
      title: { text: 'by reason', left: 0, top: 0, textStyle: { fontSize: 13, fontWeight: 600 } },
      grid: { left: 16, right: 80, top: 34, bottom: 28, containLabel: true },
      xAxis: Object.assign({ type: 'value', name: 'trials', minInterval: 1 }, AXIS),
      yAxis: Object.assign({ type: 'category', data: reasons.map((x) => x.reason), axisTick: { show: false } }, AXIS),
      tooltip: { trigger: 'item', confine: true, formatter: (p) => tip(p.name, [['trials', p.value], ['share of rejections', Math.round((100 * p.value) / r.rejected) + '%']]) },
      series: [
        {
          type: 'bar',
          data: reasons.map((x) => x.count),
          barMaxWidth: 28,
          itemStyle: { color: STATUS_COLOR.rejected },
          label: { show: true, position: 'right', formatter: (p) => p.value + ' (' + Math.round((100 * p.value) / r.rejected) + '%)' },
        },
      ],
    });

    const select = document.getElementById('rejection-param');
    const byValueEl = document.getElementById('chart-rejections-by-value');
    const params = r.byParam.filter((p) => p.values.length > 0);
    if (params.length === 0) {
      select.disabled = true;
      chart(byValueEl, { title: { text: 'no hyperparameter varies between trials', left: 'center', top: 'middle', textStyle: { fontSize: 13, color: '#5d6675' } } });
      return;
    }
    // The data lists parameters by how strongly rejection depends on them: start with the
    // first, or the one the reader chose before a live update.
    let current = params.find((p) => p.name === rejectionParam) || params[0];
    select.disabled = false;
    select.replaceChildren(...params.map((p) => h('option', { value: p.name, text: p.name, selected: p === current })));
    const instance = chart(byValueEl, byValueOption(current));
    select.onchange = () => {
      current = params.find((p) => p.name === select.value) || current;
      rejectionParam = current.name;
      instance.setOption(byValueOption(current), { notMerge: true });
    };

    function byValueOption(p) {
      return {
        title: { text: '% of finished trials rejected, by ' + p.name, left: 0, top: 0, textStyle: { fontSize: 13, fontWeight: 600 } },
        grid: { left: 16, right: 16, top: 40, bottom: 24, containLabel: true },
        xAxis: Object.assign({}, AXIS, { type: 'category', data: p.values.map((v) => v.label), axisLabel: { interval: 0, rotate: p.values.length > 5 ? 30 : 0, color: '#495057' } }),
        yAxis: Object.assign({ type: 'value', max: 100 }, AXIS),
        tooltip: { trigger: 'item', confine: true, formatter: (x) => tip(p.name + ' = ' + x.name, [['rejected', p.values[x.dataIndex].rejected + ' of ' + p.values[x.dataIndex].trials + ' finished trials']]) },
        series: [
          {
            type: 'bar',
            barMaxWidth: 36,
            data: p.values.map((v) => Math.round((1000 * v.rejected) / v.trials) / 10),
            itemStyle: { color: STATUS_COLOR.rejected },
            label: { show: true, position: 'top', formatter: (x) => p.values[x.dataIndex].rejected + '/' + p.values[x.dataIndex].trials },
          },
        ],
      };
    }
  }

  // ---------------------------------------------------------------- hyperparameter effects

  function importanceChart() {
    const el = document.getElementById('chart-importance');
    if (!el) return;
    const items = data.importance.items.slice().reverse();
    el.style.height = Math.max(180, 26 * items.length + 60) + 'px';
    chart(el, {
      grid: { left: 16, right: 90, top: 10, bottom: 34, containLabel: true },
      xAxis: Object.assign({ type: 'value', name: 'ε², % of score variance', nameLocation: 'middle', nameGap: 24, max: (v) => Math.max(10, Math.ceil(v.max / 10) * 10) }, AXIS),
      yAxis: Object.assign({ type: 'category', data: items.map((i) => i.name), axisTick: { show: false } }, AXIS),
      tooltip: {
        trigger: 'item',
        confine: true,
        formatter: (p) => {
          const i = items[p.dataIndex];
          return tip(i.name, [
            ['ε²', i.importance === null ? 'not estimated' : fmt(i.importance)],
            ['groups', i.groups],
            ['configurations', i.trials],
            ['Spearman ρ', i.spearman === null ? '' : fmt(i.spearman)],
            ['note', i.note || ''],
          ]);
        },
      },
      series: [
        {
          type: 'bar',
          barMaxWidth: 20,
          data: items.map((i) => (i.importance === null ? 0 : Math.round(i.importance * 1000) / 10)),
          itemStyle: { color: ACCENT },
          label: { show: true, position: 'right', formatter: (p) => (items[p.dataIndex].importance === null ? 'n/a: ' + items[p.dataIndex].note : p.value + '%'), color: '#495057' },
        },
      ],
    });
  }

  function sliceCharts() {
    const container = document.getElementById('slices');
    if (!container) return;
    const scored = data.trials.filter((t) => t.status === 'completed' && num(t.score) !== null);
    const ranked = data.importance.items.map((i) => i.name);
    const names = ranked.concat(data.params.map((p) => p.name).filter((n) => !ranked.includes(n)));
    const meta = new Map(data.params.map((p) => [p.name, p]));
    // A live update keeps each parameter's chart element (and its chart), in the new order.
    const kept = new Map([...container.children].map((box) => [box.firstChild.getAttribute('data-param'), box]));
    const boxes = [];
    for (const name of names) {
      const p = meta.get(name);
      if (!p) continue;
      const box = kept.get(name) || h('div', { class: 'slice' }, [h('div', { class: 'chart', 'data-param': name })]);
      boxes.push(box);
      later(() => sliceChart(box.firstChild, p, scored));
    }
    container.replaceChildren(...boxes);
  }

  function sliceChart(el, p, scored) {
    const present = scored.filter((t) => Object.prototype.hasOwnProperty.call(t.params, p.name));
    let xAxis;
    let point;
    if (p.numeric) {
      xAxis = Object.assign({ type: p.log ? 'log' : 'value', scale: true, name: p.name, nameLocation: 'middle', nameGap: 26 }, AXIS, { axisLabel: { formatter: (v) => fmt(v), color: '#495057', hideOverlap: true } });
      point = (t) => t.params[p.name];
    } else {
      // Categories in a stable order: numbers ascending, then false/true, then words.
      const values = [...new Set(present.map((t) => t.params[p.name]))].sort((a, b) => {
        const kind = (v) => (typeof v === 'number' ? 0 : typeof v === 'boolean' ? 1 : 2);
        return kind(a) - kind(b) || (typeof a === 'number' ? a - b : String(a).localeCompare(String(b)));
      });
      const labels = values.map((v) => String(v));
      xAxis = Object.assign({ type: 'category', data: labels, name: p.name, nameLocation: 'middle', nameGap: 26 }, AXIS, { axisLabel: { interval: 0, hideOverlap: true, color: '#495057' } });
      point = (t) => String(t.params[p.name]);
    }
    const instance = chart(el, {
      grid: { left: 52, right: 16, top: 16, bottom: 44 },
      xAxis,
      // The y axis is the objective in every slice; the section's text says so.
      yAxis: Object.assign({ type: 'value', scale: true }, AXIS),
      // Points are [value, score, trial]: plain arrays, drawn in large mode when there are many.
      tooltip: { trigger: 'item', confine: true, formatter: (x) => trialTip(byNumber.get(x.value[2]), [[p.name, paramText(byNumber.get(x.value[2]), p.name)]]) },
      series: [
        {
          type: 'scatter',
          data: present.map((t) => [point(t), t.score, t.n]),
          large: true,
          largeThreshold: 2000,
          symbolSize: 7,
          itemStyle: { color: ACCENT, opacity: 0.65 },
        },
        // The best trial again, larger, on top.
        {
          type: 'scatter',
          data: present.filter((t) => t.n === data.best).map((t) => [point(t), t.score, t.n]),
          symbolSize: 13,
          itemStyle: { color: '#f08c00', borderColor: '#1d2330', borderWidth: 1 },
          z: 3,
        },
      ],
    });
    instance.on('click', (x) => pick(x.value[2]));
  }

  // ---------------------------------------------------------------- Hyperband

  function hyperbandView() {
    const container = document.getElementById('brackets');
    if (!container || !data.hyperband) return;
    const hb = data.hyperband;
    const children = new Map();
    for (const t of data.trials) if (t.parent !== null) children.set(t.parent, (children.get(t.parent) || []).concat(t.n));
    const keptCharts = new Map([...container.querySelectorAll('[data-bracket]')].map((el) => [el.getAttribute('data-bracket'), el]));
    const blocks = [];
    for (const b of hb.brackets) {
      const title = (hb.iterations > 1 ? 'iteration ' + b.iteration + ', ' : '') + 'bracket ' + b.bracket;
      const run = b.rounds.reduce((a, r) => a + r.trials.length, 0);
      const planned = b.rounds.reduce((a, r) => a + r.planned, 0);
      const chartEl = keptCharts.get(b.iteration + ':' + b.bracket) || h('div', { class: 'chart', 'data-bracket': b.iteration + ':' + b.bracket });
      const table = h('table', { class: 'rounds' }, [
        h('thead', {}, [h('tr', {}, [h('th', { text: 'round' }), h('th', { text: 'epochs' }), h('th', { text: 'trials run / planned' }), h('th', { text: 'trials (promoted in green)' })])]),
      ]);
      const body = h('tbody');
      for (const r of b.rounds) {
        const buttons = h('td');
        for (const n of r.trials) {
          const t = byNumber.get(n);
          const promoted = r.promoted.includes(n);
          const next = children.get(n) || [];
          const label = 'trial ' + n + ': ' + t.status + (t.scoreText ? ' ' + metric + ' ' + t.scoreText : '') + (next.length > 0 ? ', promoted to #' + next.join(', #') : '');
          buttons.append(h('button', { class: 't ' + t.status + (promoted ? ' promoted' : ''), type: 'button', title: label, text: '#' + n, on: { click: () => pick(n) } }));
        }
        body.append(h('tr', {}, [h('td', { class: 'num', text: String(r.round) }), h('td', { class: 'num', text: r.fromEpoch + '→' + r.toEpoch }), h('td', { class: 'num', text: r.trials.length + ' / ' + r.planned }), buttons]));
      }
      table.append(body);
      blocks.push(h('div', { class: 'bracket' }, [h('h3', { text: title + ' — ' + run + ' of ' + planned + ' trials' }), chartEl, table]));
      later(() => bracketChart(chartEl, b, children));
    }
    container.replaceChildren(...blocks);
  }

  function bracketChart(el, b, children) {
    const inBracket = b.rounds.flatMap((r) => r.trials.map((n) => byNumber.get(n)));
    const at = (t) => (t.toEpoch !== null ? t.toEpoch : t.fromEpoch + t.epochs);
    const scored = inBracket.filter((t) => num(t.score) !== null);
    const links = [];
    for (const t of scored) {
      const parent = t.parent !== null ? byNumber.get(t.parent) : null;
      if (parent && num(parent.score) !== null) links.push({ coords: [[at(parent), parent.score], [at(t), t.score]] });
    }
    const byStatus = new Map();
    for (const status of Object.keys(STATUS_COLOR)) {
      const trials = scored.filter((t) => t.status === status);
      if (trials.length > 0) byStatus.set(status, trials);
    }
    const series = [{ type: 'lines', coordinateSystem: 'cartesian2d', data: links, silent: true, lineStyle: { color: '#2b8a3e', width: 1.2, opacity: 0.6 }, z: 1 }];
    for (const [status, trials] of byStatus) {
      series.push({
        name: status,
        type: 'scatter',
        data: trials.map((t) => ({
          value: [at(t), t.score],
          trial: t.n,
          itemStyle: children.has(t.n) ? { borderColor: '#1d2330', borderWidth: 1.5 } : undefined,
        })),
        symbol: STATUS_SYMBOL[status] || 'circle',
        symbolSize: 9,
        itemStyle: { color: STATUS_COLOR[status] || STATUS_COLOR.pruned, opacity: 0.85 },
        z: 3,
      });
    }
    const epochs = b.rounds.map((r) => r.toEpoch);
    const logAxis = data.hyperband.factor !== null && epochs.length > 1 && Math.min(...epochs) > 0;
    const instance = chart(el, {
      grid: { left: 52, right: 20, top: 24, bottom: 40 },
      legend: { top: 0, right: 0, data: [...byStatus.keys()] },
      xAxis: Object.assign(
        logAxis
          ? { type: 'log', logBase: data.hyperband.factor, min: Math.min(...epochs), max: Math.max(...epochs) }
          : { type: 'value', min: 0, max: Math.max(1, ...epochs) },
        { name: 'epochs trained (round end)', nameLocation: 'middle', nameGap: 24 },
        AXIS,
      ),
      yAxis: Object.assign({ type: 'value', scale: true, name: metric }, AXIS),
      tooltip: {
        trigger: 'item',
        confine: true,
        formatter: (p) => {
          if (!p.data || p.data.trial === undefined) return '';
          const t = byNumber.get(p.data.trial);
          const next = children.get(t.n) || [];
          return trialTip(t, [
            ['epochs', t.fromEpoch + '→' + at(t)],
            ['continues', t.parent !== null ? '#' + t.parent : ''],
            ['promoted to', next.length > 0 ? '#' + next.join(', #') : ''],
          ]);
        },
      },
      series,
    });
    if (scored.length === 0) instance.setOption({ title: { text: 'no trial of this bracket has a score yet', left: 'center', top: 'middle', textStyle: { fontSize: 13, color: '#5d6675' } } });
    instance.on('click', (p) => {
      if (p.data && p.data.trial !== undefined) pick(p.data.trial);
    });
  }

  // ---------------------------------------------------------------- start

  /**
   * Draws the page from `data`. `studyWide` false (a live update that brought no new
   * study-wide views and rewrote none of their sections) leaves the rejection, importance,
   * slice and Hyperband charts as they are: the server recomputes what they show at most
   * every few seconds on a large study, and redrawing 10,000 points each second for nothing
   * would take the machine from the search.
   */
  function renderAll(studyWide) {
    byNumber = new Map(data.trials.map((t) => [t.n, t]));
    metric = data.study.metric;
    // The first trial of a study that had none: pick it as the report would.
    if (picked === null || !byNumber.has(picked)) picked = initialPick();
    pickListeners = [showPickedLabel];
    showPickedLabel(picked);
    // In page order, so what is on screen first is drawn first.
    leaderboard();
    later(historyChart);
    later(pickedCard);
    later(learningCurves);
    later(gradientChart);
    if (studyWide !== false) {
      later(rejectionCharts);
      later(importanceChart);
      later(sliceCharts);
      later(hyperbandView);
    }
    later(pruneCharts);
  }

  // ---------------------------------------------------------------- live (dashboard only)

  let version = live ? live.version : null;
  let sectionsHash = live ? live.sectionsHash : null;
  const sectionHashes = new Map(live ? Object.entries(live.sectionHashes) : []);
  const wanted = new Set();
  let fetching = false;

  /** Element by element: the order of TrialView.sortKey (the ranking, computed by the server). */
  function compareKeys(a, b) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = (a[i] === undefined ? 0 : a[i]) - (b[i] === undefined ? 0 : b[i]);
      if (d !== 0) return d;
    }
    return 0;
  }

  /** Asks the server for the full views (curves, gradients) of trials about to be shown. */
  function want(numbers) {
    for (const n of numbers) {
      const t = byNumber.get(n);
      if (t && !loaded(t)) wanted.add(n);
    }
    if (wanted.size > 0 && !fetching) setTimeout(fetchWanted, 0);
  }

  async function fetchWanted() {
    if (fetching || wanted.size === 0) return;
    fetching = true;
    const numbers = [...wanted].slice(0, 20);
    numbers.forEach((n) => wanted.delete(n));
    try {
      const res = await fetch(live.trials + '?study=' + live.study + '&n=' + numbers.join(','), { cache: 'no-store' });
      if (res.ok) {
        const body = await res.json();
        for (const t of body.trials || []) {
          const current = byNumber.get(t.n);
          if (current) Object.assign(current, t, { rank: current.rank });
        }
        // Redraw what follows the picked trial: the curves, the gradient chart, the card.
        for (const listener of pickListeners) listener(picked);
      }
    } catch (err) {
      setStatus('could not fetch trials ' + numbers.join(', ') + ': ' + err.message);
    }
    fetching = false;
    if (wanted.size > 0) setTimeout(fetchWanted, 0);
  }

  function setStatus(text) {
    const el = document.getElementById('live-status');
    if (el) el.textContent = text;
  }

  /** Rewrites the sections whose text changed; returns their ids. */
  function replaceSections(sections) {
    const replaced = [];
    const main = document.querySelector('main');
    for (const section of sections) {
      if (sectionHashes.get(section.id) === section.hash) continue;
      sectionHashes.set(section.id, section.hash);
      replaced.push(section.id);
      const el = document.getElementById(section.id);
      if (section.html === '') {
        if (el) el.remove();
        continue;
      }
      // The server's own HTML, every user string in it escaped there; the CSP runs no
      // script in it even if escaping failed.
      const template = document.createElement('template');
      template.innerHTML = section.html;
      if (el) el.replaceWith(template.content);
      else main.append(template.content);
    }
    return replaced;
  }

  function apply(u) {
    const replaced = u.sections ? replaceSections(u.sections) : [];
    sectionsHash = u.sectionsHash;
    if (u.aggregates) Object.assign(data, u.aggregates);
    const index = new Map(data.trials.map((t, i) => [t.n, i]));
    for (const t of u.trials) {
      const i = index.get(t.n);
      if (i === undefined) {
        index.set(t.n, data.trials.length);
        data.trials.push(t);
      } else data.trials[i] = t;
    }
    data.best = u.best;
    data.top = u.top;
    data.trials.sort((a, b) => compareKeys(a.sortKey, b.sortKey));
    let rank = 0;
    for (const t of data.trials) t.rank = t.sortKey[0] === 0 ? ++rank : null;
    version = u.version;
    renderAll(Boolean(u.aggregates) || replaced.some((id) => id === 'gradients' || id === 'effects' || id === 'hyperband'));
  }

  function showGone(gone) {
    const banner = document.getElementById('gone-banner');
    banner.replaceChildren(
      h('b', { text: 'This study is gone: ' }),
      gone.reason + ' What is shown is its last state. ',
      h('a', { href: live.home, text: 'all studies' }),
    );
    banner.hidden = false;
    document.body.setAttribute('data-gone', 'true');
    setStatus('study gone');
  }

  async function poll() {
    let delay = live.interval;
    try {
      const shown = data.top.concat(picked === null ? [] : [picked]);
      const query = '?since=' + version + '&sections=' + encodeURIComponent(sectionsHash) + '&server=' + encodeURIComponent(live.server) + '&study=' + live.study + '&show=' + shown.join(',');
      const res = await fetch(live.updates + query, { cache: 'no-store' });
      if (!res.ok) throw new Error('the server answered ' + res.status);
      const u = await res.json();
      if (u.gone) {
        showGone(u.gone);
        return; // nothing more will come
      }
      // A dashboard restarted since the page was loaded numbers its versions afresh.
      if (u.restarted) {
        location.reload();
        return;
      }
      if (u.version !== version) apply(u);
      setStatus('live · checked ' + new Date().toLocaleTimeString());
    } catch (err) {
      setStatus('the dashboard is not answering (' + err.message + '); retrying');
      delay = Math.max(delay, 3000);
    }
    setTimeout(poll, delay);
  }

  renderAll();
  if (live) setTimeout(poll, live.interval);

  // For anyone scripting the page (and the browser tests): pick a trial by number.
  window.gradtuneReport = { pick, picked: () => picked };
})();
