// Relay Guard quarantine review page. Plain JavaScript, no library, nothing fetched but webadmin's
// own API on this origin.
//
// Every value that comes from a mail (subject, addresses, header values, X-OriginatorOrg) is
// attacker-controlled: it is only ever written with textContent / createTextNode, never as HTML.
// The webadmin token lives in this tab's sessionStorage only and goes out as Authorization: Bearer.
'use strict';

(function () {
  var TOKEN_KEY = 'relayguard.webadmin.token';
  var REPOSITORY = 'var/mail/m365-relaydeny';
  var RELEASE_PROCESSOR = 'm365_release';
  var state = { filter: {}, listing: null, report: null, opened: null, period: 'hour' };

  function $(id) { return document.getElementById(id); }

  // Builds an element; strings among the children become text nodes, never markup.
  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
    });
    return node;
  }

  function text(value) { return value === null || value === undefined ? '-' : String(value); }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  function time(instant) { return instant ? String(instant).replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace('Z', '') : '-'; }

  function status(message, isError) {
    $('status').textContent = message;
    $('status').className = isError ? 'error' : '';
  }

  function token() { return window.sessionStorage.getItem(TOKEN_KEY); }

  function encoded() { return encodeURIComponent(REPOSITORY); }

  function Unauthorized(message) { this.message = message; }

  // Every call to webadmin: the token, when there is one, with each request.
  function api(method, path, expected) {
    var headers = { 'Accept': 'application/json' };
    if (token()) { headers.Authorization = 'Bearer ' + token(); }
    return fetch(path, { method: method, headers: headers, credentials: 'omit', cache: 'no-store' }).then(function (response) {
      if (response.status === 401) {
        return response.text().then(function (body) { throw new Unauthorized(body); });
      }
      if (response.status !== expected) {
        return response.text().then(function (body) {
          throw new Error(method + ' ' + path + ' answered ' + response.status + ': ' + body.slice(0, 300));
        });
      }
      return response.status === 204 ? null : response.json();
    });
  }

  // Without a valid token nothing of the quarantine stays on the page.
  function askForToken(reason) {
    $('content').hidden = true;
    $('gateway').hidden = true;
    [ 'by-rule', 'by-condition', 'by-tenant', 'suggestions', 'suspicious', 'strangers', 'unknown-orgs', 'mails', 'envelope', 'headers' ].forEach(function (id) {
      clear($(id).tBodies[0]);
    });
    clear($('chart'));
    $('decision-line').textContent = '';
    $('token-panel').hidden = false;
    $('token-reason').textContent = (token() ? 'Webadmin refused the token (' + reason + '). ' : 'Webadmin asks for a token. ')
      + 'Paste a webadmin JWT (an admin token): the page sends it with every request and keeps it in this tab only.';
    status('', false);
    $('token').focus();
  }

  function failed(error) {
    if (error instanceof Unauthorized) {
      askForToken(error.message);
    } else {
      status(String(error.message || error), true);
    }
  }

  function query(filter) {
    var parts = Object.keys(filter).filter(function (name) { return filter[name]; }).map(function (name) {
      return encodeURIComponent(name) + '=' + encodeURIComponent(filter[name]);
    });
    return parts.length ? '?' + parts.join('&') : '';
  }

  function load() {
    status('Loading…', false);
    return Promise.all([
      api('GET', '/relayguard/quarantine/' + encoded() + '/report?limit=50', 200),
      api('GET', '/relayguard/quarantine/' + encoded() + '/mails' + query(state.filter), 200)
    ]).then(function (answers) {
      state.report = answers[0];
      state.listing = answers[1];
      $('token-panel').hidden = true;
      $('forget-token').hidden = !token();
      render();
      $('content').hidden = false;
      status('', false);
    }).catch(failed);
  }

  function render() {
    var report = state.report;
    var listing = state.listing;
    $('gateway').hidden = false;
    $('mode').textContent = listing.gateway.mode;
    $('mode').className = 'badge ' + listing.gateway.mode;
    $('profile').textContent = listing.gateway.profile;
    $('repository-name').textContent = report.repository;
    $('total').textContent = String(report.mails);
    $('first-seen').textContent = time(report.firstSeen);
    $('last-seen').textContent = time(report.lastSeen);
    $('allowed-orgs').textContent = report.allowedOrgs.values.join(', ') || '-';

    counts($('by-rule'), report.groups.rule.groups.map(function (group) { return [ group.value, group.count ]; }));
    counts($('by-condition'), Object.keys(report.conditions).filter(function (name) { return report.conditions[name] > 0; })
      .map(function (name) { return [ name, report.conditions[name] ]; }));
    counts($('by-tenant'), report.groups.tenant.groups.map(function (group) { return [ group.value, group.count ]; }));
    orgValues($('suggestions'), report.suggestions, 'no suggestion');
    orgValues($('suspicious'), report.suspicious, 'nothing suspicious');
    orgValues($('strangers'), report.strangers, 'no stranger');
    unknownOrgs(report.groups.originatorOrg.groups.filter(function (group) { return group.condition !== 'org-allowed'; }));
    chart();
    mails(listing);
  }

  function counts(table, rows) {
    var body = table.tBodies[0];
    clear(body);
    rows.forEach(function (row) {
      body.appendChild(el('tr', {}, [ el('td', { 'class': 'value' }, [ row[0] === null ? '(none)' : row[0] ]),
        el('td', { 'class': 'count' }, [ row[1] ]) ]));
    });
    if (!rows.length) { body.appendChild(el('tr', {}, [ el('td', { 'class': 'muted' }, [ 'nothing' ]) ])); }
  }

  // The report's not-allowed values with their evidence in words; a what-if for every one, whatever its list.
  function orgValues(table, list, none) {
    var body = table.tBodies[0];
    clear(body);
    list.forEach(function (value) {
      var button = el('button', { type: 'button', 'class': 'what-if' }, [ 'What if' ]);
      button.addEventListener('click', function () { whatIf(value.value); });
      body.appendChild(el('tr', {}, [ el('td', { 'class': 'value' }, [ value.value ]), el('td', { 'class': 'evidence' }, [ value.evidence ]),
        el('td', { 'class': 'count' }, [ value.mails ]), el('td', { 'class': 'count' }, [ value.wouldLetThrough ]), el('td', {}, [ button ]) ]));
    });
    if (!list.length) { body.appendChild(el('tr', {}, [ el('td', { 'class': 'muted' }, [ none ]) ])); }
  }

  function unknownOrgs(groups) {
    var body = $('unknown-orgs').tBodies[0];
    clear(body);
    groups.forEach(function (group) {
      body.appendChild(el('tr', {}, [ el('td', { 'class': 'value' }, [ group.value === null ? '(no header)' : group.value ]),
        el('td', {}, [ text(group.condition) ]), el('td', { 'class': 'count' }, [ group.count ]), el('td', {}, [ time(group.lastSeen) ]) ]));
    });
  }

  function whatIf(values) {
    $('what-if').value = values;
    $('what-if-answer').textContent = 'Asking…';
    api('GET', '/relayguard/quarantine/' + encoded() + '/report?limit=5&whatIf=' + encodeURIComponent(values), 200).then(function (report) {
      var answer = report.whatIf;
      var orgs = answer.groups.originatorOrg.groups.concat(answer.groups.xoorg.groups).map(function (group) {
        return text(group.value) + ' (' + group.count + ')';
      });
      $('what-if-answer').textContent = 'Allowing ' + answer.candidates.join(', ') + ' would have let ' + answer.mails
        + ' quarantined mail' + (answer.mails === 1 ? '' : 's') + ' through; ' + answer.stillDenied + ' would still be denied.'
        + (orgs.length ? ' Let through: ' + orgs.join(', ') + '.' : '');
    }).catch(function (error) {
      $('what-if-answer').textContent = '';
      failed(error);
    });
  }

  // Contiguous buckets (empty hours and days included) from the listing's counts.
  function series() {
    var hourly = state.period === 'hour';
    var step = hourly ? 3600e3 : 86400e3;
    var buckets = hourly ? state.listing.hours : state.listing.days;
    if (!buckets.length) { return []; }
    var counts = {};
    buckets.forEach(function (bucket) { counts[Date.parse(bucket.start)] = bucket.count; });
    var last = Date.parse(buckets[buckets.length - 1].start);
    var first = hourly ? last - 47 * step : Math.max(Date.parse(buckets[0].start), last - 365 * step);
    var points = [];
    for (var t = first; t <= last; t += step) { points.push({ start: t, count: counts[t] || 0 }); }
    return points;
  }

  function chart() {
    var svgNs = 'http://www.w3.org/2000/svg';
    var container = $('chart');
    clear(container);
    var points = series();
    var width = 960;
    var height = 220;
    var left = 40;
    var bottom = 30;
    var svg = document.createElementNS(svgNs, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    svg.setAttribute('role', 'img');
    function add(tag, attributes, content) {
      var node = document.createElementNS(svgNs, tag);
      Object.keys(attributes).forEach(function (name) { node.setAttribute(name, attributes[name]); });
      if (content !== undefined) { node.textContent = content; }
      svg.appendChild(node);
      return node;
    }
    var max = points.reduce(function (m, point) { return Math.max(m, point.count); }, 0);
    add('line', { 'class': 'axis', x1: left, y1: height - bottom, x2: width, y2: height - bottom });
    add('line', { 'class': 'axis', x1: left, y1: 5, x2: left, y2: height - bottom });
    add('text', { x: 2, y: 14 }, String(max));
    add('text', { x: 2, y: height - bottom }, '0');
    if (!points.length) {
      add('text', { x: left + 10, y: height / 2 }, 'no quarantined mail matches');
    }
    var slot = (width - left) / Math.max(points.length, 1);
    var labelEvery = Math.ceil(points.length / 12);
    points.forEach(function (point, i) {
      var barHeight = max ? (height - bottom - 10) * point.count / max : 0;
      var x = left + i * slot + 1;
      var bar = add('rect', { 'class': 'bar', x: x, y: height - bottom - barHeight, width: Math.max(slot - 2, 1), height: barHeight,
        'data-count': point.count });
      var label = new Date(point.start).toISOString().slice(0, state.period === 'hour' ? 13 : 10).replace('T', ' ');
      var title = document.createElementNS(svgNs, 'title');
      title.textContent = label + (state.period === 'hour' ? 'h' : '') + ': ' + point.count;
      bar.appendChild(title);
      if (i % labelEvery === 0) {
        add('text', { x: x, y: height - bottom + 14 }, state.period === 'hour' ? label.slice(5) + 'h' : label.slice(5));
      }
    });
    container.appendChild(svg);
  }

  function mails(listing) {
    $('matched').textContent = listing.matched + ' of ' + listing.mails + ' quarantined mails match; the newest '
      + listing.listed.length + ' are listed.';
    var body = $('mails').tBodies[0];
    clear(body);
    $('select-all').checked = false;
    listing.listed.forEach(function (mail) {
      var select = el('input', { type: 'checkbox', 'class': 'select' });
      select.addEventListener('change', selectionChanged);
      var open = el('button', { type: 'button', 'class': 'open' }, [ 'Open' ]);
      open.addEventListener('click', function () { details(mail.key); });
      var row = el('tr', {}, [ el('td', {}, [ select ]), el('td', {}, [ time(mail.time) ]), el('td', { 'class': 'org' }, [ text(mail.originatorOrg) ]),
        el('td', {}, [ text(mail.senderDomain) ]), el('td', {}, [ text(mail.rule) ]), el('td', {}, [ text(mail.condition) ]),
        el('td', {}, [ text(mail.tenant) ]), el('td', { 'class': 'subject' }, [ text(mail.subject) ]), el('td', {}, [ open ]) ]);
      row.dataset.key = mail.key;
      if (state.opened === mail.key) { row.className = 'opened'; }
      body.appendChild(row);
    });
    selectionChanged();
  }

  function selectedKeys() {
    return Array.prototype.slice.call($('mails').querySelectorAll('tbody input.select')).filter(function (box) { return box.checked; })
      .map(function (box) { return box.closest('tr').dataset.key; });
  }

  function selectionChanged() {
    var count = selectedKeys().length;
    $('delete-selected').disabled = count === 0;
    $('delete-selected').textContent = 'Delete selected' + (count ? ' (' + count + ')' : '');
  }

  function details(key) {
    api('GET', '/relayguard/quarantine/' + encoded() + '/mails/' + encodeURIComponent(key), 200).then(function (mail) {
      state.opened = key;
      $('details-key').textContent = mail.key;
      var envelope = $('envelope').tBodies[0];
      clear(envelope);
      [ [ 'time', time(mail.time) ], [ 'subject', text(mail.subject) ], [ 'sender', text(mail.sender) ],
        [ 'recipients', mail.recipients.join(', ') ], [ 'remote host', text(mail.remoteHost) + ' (' + text(mail.remoteAddr) + ')' ],
        [ 'rule', text(mail.rule) + ' (route ' + text(mail.route) + ')' ], [ 'condition', text(mail.condition) ],
        [ 'tenant', text(mail.tenant) ], [ 'XOORG', text(mail.xoorg) ] ].forEach(function (pair) {
        envelope.appendChild(el('tr', {}, [ el('th', {}, [ pair[0] ]), el('td', {}, [ pair[1] ]) ]));
      });
      $('decision-line').textContent = mail.decisionLine;
      var headers = $('headers').tBodies[0];
      clear(headers);
      mail.headers.forEach(function (header) {
        headers.appendChild(el('tr', {}, [ el('th', {}, [ header.name ]), el('td', {}, [ header.value ]) ]));
      });
      if (mail.headersCut) { headers.appendChild(el('tr', {}, [ el('td', { 'class': 'muted' }, [ 'more headers left out' ]) ])); }
      $('details').hidden = false;
      Array.prototype.forEach.call($('mails').tBodies[0].rows, function (row) { row.className = row.dataset.key === key ? 'opened' : ''; });
      $('details').scrollIntoView();
    }).catch(failed);
  }

  // Release: James's reprocess into m365_release, as the operator guide's curl does; LogDecision
  // there writes the decision=release line.
  function release() {
    var key = state.opened;
    if (!key || !window.confirm('Release mail ' + key + '? It is delivered once through ' + RELEASE_PROCESSOR
        + '. In audit mode it was already relayed: delete it instead.')) {
      return;
    }
    status('Releasing ' + key + '…', false);
    api('PATCH', '/mailRepositories/' + encoded() + '/mails/' + encodeURIComponent(key) + '?action=reprocess&processor='
        + RELEASE_PROCESSOR, 201).then(function (task) {
      return api('GET', '/tasks/' + encodeURIComponent(task.taskId) + '/await?timeout=30s', 200);
    }).then(function (task) {
      if (task.status !== 'completed') { throw new Error('The release task ended ' + task.status); }
      closeDetails();
      return load().then(function () { status('Released ' + key + ' (task ' + task.status + ').', false); });
    }).catch(failed);
  }

  // Delete through Relay Guard's route, which writes the decision=delete line.
  function remove(keys) {
    if (!keys.length || !window.confirm('Delete ' + keys.length + ' mail' + (keys.length === 1 ? '' : 's')
        + ' from the quarantine for good?' + (keys.length === 1 ? ' (' + keys[0] + ')' : ''))) {
      return;
    }
    status('Deleting ' + keys.length + '…', false);
    var done = 0;
    keys.reduce(function (previous, key) {
      return previous.then(function () {
        return api('DELETE', '/relayguard/quarantine/' + encoded() + '/mails/' + encodeURIComponent(key), 204).then(function () { done++; });
      });
    }, Promise.resolve()).then(function () {
      if (keys.indexOf(state.opened) >= 0) { closeDetails(); }
      return load().then(function () { status('Deleted ' + done + ' mail' + (done === 1 ? '' : 's') + '.', false); });
    }).catch(failed);
  }

  function closeDetails() {
    state.opened = null;
    $('details').hidden = true;
  }

  function readFilter() {
    var filter = {};
    Array.prototype.forEach.call($('filter-form').elements, function (input) {
      if (input.name && input.value.trim()) { filter[input.name] = input.value.trim(); }
    });
    return filter;
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('token-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var value = $('token').value.trim();
      $('token').value = '';
      if (value) { window.sessionStorage.setItem(TOKEN_KEY, value); }
      load();
    });
    $('forget-token').addEventListener('click', function () {
      window.sessionStorage.removeItem(TOKEN_KEY);
      askForToken('forgotten');
    });
    $('reload').addEventListener('click', load);
    $('filter-form').addEventListener('submit', function (event) {
      event.preventDefault();
      state.filter = readFilter();
      load();
    });
    $('clear-filter').addEventListener('click', function () {
      $('filter-form').reset();
      state.filter = {};
      load();
    });
    $('what-if-form').addEventListener('submit', function (event) {
      event.preventDefault();
      if ($('what-if').value.trim()) { whatIf($('what-if').value.trim()); }
    });
    Array.prototype.forEach.call(document.querySelectorAll('input[name=period]'), function (radio) {
      radio.addEventListener('change', function () {
        state.period = radio.value;
        if (state.listing) { chart(); }
      });
    });
    $('select-all').addEventListener('change', function () {
      Array.prototype.forEach.call($('mails').querySelectorAll('tbody input.select'), function (box) { box.checked = $('select-all').checked; });
      selectionChanged();
    });
    $('delete-selected').addEventListener('click', function () { remove(selectedKeys()); });
    $('release').addEventListener('click', release);
    $('delete').addEventListener('click', function () { if (state.opened) { remove([ state.opened ]); } });
    $('close-details').addEventListener('click', closeDetails);
    load();
  });
}());
