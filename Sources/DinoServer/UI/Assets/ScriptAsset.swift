/// The pages' script (a JavaScript module): draws the page the address names and talks to `/v1`.
enum ScriptAsset {
    static let javascript = #"""
// dinosearch's web interface: one module, no dependencies. Each page is drawn from the address (so reload,
// Back and Forward work) and talks to the JSON API under /v1 with the key the person gave, if the server has one.
const main = document.getElementById('main');
const state = { key: sessionStorage.getItem('dinosearch-key') || '', stats: null };

// ---------- the API ----------

class APIError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

/** fetch() with the key, the API's errors turned into APIError (401: the key dialog, then a retry). */
async function api(path, options = {}, attempts = 0) {
  const headers = new Headers(options.headers || {});
  if (state.key) headers.set('Authorization', 'Bearer ' + state.key);
  const sent = state.key;
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401 && attempts < 5) {
    // Another request may have been given a new key meanwhile: only ask when the key sent is still the one in force.
    if (sent === state.key) await askForKey(state.key ? 'That key was not accepted.' : '');
    return api(path, options, attempts + 1);
  }
  if (!response.ok && response.status !== 202) {
    let code = 'http_' + response.status, message = response.status + ' ' + response.statusText;
    try {
      const body = await response.json();
      if (body && body.error) ({ code, message } = body.error);
    } catch (_) { /* not JSON */ }
    throw new APIError(response.status, code, message);
  }
  return response;
}

const getJSON = async (path) => (await api(path)).json();
const keyPath = (key) => encodeURIComponent(key);

let asking = null;  // one dialog for every request that needs the key
function askForKey(problem) {
  if (asking) return asking;
  const dialog = document.getElementById('key-dialog');
  const input = document.getElementById('key-input');
  document.getElementById('key-error').textContent = problem;
  input.value = '';
  asking = new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      state.key = input.value.trim();
      sessionStorage.setItem('dinosearch-key', state.key);
      asking = null;
      resolve();
    }, { once: true });
    dialog.showModal();
    input.focus();
  });
  return asking;
}

// ---------- small helpers ----------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function showError(where, error) {
  const box = el('p', { class: 'error', role: 'alert', 'data-testid': 'error' }, error.message || String(error));
  where.replaceChildren(box);
}

const baseName = (key) => key.split('/').filter(Boolean).pop() || key;
const folderOf = (key) => { const i = key.lastIndexOf('/'); return i > 0 ? key.slice(0, i) : ''; };
function bytes(n) {
  if (!n) return '';
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return (i ? n.toFixed(1) : n) + ' ' + units[i];
}

/** A stored image's thumbnail; lazy, and a placeholder saying why when the file is gone or changed. */
function thumbnail(key, size = 256, className = 'thumb') {
  const url = `/v1/thumbnails/${keyPath(key)}?size=${size}`;
  // Grid cells get a size before the picture arrives (no layout shift); a large view takes the picture's own.
  const cell = size <= 256;
  const img = el('img', { class: className, alt: baseName(key), decoding: 'async', width: cell ? 256 : null, height: cell ? 192 : null });
  const missing = async () => {
    let message = 'no picture';
    try { await api(url); } catch (error) { message = error.message; }
    const placeholder = el('div', { class: 'missing ' + className, 'data-testid': 'thumb-missing', role: 'img',
      'aria-label': 'No picture: ' + message, title: message }, 'File missing or changed');
    img.replaceWith(placeholder);
  };
  img.addEventListener('error', missing, { once: true });
  if (!state.key) {
    img.loading = 'lazy';
    img.src = url;
  } else {
    // <img src> cannot send the key: fetch it when it comes into view.
    const observer = new IntersectionObserver(async (entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      observer.disconnect();
      try {
        img.src = URL.createObjectURL(await (await api(url)).blob());
      } catch (_) { missing(); }
    }, { rootMargin: '300px' });
    observer.observe(img);
  }
  return img;
}

/** A card for a stored image: thumbnail, score, name, folder, size, and what can be done from it. */
function imageCard(hit, testid) {
  const dims = hit.width && hit.height ? `${hit.width}×${hit.height}` : '';
  return el('li', { class: 'card', 'data-testid': testid, 'data-key': hit.key, 'data-score': hit.score },
    thumbnail(hit.key),
    el('div', { class: 'meta' },
      el('span', { class: 'score', title: 'cosine similarity' }, hit.score.toFixed(3)),
      el('span', { class: 'name' }, baseName(hit.key)),
      el('span', { class: 'folder' }, folderOf(hit.key)),
      el('span', { class: 'muted' }, [dims, bytes(hit.bytes)].filter(Boolean).join(' · ')),
      el('div', { class: 'actions' },
        el('button', { type: 'button', 'data-testid': 'search-similar', 'aria-label': 'Search similar to ' + baseName(hit.key),
          onclick: () => navigate(searchURL({ key: hit.key })) }, 'Similar'),
        el('a', { class: 'button', href: '/maps?key=' + encodeURIComponent(hit.key),
          'aria-label': 'Patch map of ' + baseName(hit.key) }, 'Map'))));
}

function navigate(url) {
  history.pushState(null, '', url);
  route();
}

function searchURL(parameters) {
  const current = new URLSearchParams(location.search);
  const query = new URLSearchParams();
  for (const name of ['key', 'k', 'min_score', 'prefix']) {
    const value = name in parameters ? parameters[name] : current.get(name);
    if (value !== null && value !== undefined && value !== '') query.set(name, value);
  }
  return '/?' + query.toString();
}

function picker(label, onFile) {
  const input = el('input', { type: 'file', id: 'query-file', accept: 'image/*,.heic,.heif,.avif,.jxl,.dng,.cr2,.nef,.arw',
    'data-testid': 'query-file' });
  input.addEventListener('change', () => { if (input.files[0]) onFile(input.files[0]); });
  const zone = el('div', { class: 'drop', 'data-testid': 'drop-zone' },
    el('label', { for: 'query-file' }, label), input,
    el('span', { class: 'muted' }, 'or drop an image here, or paste one'));
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const file = e.dataTransfer.files[0];
    if (file) onFile(file);
  });
  document.onpaste = (e) => {
    const file = [...(e.clipboardData?.files || [])][0];
    if (file) onFile(file);
  };
  return zone;
}

// ---------- pages ----------

async function searchPage() {
  const query = new URLSearchParams(location.search);
  const k = el('input', { type: 'number', id: 'k', min: 1, max: 1000, value: query.get('k') || 24 });
  const minScore = el('input', { type: 'number', id: 'min-score', min: -1, max: 1, step: 0.01, value: query.get('min_score') || '' });
  const prefix = el('input', { type: 'text', id: 'prefix', value: query.get('prefix') || '', placeholder: '/photos/2024/' });
  const preview = el('div', { class: 'preview' });
  const results = el('section', { 'aria-label': 'Results', 'data-testid': 'results' });
  let file = null;

  const options = () => ({ k: k.value, min_score: minScore.value, prefix: prefix.value });
  const run = async () => {
    const key = new URLSearchParams(location.search).get('key');
    if (!file && !key) {
      results.replaceChildren(el('p', { class: 'muted' }, 'Pick, drop or paste a photo to find the photos like it.'));
      return;
    }
    results.replaceChildren(el('p', { class: 'muted', role: 'status' }, 'Searching…'));
    const started = performance.now();
    try {
      let response;
      const o = options();
      if (file) {
        const parameters = new URLSearchParams();
        for (const [name, value] of Object.entries(o)) if (value !== '') parameters.set(name, value);
        response = await api('/v1/search?' + parameters, { method: 'POST', body: file,
          headers: { 'Content-Type': file.type || 'application/octet-stream' } });
      } else {
        const body = { key, k: Number(o.k) || 24 };
        if (o.min_score !== '') body.min_score = Number(o.min_score);
        if (o.prefix) body.prefix = o.prefix;
        response = await api('/v1/search', { method: 'POST', body: JSON.stringify(body),
          headers: { 'Content-Type': 'application/json' } });
      }
      const answer = await response.json();
      const total = performance.now() - started;
      const grid = el('ul', { class: 'grid' }, answer.results.map((hit) => imageCard(hit, 'result')));
      results.replaceChildren(
        el('p', { class: 'summary', role: 'status', 'data-testid': 'took' },
          `${answer.results.length} result${answer.results.length === 1 ? '' : 's'} · search ${answer.took_ms.toFixed(1)} ms on the server, ${total.toFixed(0)} ms in all`),
        answer.results.length ? grid : el('p', {}, 'Nothing scores above the minimum.'));
      // After the next frame: when the grid has been painted (Benchmarks/web reads this mark).
      requestAnimationFrame(() => setTimeout(() => performance.mark('results-painted')));
    } catch (error) {
      showError(results, error);
    }
  };

  const zone = picker('Search by image', (picked) => {
    file = picked;
    preview.replaceChildren(el('img', { src: URL.createObjectURL(picked), alt: 'Query: ' + picked.name }));
    history.pushState(null, '', searchURL({ key: null }));
    run();
  });
  zone.append(preview);
  const key = query.get('key');
  if (key) {
    preview.replaceChildren(thumbnail(key, 256, 'query-thumb'),
      el('span', { 'data-testid': 'query-key' }, 'Photos like ', el('strong', {}, baseName(key))));
  }
  const form = el('form', { class: 'controls', onsubmit: (e) => {
    e.preventDefault();
    if (file) run(); else navigate(searchURL(options()));
  } },
    el('label', { for: 'k' }, 'Results (k)', k),
    el('label', { for: 'min-score' }, 'Minimum score', minScore),
    el('label', { for: 'prefix' }, 'Key or folder prefix', prefix),
    el('button', { type: 'submit', 'data-testid': 'search-button' }, 'Search'));
  main.replaceChildren(el('h1', {}, 'Search'), zone, form, results);
  await run();
}

async function clustersPage() {
  const query = new URLSearchParams(location.search);
  const count = state.stats ? state.stats.images : 0;
  const suggested = Math.max(1, Math.min(count || 1, Math.round(Math.sqrt(count || 1))));
  const clusters = el('input', { type: 'number', id: 'clusters', min: 1, value: query.get('clusters') || suggested });
  const seed = el('input', { type: 'number', id: 'seed', value: query.get('seed') || 1 });
  const offset = Number(query.get('offset') || 0);
  const body = el('section', { 'aria-label': 'Clusters', 'data-testid': 'cluster-list' });
  const members = el('section', { class: 'members', 'aria-label': 'Members', tabindex: -1 });
  const form = el('form', { class: 'controls', onsubmit: (e) => {
    e.preventDefault();
    navigate(`/clusters?clusters=${clusters.value}&seed=${seed.value}`);
  } },
    el('label', { for: 'clusters' }, 'Clusters', clusters),
    el('label', { for: 'seed' }, 'Seed', seed),
    el('button', { type: 'submit' }, 'Cluster'));
  main.replaceChildren(el('h1', {}, 'Clusters'), form, body, members);
  if (!count) { body.replaceChildren(el('p', {}, 'The store is empty.')); return; }

  const limit = 24;
  const parameters = `clusters=${clusters.value}&seed=${seed.value}`;
  const here = location.href;
  for (;;) {
    let response;
    try {
      response = await api(`/v1/clusters?${parameters}&offset=${offset}&limit=${limit}`);
    } catch (error) { showError(body, error); return; }
    if (location.href !== here) return;  // the person went elsewhere meanwhile
    const answer = await response.json();
    if (response.status === 202) {
      const p = answer.progress;
      const bar = el('progress', { 'data-testid': 'progress', max: p ? p.total : 1, value: p ? p.done : 0,
        'aria-label': 'k-means progress' });
      body.replaceChildren(el('p', { role: 'status' }, p ? `k-means: ${p.stage} ${p.done} of ${p.total}…` : 'k-means starting…'), bar);
      await new Promise((resolve) => setTimeout(resolve, 400));
      continue;
    }
    const open = async (card, start = 0) => {
      try {
        const page = await getJSON(`/v1/clusters/members?${parameters}&cluster=${card.cluster}&offset=${start}&limit=60`);
        const list = el('ul', { class: 'grid' }, page.members.map((m) => imageCard(m, 'member')));
        const more = start + page.members.length < page.size;
        members.replaceChildren(
          el('h2', {}, `Cluster ${card.cluster}: ${page.size} images, mean cosine ${page.mean_score.toFixed(3)}`),
          list,
          el('div', { class: 'pager' },
            start > 0 ? el('button', { type: 'button', onclick: () => open(card, Math.max(0, start - 60)) }, 'Previous') : null,
            el('span', { class: 'muted' }, `${start + 1}–${start + page.members.length} of ${page.size}`),
            more ? el('button', { type: 'button', onclick: () => open(card, start + 60) }, 'Next') : null));
        members.focus();
      } catch (error) { showError(members, error); }
    };
    const cards = answer.cards.map((card) => el('li', { class: 'card cluster-card', 'data-testid': 'cluster',
      'data-size': card.size, 'data-cluster': card.cluster },
      el('div', { class: 'mosaic' }, card.images.map((m) => thumbnail(m.key, 256, 'tile'))),
      el('div', { class: 'meta' },
        el('span', { class: 'name' }, `${card.size} image${card.size === 1 ? '' : 's'}`),
        el('span', { class: 'muted' }, `mean cosine ${card.mean_score.toFixed(3)}`)),
      el('button', { type: 'button', class: 'open', 'data-testid': 'open-cluster', onclick: () => open(card) },
        `Open cluster ${card.cluster}`)));
    const pager = el('div', { class: 'pager' },
      offset > 0 ? el('a', { href: `/clusters?${parameters}&offset=${Math.max(0, offset - limit)}` }, 'Previous clusters') : null,
      el('span', { class: 'muted' }, `clusters ${offset + 1}–${offset + answer.cards.length} of ${answer.clusters}, largest first`),
      offset + limit < answer.clusters ? el('a', { href: `/clusters?${parameters}&offset=${offset + limit}` }, 'Next clusters') : null);
    body.replaceChildren(el('p', { class: 'summary' }, `${answer.images} images in ${answer.clusters} clusters`),
      el('ul', { class: 'grid' }, cards), pager);
    requestAnimationFrame(() => setTimeout(() => performance.mark('clusters-painted')));
    return;
  }
}

async function mapsPage() {
  const query = new URLSearchParams(location.search);
  const resolution = el('select', { id: 'resolution' }, [224, 448, 672, 896].map((r) =>
    el('option', { value: r, selected: String(r) === (query.get('resolution') || '448') }, `${r} px`)));
  const threshold = el('input', { type: 'number', id: 'threshold', step: 0.5, value: query.get('threshold') || 0 });
  const opacity = el('input', { type: 'range', id: 'opacity', min: 0, max: 100, value: 60, 'data-testid': 'opacity' });
  const out = el('section', { 'aria-label': 'Patch map', 'data-testid': 'map-view' });
  let file = null;
  const key = query.get('key');

  const draw = async () => {
    if (!file && !key) {
      out.replaceChildren(el('p', { class: 'muted' }, 'Pick or drop an image, or open a map from a search result.'));
      return;
    }
    out.replaceChildren(el('p', { class: 'muted', role: 'status' }, 'Computing the patch features…'));
    const parameters = `resolution=${resolution.value}&threshold=${threshold.value || 0}`;
    const fetchMap = (format) => file
      ? api(`/v1/maps?${parameters}&format=${format}`, { method: 'POST', body: file,
          headers: { 'Content-Type': file.type || 'application/octet-stream' } })
      : api(`/v1/maps/${keyPath(key)}?${parameters}&format=${format}`);
    try {
      const response = await fetchMap('png');
      const grid = response.headers.get('X-Patch-Grid') || '';
      const foreground = Number(response.headers.get('X-Foreground') || 0);
      const mapURL = URL.createObjectURL(await response.blob());
      const picture = () => file
        ? el('img', { src: URL.createObjectURL(file), alt: 'The image: ' + file.name })
        : thumbnail(key, 1024, 'photo');
      const overMap = el('img', { class: 'over', src: mapURL, alt: '' });
      // Through the CSSOM: the Content-Security-Policy refuses style attributes in markup.
      overMap.style.opacity = opacity.value / 100;
      opacity.oninput = () => { overMap.style.opacity = opacity.value / 100; };
      const name = file ? file.name : baseName(key);
      const npy = el('button', { type: 'button', 'data-testid': 'download-npy', onclick: async () => {
        try {
          const blob = await (await fetchMap('npy')).blob();
          const link = el('a', { href: URL.createObjectURL(blob), download: name.replace(/\.[^.]*$/, '') + '.npy' });
          document.body.append(link); link.click(); link.remove();
        } catch (error) { showError(out, error); }
      } }, 'Download tokens (.npy)');
      out.replaceChildren(
        el('div', { class: 'maps' },
          el('figure', {}, picture(), el('figcaption', {}, name)),
          el('figure', {}, el('img', { src: mapURL, alt: `PCA map of ${name}'s patch features`, 'data-testid': 'pca-map' }),
            el('figcaption', {}, `PCA of the patch features · ${grid.replace('x', '×')} patches · ${(foreground * 100).toFixed(0)}% foreground`)),
          el('figure', {}, el('div', { class: 'overlay' }, picture(), overMap),
            el('figcaption', {}, el('label', { for: 'opacity' }, 'Map opacity '), opacity))),
        el('p', { class: 'actions' },
          el('a', { class: 'button', href: mapURL, download: name.replace(/\.[^.]*$/, '') + '.pca.png', 'data-testid': 'download-png' },
            'Download map (.png)'), npy));
    } catch (error) {
      showError(out, error);
    }
  };
  const zone = picker('Map an image', (picked) => {
    file = picked;
    history.pushState(null, '', '/maps');
    draw();
  });
  const form = el('form', { class: 'controls', onsubmit: (e) => { e.preventDefault(); draw(); } },
    el('label', { for: 'resolution' }, 'Resolution (short side)', resolution),
    el('label', { for: 'threshold' }, 'Foreground threshold', threshold),
    el('button', { type: 'submit' }, 'Draw'));
  main.replaceChildren(el('h1', {}, 'Patch maps'),
    el('p', { class: 'muted' }, 'The first three principal components of DINOv2\'s patch features as red, green and blue, over the patches whose first component passes the threshold (the DINOv2 paper\'s Fig. 1).'),
    zone, form, out);
  await draw();
}

async function duplicatesPage() {
  const query = new URLSearchParams(location.search);
  const threshold = el('input', { type: 'number', id: 'threshold', min: -1, max: 1, step: 0.0001,
    value: query.get('threshold') || 0.95 });
  const number = Number(query.get('page') || 1);
  const summary = el('p', { class: 'summary', role: 'status', 'data-testid': 'review-summary' });
  const actions = el('div', { class: 'actions' });
  const message = el('div', { 'aria-live': 'polite', 'data-testid': 'apply-result' });
  const body = el('section', { 'aria-label': 'Groups', 'data-testid': 'group-list' });
  const form = el('form', { class: 'controls', onsubmit: (e) => {
    e.preventDefault();
    navigate(`/duplicates?threshold=${threshold.value}`);
  } },
    el('label', { for: 'threshold' }, 'Threshold (cosine)', threshold),
    el('button', { type: 'submit' }, 'Find groups'));
  main.replaceChildren(el('h1', {}, 'Duplicates'),
    el('p', { class: 'muted' }, 'Decide for each image whether it stays or goes to the quarantine (nothing is ever deleted; `dinosearch restore` brings files back). Press ? for the keys.'),
    form, summary, actions, message, body);
  const parameters = `threshold=${threshold.value}`;
  const here = location.href;
  let answer;
  for (;;) {
    let response;
    try {
      response = await api(`/v1/duplicates/review?${parameters}&page=${number}`);
    } catch (error) { showError(body, error); return; }
    if (location.href !== here) return;
    answer = await response.json();
    if (response.status !== 202) break;
    const p = answer.progress;
    body.replaceChildren(el('p', { role: 'status' }, p ? `Searching neighbours: ${p.done} of ${p.total}…` : 'Searching neighbours…'),
      el('progress', { 'data-testid': 'progress', max: p ? p.total : 1, value: p ? p.done : 0, 'aria-label': 'progress' }));
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
  let toGo = answer.images_to_go;
  const count = () => {
    summary.textContent = `${answer.groups_total} group${answer.groups_total === 1 ? '' : 's'} of near-duplicates among ${answer.images} images · ${toGo} would go to the quarantine · page ${answer.page} of ${answer.pages}`;
  };
  count();
  const decide = async (member, group, decision) => {
    if (member.dataset.decision === decision) return;
    try {
      await api('/v1/duplicates/decisions', { method: 'PUT', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ group: group.group, key: member.dataset.key, decision }) });
    } catch (error) { showError(message, error); return; }
    toGo += decision === 'trash' ? 1 : -1;
    member.dataset.decision = decision;
    const button = member.querySelector('[data-testid=decision]');
    button.setAttribute('aria-pressed', String(decision === 'trash'));
    member.querySelector('.verdict').textContent = decision === 'trash' ? 'goes' : 'stays';
    count();
  };
  const fields = (m) => ({
    size: `${m.width}×${m.height}`, bytes: bytes(m.bytes), format: m.format,
    modified: new Date(m.modified * 1000).toISOString().slice(0, 16).replace('T', ' '),
  });
  const groups = answer.groups.map((group, g) => {
    const values = group.members.map(fields);
    const differs = (name) => new Set(values.map((v) => v[name])).size > 1;
    const section = el('section', { class: 'group', 'data-testid': 'group', 'data-group': group.group, tabindex: 0,
      'aria-labelledby': `group-${g}` });
    const members = group.members.map((m, i) => {
      const v = values[i];
      const item = el('li', { class: 'card member', 'data-testid': 'member', 'data-key': m.key, 'data-decision': m.decision },
        thumbnail(m.key),
        el('div', { class: 'meta' },
          el('span', { class: 'score' }, i === 0 ? 'kept by the rule' : `cosine ${m.score.toFixed(4)} to the kept one`),
          el('span', { class: 'name path' }, m.key),
          ...['size', 'bytes', 'format', 'modified'].map((name) =>
            el('span', { class: differs(name) ? 'field differs' : 'field', 'data-field': name }, v[name])),
          el('div', { class: 'actions' },
            el('button', { type: 'button', 'data-testid': 'decision', 'aria-pressed': String(m.decision === 'trash'),
              'aria-label': `Quarantine ${baseName(m.key)}`,
              onclick: () => decide(item, group, item.dataset.decision === 'trash' ? 'keep' : 'trash') }, 'Quarantine'),
            i > 0 ? el('button', { type: 'button', 'data-testid': 'compare', 'aria-label': `Compare ${baseName(m.key)} with the kept image`,
              onclick: () => compare(group.members[0].key, m.key) }, 'Compare') : null,
            el('span', { class: 'verdict' }, m.decision === 'trash' ? 'goes' : 'stays'))));
      return item;
    });
    section.append(...[
      el('h2', { id: `group-${g}` }, `Group ${(answer.page - 1) * 20 + g + 1} · ${group.size} images` +
        (group.size > group.members.length ? ` (the ${group.members.length} nearest the kept one shown)` : '')),
      el('p', { class: 'muted' }, `Kept by the rule: ${baseName(group.members[0].key)} (${group.kept_because}).`),
      group.chained ? el('p', { class: 'warning', 'data-testid': 'chain-warning' },
        `Held together through others: its least similar pair has cosine ${group.weakest_pair.toFixed(4)}, below the threshold. Look before you apply.`) : null,
      el('ul', { class: 'grid' }, members)].filter(Boolean));
    section.decide = (item, decision) => decide(item, group, decision);
    return section;
  });

  const planPanel = el('div', { 'data-testid': 'plan', hidden: true },
    el('p', { class: 'warning', 'data-testid': 'no-file-changes' },
      'This server was started without --allow-file-changes, so it does not move files. Download the plan and run it yourself (then `dinosearch index --prune` the folders), or restart it with --allow-file-changes.'),
    el('div', { class: 'actions' },
      el('button', { type: 'button', 'data-testid': 'plan-json', onclick: () => download('json') }, 'Download the plan (JSON)'),
      el('button', { type: 'button', 'data-testid': 'plan-sh', onclick: () => download('sh') }, 'Download it as a shell script')));
  const download = async (format) => {
    try {
      const blob = await (await api(`/v1/duplicates/plan?${parameters}&format=${format}`)).blob();
      const link = el('a', { href: URL.createObjectURL(blob), download: `dinosearch-plan.${format}` });
      document.body.append(link); link.click(); link.remove();
    } catch (error) { showError(message, error); }
  };
  const apply = async (all) => {
    if (!answer.allow_file_changes) { planPanel.hidden = false; planPanel.querySelector('button').focus(); return; }
    if (all && !confirm(`Move ${toGo} images of every group to the quarantine?`)) return;
    try {
      const report = await (await api('/v1/duplicates/apply', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(all ? { threshold: Number(threshold.value) } : { threshold: Number(threshold.value), groups: answer.groups.map((g) => g.group) }) })).json();
      sessionStorage.setItem('dinosearch-applied', `Moved ${report.moved.length} to the quarantine${report.skipped.length ? `; skipped ${report.skipped.length}: ` + report.skipped.map((s) => `${baseName(s.path)} (${s.reason})`).join(', ') : ''}.`);
      route();
    } catch (error) { showError(message, error); }
  };
  const undo = async () => {
    try {
      const report = await (await api('/v1/duplicates/undo', { method: 'POST' })).json();
      sessionStorage.setItem('dinosearch-applied', `Restored ${report.restored.length}${report.skipped.length ? `; skipped ${report.skipped.length}` : ''}.`);
      route();
    } catch (error) { showError(message, error); }
  };
  actions.append(
    el('button', { type: 'button', 'data-testid': 'apply', onclick: () => apply(false) }, 'Apply this page'),
    el('button', { type: 'button', 'data-testid': 'apply-all', onclick: () => apply(true) }, 'Apply every group'),
    el('button', { type: 'button', 'data-testid': 'undo', disabled: !answer.undo_available, onclick: undo }, 'Undo the last apply'),
    planPanel);
  const applied = sessionStorage.getItem('dinosearch-applied');
  if (applied) { message.replaceChildren(el('p', {}, applied)); sessionStorage.removeItem('dinosearch-applied'); }
  const pager = el('div', { class: 'pager' },
    answer.page > 1 ? el('a', { href: `/duplicates?${parameters}&page=${answer.page - 1}` }, 'Previous groups') : null,
    answer.page < answer.pages ? el('a', { href: `/duplicates?${parameters}&page=${answer.page + 1}` }, 'Next groups') : null);
  body.replaceChildren(...(groups.length ? groups : [el('p', {}, 'No near-duplicates at this threshold.')]), pager);

  // Keys: j/k or ↓/↑ between groups, h/l or ←/→ between a group's images, t quarantine, u keep, Enter applies the page.
  const help = el('dialog', { 'data-testid': 'keys-help', 'aria-label': 'Keys' },
    el('h2', {}, 'Keys'),
    el('ul', {}, ['j or ↓: next group', 'k or ↑: previous group', 'l or →, h or ←: next or previous image',
      't: quarantine the image', 'u: keep the image', 'Enter: apply this page', '?: this list'].map((k) => el('li', {}, k))),
    el('form', { method: 'dialog' }, el('button', {}, 'Close')));
  main.append(help);
  // The comparator: two images side by side with zoom and pan kept in step, a swipe between them, and where
  // their patch features differ (per-patch cosine of DINOv2's tokens, red where they disagree).
  const comparator = el('dialog', { class: 'comparator', 'data-testid': 'comparator', 'aria-label': 'Compare two images' });
  main.append(comparator);
  const compare = (first, second) => {
    let pair = [first, second], mode = 'side', view = { scale: 1, x: 0, y: 0 };
    const stage = el('div', { class: 'compare-stage' });
    const caption = el('p', { class: 'muted', 'aria-live': 'polite' });
    const place = () => {
      for (const img of stage.querySelectorAll('img')) {
        img.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
      }
    };
    const zoom = (factor) => { view.scale = Math.max(1, Math.min(8, view.scale * factor)); place(); };
    const draw = async () => {
      for (const b of modes.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b.dataset.mode === mode));
      const [a, b] = pair;
      caption.textContent = `${baseName(a)} · ${baseName(b)}`;
      if (mode === 'side') {
        stage.replaceChildren(el('div', { class: 'pane' }, thumbnail(a, 1024, 'photo')), el('div', { class: 'pane' }, thumbnail(b, 1024, 'photo')));
      } else if (mode === 'swipe') {
        const top = thumbnail(b, 1024, 'photo top');
        const slider = el('input', { type: 'range', min: 0, max: 100, value: 50, 'data-testid': 'swipe', 'aria-label': 'Swipe between the two' });
        const clip = () => { top.style.clipPath = `inset(0 ${100 - slider.value}% 0 0)`; };
        slider.oninput = clip;
        clip();
        stage.replaceChildren(el('div', { class: 'pane stacked' }, thumbnail(a, 1024, 'photo'), top), slider);
      } else {
        stage.replaceChildren(el('p', { role: 'status' }, 'Computing both images\u2019 patch features…'));
        try {
          const response = await api(`/v1/duplicates/difference?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
          const map = el('img', { class: 'over difference', src: URL.createObjectURL(await response.blob()), 'data-testid': 'difference-map',
            alt: `Where ${baseName(b)} differs from ${baseName(a)}, patch by patch` });
          stage.replaceChildren(el('div', { class: 'pane stacked' }, thumbnail(a, 1024, 'photo'), map));
          caption.textContent = `Per-patch cosine of the two images' DINOv2 features: mean ${response.headers.get('X-Mean-Cosine')}, least ${response.headers.get('X-Min-Cosine')} (red: they differ there).`;
        } catch (error) { showError(stage, error); }
      }
      place();
    };
    let drag = null;
    stage.onpointerdown = (e) => { drag = { x: e.clientX - view.x, y: e.clientY - view.y }; stage.setPointerCapture(e.pointerId); };
    stage.onpointermove = (e) => { if (drag) { view.x = e.clientX - drag.x; view.y = e.clientY - drag.y; place(); } };
    stage.onpointerup = () => { drag = null; };
    stage.onwheel = (e) => { e.preventDefault(); zoom(e.deltaY < 0 ? 1.25 : 0.8); };
    const modes = el('div', { class: 'actions', role: 'group', 'aria-label': 'View' },
      [['side', 'Side by side'], ['swipe', 'Swipe'], ['difference', 'Difference']].map(([name, label]) =>
        el('button', { type: 'button', 'data-mode': name, 'data-testid': 'mode-' + name, onclick: () => { mode = name; draw(); } }, label)));
    comparator.replaceChildren(
      el('h2', {}, 'Compare'), caption, modes,
      el('div', { class: 'actions' },
        el('button', { type: 'button', 'data-testid': 'swap', onclick: () => { pair = [pair[1], pair[0]]; draw(); } }, 'Swap'),
        el('button', { type: 'button', 'aria-label': 'Zoom in', onclick: () => zoom(1.25) }, '+'),
        el('button', { type: 'button', 'aria-label': 'Zoom out', onclick: () => zoom(0.8) }, '−'),
        el('button', { type: 'button', onclick: () => { view = { scale: 1, x: 0, y: 0 }; place(); } }, 'Fit'),
        el('button', { type: 'button', 'data-testid': 'close-comparator', onclick: () => comparator.close() }, 'Close')),
      stage);
    comparator.showModal();
    draw();
  };

  const focusedGroup = () => document.activeElement?.closest('[data-testid=group]');
  const focusedMember = () => document.activeElement?.closest('[data-testid=member]');
  document.onkeydown = (e) => {
    if (e.target.matches('input, select, textarea') || help.open || comparator.open || e.ctrlKey || e.metaKey || e.altKey) return;
    const group = focusedGroup(), member = focusedMember();
    const move = (step) => {
      const i = groups.indexOf(group);
      const next = groups[Math.max(0, Math.min(groups.length - 1, i < 0 ? 0 : i + step))];
      if (next) { next.focus(); next.scrollIntoView({ block: 'nearest' }); }
    };
    const memberMove = (step) => {
      const items = [...(group || groups[0])?.querySelectorAll('[data-testid=member]') || []];
      const next = items[Math.max(0, Math.min(items.length - 1, items.indexOf(member) + step))];
      next?.querySelector('[data-testid=decision]').focus();
    };
    const handled = {
      j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(-1),
      l: () => memberMove(1), ArrowRight: () => memberMove(1), h: () => memberMove(-1), ArrowLeft: () => memberMove(-1),
      t: () => member && group.decide(member, 'trash'), u: () => member && group.decide(member, 'keep'),
      '?': () => help.showModal(),
      Enter: () => { if (!e.target.matches('button, a')) apply(false); else return false; },
    }[e.key];
    if (handled && handled() !== false) e.preventDefault();
  };
}

async function statsPage() {
  const out = el('section', { 'aria-label': 'Store statistics' });
  main.replaceChildren(el('h1', {}, 'Stats'), out);
  try {
    const s = await getJSON('/v1/stats');
    const rows = [
      ['Store', s.store], ['Images', s.images.toLocaleString('en')], ['Dimension', s.dimension], ['Model', s.model],
      ['Index', `${s.layout} (${s.indexed_vectors.toLocaleString('en')} vectors)`],
      ['On disk', `catalog ${bytes(s.catalog_bytes)}, index ${bytes(s.index_bytes)}`],
    ];
    out.replaceChildren(el('dl', { class: 'stats', 'data-testid': 'stats' }, rows.flatMap(([name, value]) =>
      [el('dt', {}, name), el('dd', { 'data-testid': 'stat-' + name.toLowerCase().replace(' ', '-') }, value)])),
      s.rebuild_advised ? el('p', { role: 'note' }, 'Advice: run `dinosearch rebuild`: the collection outgrew its index layout.') : '');
  } catch (error) { showError(out, error); }
}

// ---------- the header and the router ----------

async function loadStats() {
  try {
    state.stats = await getJSON('/v1/stats');
    document.querySelector('[data-testid=store-name]').textContent = state.stats.name;
    document.querySelector('[data-testid=store-count]').textContent = `${state.stats.images.toLocaleString('en')} images`;
  } catch (error) {
    document.querySelector('[data-testid=store-name]').textContent = error.message;
  }
}

const pages = {
  '/': ['search', searchPage], '/clusters': ['clusters', clustersPage], '/maps': ['maps', mapsPage],
  '/duplicates': ['duplicates', duplicatesPage], '/stats': ['stats', statsPage],
};

async function route() {
  const [name, draw] = pages[location.pathname] || pages['/'];
  for (const link of document.querySelectorAll('nav a')) {
    if (link.dataset.page === name) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  document.title = `${name[0].toUpperCase() + name.slice(1)} · dinosearch`;
  document.onkeydown = null;  // a page's own keys leave with it
  await draw();
}

window.addEventListener('popstate', route);
await loadStats();
await route();
document.body.dataset.ready = 'true';
"""#
}
