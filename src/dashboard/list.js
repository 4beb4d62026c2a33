// The dashboard's study list, kept up to date: polls /api/studies and rebuilds the rows.
// Every string from the store is set as text (textContent), never as markup.
(function () {
  'use strict';
  const config = JSON.parse(document.getElementById('list-config').textContent);
  const STATUSES = ['completed', 'rejected', 'running', 'pruned', 'failed', 'stale'];

  function cell(text, cls) {
    const td = document.createElement('td');
    if (cls) td.className = cls;
    td.textContent = text;
    return td;
  }

  function score(v) {
    if (v === null || v === undefined) return '-';
    if (typeof v === 'string') return v;
    return String(Number(v.toPrecision(4)));
  }

  function render(body) {
    const tbody = document.querySelector('#studies tbody');
    const rows = body.studies.map((s) => {
      const tr = document.createElement('tr');
      tr.setAttribute('data-study', s.name);
      const link = document.createElement('a');
      link.href = s.href;
      link.textContent = s.name;
      const name = document.createElement('td');
      name.append(link);
      const total = Object.values(s.counts).reduce((a, b) => a + b, 0);
      const chips = document.createElement('td');
      for (const status of STATUSES) {
        if (!s.counts[status]) continue;
        const chip = document.createElement('span');
        chip.className = 'chip ' + status;
        chip.textContent = s.counts[status] + ' ' + status;
        chips.append(chip, ' ');
      }
      tr.append(name, cell(s.algorithm), cell(s.sampler || ''), cell(s.objective.metric + ' (' + s.objective.direction + ')'), cell(String(total), 'num'), chips, cell(score(s.best), 'num'), cell(s.lastActivity.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')));
      return tr;
    });
    tbody.replaceChildren(...rows);
    const empty = document.getElementById('no-studies');
    if (empty) empty.hidden = body.studies.length > 0;
  }

  async function poll() {
    const status = document.getElementById('live-status');
    try {
      const res = await fetch(config.api, { cache: 'no-store' });
      if (!res.ok) throw new Error('the server answered ' + res.status);
      render(await res.json());
      status.textContent = 'live · checked ' + new Date().toLocaleTimeString();
    } catch (err) {
      status.textContent = 'the dashboard is not answering (' + err.message + '); retrying';
    }
    setTimeout(poll, config.interval);
  }
  setTimeout(poll, config.interval);
})();
