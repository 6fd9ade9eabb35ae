/* 指挥室外勤: the field app for team members, team leaders and grid workers.
 *
 * Plain JS, no build step, nothing from outside the county server. Every act the person makes
 * is put in a queue on the phone (IndexedDB) first, under a mutation id made at that moment,
 * and sent when the line allows: through the desks' exactly-once push (POST /api/v1/field/push)
 * or, for a grid worker's report, through the Open311 intake with that id as Idempotency-Key.
 * A re-sent act is answered with its first result, so nothing is done twice.
 */
'use strict';

const API = '/api/v1';
const LS = {auth: 'cr.field.auth', phone: 'cr.field.phone', seq: 'cr.field.seq', clock: 'cr.field.clock',
            cache: 'cr.field.cache', rejected: 'cr.field.rejected', services: 'cr.field.services'};
const STEPS = [
  {key: 'ack', label: '签收', name: 'dispatch.acknowledge', on: 'dispatch', time: 'acknowledged_at'},
  {key: 'go', label: '在途', name: 'dispatch.en_route', on: 'dispatch', time: 'en_route_at'},
  {key: 'arrive', label: '到场', name: 'dispatch.on_scene', on: 'dispatch', time: 'on_scene_at'},
  {key: 'work', label: '处置', name: 'incident.start', on: 'incident', time: null},
  {key: 'submit', label: '提交核查', name: 'incident.submit', on: 'incident', time: null},
];
const BUTTON = {ack: '签收派单', go: '出发（在途）', arrive: '到达现场', work: '开始处置', submit: '提交核查'};
const STATE_AT = ['已派', '已签收', '在途', '已到场', '处置中', '已提交核查'];
const DUE = [['ack_due', '签收时限'], ['onsite_due', '到场时限'], ['onsite_due', '到场时限'],
             ['close_due', '办结时限'], ['close_due', '办结时限']];

const S = {
  auth: load(LS.auth), profile: null, data: load(LS.cache) || {}, tab: null, sending: false,
  queue: [], rejected: load(LS.rejected) || [], online: navigator.onLine, open: {}, showQueue: false,
  photoUrls: {}, message: '', drafts: {}, deferred: false, locating: 0, drawn: null,
  recent: [],  // acts the server took, until a list read after that shows them
  refreshing: false, refreshAgain: false,
};

// ------------------------------------------------------------------ small helpers

function load(key) {
  try { return JSON.parse(localStorage.getItem(key) || 'null'); } catch (e) { return null; }
}
function save(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
function phoneId() {
  let id = localStorage.getItem(LS.phone);
  if (!id) { id = uuid().replace(/-/g, '').slice(0, 24); localStorage.setItem(LS.phone, id); }
  return id;
}
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}
/** Keep what is typed or picked in a form across re-renders (a refresh must not lose a note or a photo). */
function kept(key, el) {
  const d = S.drafts[key] || (S.drafts[key] = {});
  const field = el.name || el.getAttribute('aria-label') || el.tagName;
  if (el.type === 'file') {
    if (d[field] && d[field].length) {
      const dt = new DataTransfer();
      d[field].forEach((f) => dt.items.add(f));
      el.files = dt.files;
    }
    el.addEventListener('change', () => { d[field] = [...el.files]; stale(el); });
  } else if (el.type === 'checkbox') {
    if (field in d) el.checked = d[field];
    el.addEventListener('change', () => { d[field] = el.checked; stale(el); });
  } else {
    if (field in d) el.value = d[field];
    el.addEventListener('input', () => { d[field] = el.value; stale(el); });
    el.addEventListener('change', () => { d[field] = el.value; stale(el); });
  }
  return el;
}
/** Input reached a field that a redraw had already replaced: draw again so the new one shows it. */
function stale(el) { if (!el.isConnected) { S.drawn = null; setTimeout(render, 0); } }
function forget(key) { delete S.drafts[key]; }

/** A photo picker in Chinese (the browser's own file button speaks the phone's system language). */
function picker(title, input) {
  const count = h('span', {class: 'count'});
  const show = () => { count.textContent = input.files.length ? `已选 ${input.files.length} 张` : '未选择'; };
  input.addEventListener('change', show);
  show();
  return h('label', {class: 'photo'}, title, h('span', {class: 'pick'}, input, h('span', {class: 'btn', text: '拍照或选择照片'}), count));
}

function pad(n) { return String(n).padStart(2, '0'); }
function hhmm(ms) {
  const d = new Date(ms);
  return `${d.getMonth() + 1}月${d.getDate()}日 ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
function when(iso) { return iso ? hhmm(Date.parse(iso)) : ''; }
function span(minutes) {
  const m = Math.abs(Math.round(minutes));
  const d = Math.floor(m / 1440), hr = Math.floor((m % 1440) / 60), mi = m % 60;
  if (d) return `${d}天${hr}小时`;
  if (hr) return `${hr}小时${pad(mi)}分`;
  return `${mi}分钟`;
}

// ------------------------------------------------------------------ the server's clock

function clock() { return load(LS.clock); }
function learnClock(serverNow) {
  if (!serverNow) return;
  const offset = Date.parse(serverNow) - Date.now();
  save(LS.clock, {offset, at: Date.now()});
}
function nowServer() { const c = clock(); return Date.now() + (c ? c.offset : 0); }
function skewWords() {
  const c = clock();
  if (!c) return 'unknown';
  const off = Math.abs(c.offset) / 1000;
  return off >= 300 ? 'bad' : off >= 60 ? 'warn' : '';
}

// ------------------------------------------------------------------ the queue (IndexedDB)

let dbp = null;
function db() {
  if (!dbp) {
    dbp = new Promise((resolve, reject) => {
      const r = indexedDB.open('cr-field', 1);
      r.onupgradeneeded = () => {
        r.result.createObjectStore('queue', {keyPath: 'order', autoIncrement: true});
        r.result.createObjectStore('photos', {keyPath: 'key'});
      };
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }
  return dbp;
}
async function tx(store, mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(store, mode);
    const out = fn(t.objectStore(store));
    t.oncomplete = () => resolve(out && 'result' in out ? out.result : out);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}
async function readQueue() {
  const all = await tx('queue', 'readonly', (s) => s.getAll());
  S.queue = (all || []).filter((q) => q.user === (S.auth && S.auth.username));
  return S.queue;
}
async function putItem(item) { return tx('queue', 'readwrite', (s) => s.put(item)); }
async function dropItem(item) { return tx('queue', 'readwrite', (s) => s.delete(item.order)); }
async function putPhoto(rec) { return tx('photos', 'readwrite', (s) => s.put(rec)); }
async function getPhoto(key) { return tx('photos', 'readonly', (s) => s.get(key)); }
async function dropPhoto(key) { return tx('photos', 'readwrite', (s) => s.delete(key)); }

function nextSeq() {
  const seq = load(LS.seq) || {incarnation: uuid(), next: 1, first: 1};
  const n = seq.next;
  seq.next += 1;
  save(LS.seq, seq);
  return n;
}

async function position() {
  if (!navigator.geolocation) return null;
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy}),
      () => resolve(null), {enableHighAccuracy: true, timeout: 6000, maximumAge: 60000});
  });
}

/** Put one act in the queue: its mutation id and moment are fixed now, whatever happens to the line. */
async function enqueue({kind, name, entity_id, args, label, files, photoArg, ref}) {
  S.locating += 1;
  renderQueue();
  let pos;
  try { pos = await position(); } finally { S.locating -= 1; }
  if (pos) S.lastPos = pos;
  const made = nowServer();
  const photos = [];
  for (const f of files || []) {
    const key = uuid();
    await putPhoto({key, blob: f, type: f.type || 'image/jpeg', sha: null});
    photos.push(key);
  }
  const item = {
    id: uuid(), kind, name, entity_id, args: {...(args || {})}, label, ref: ref || entity_id,
    photoArg: photoArg || null, photos, made, user: S.auth.username,
    created_local_ts: new Date(made).toISOString(), clock_skew: skewWords(),
  };
  if (pos) {
    item.args.lat = +pos.lat.toFixed(7);
    item.args.lon = +pos.lon.toFixed(7);
    if (kind === 'push' && pos.accuracy) item.args.accuracy = Math.round(pos.accuracy * 10) / 10;
  }
  if (kind === 'push') item.local_seq = nextSeq();
  await putItem(item);
  await readQueue();
  render();
  flush();
  return item;
}

// ------------------------------------------------------------------ talking to the server

class Offline extends Error {}

async function api(path, opts = {}, retried = false) {
  const headers = Object.assign({}, opts.headers || {});
  if (S.auth) headers.Authorization = `Bearer ${S.auth.access_token}`;
  let resp;
  try {
    resp = await fetch(path, Object.assign({}, opts, {headers}));
  } catch (e) {
    setOnline(false);
    throw new Offline('no line');
  }
  setOnline(true);
  if (resp.status === 401 && S.auth && !retried) {
    if (await refresh()) return api(path, opts, true);
    signedOut('登录已过期，请重新登录（未发送的操作仍保存在手机上）。');
    throw new Error('signed out');
  }
  return resp;
}

async function refresh() {
  try {
    const r = await fetch(`${API}/auth/refresh`, {method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({refresh_token: S.auth.refresh_token})});
    if (!r.ok) return false;
    const j = await r.json();
    S.auth.access_token = j.access_token;
    save(LS.auth, S.auth);
    return true;
  } catch (e) {
    throw new Offline('no line');
  }
}

async function detail(resp) {
  try {
    const j = await resp.json();
    if (Array.isArray(j) && j[0] && j[0].description) return j[0].description;
    const d = j.detail || j;
    return d.message || JSON.stringify(d);
  } catch (e) { return `服务器答复 ${resp.status}`; }
}

function setOnline(value) {
  if (S.online !== value) { S.online = value; renderNet(); }
}

async function uploadPhotos(item) {
  const shas = [];
  for (const key of item.photos || []) {
    const rec = await getPhoto(key);
    if (!rec) continue;
    if (!rec.sha) {
      const r = await api(`${API}/photos`, {method: 'POST', headers: {'Content-Type': rec.type}, body: rec.blob});
      if (!r.ok) return {error: `照片没有被服务器接收：${await detail(r)}`};
      rec.sha = (await r.json()).sha256;
      await putPhoto(rec);
    }
    shas.push(rec.sha);
  }
  return {shas};
}

/** Send one queued act; true when it is settled (sent or refused), false to try again later. */
async function sendOne(item) {
  const up = await uploadPhotos(item);
  if (up.error) return settle(item, false, up.error);
  const args = Object.assign({}, item.args);
  if (item.photoArg && up.shas.length) args[item.photoArg] = up.shas;
  if (item.kind === 'report') {
    if (args.lon !== undefined) { args.long = args.lon; delete args.lon; }  // Open311 says lat/long
    if (args.lat === undefined && !args.address_string) args.address_string = '（无定位，见描述）';
    const form = new FormData();
    for (const [k, v] of Object.entries(args)) if (v !== null && v !== undefined && v !== '') form.append(k, v);
    form.append('device_id', phoneId());
    if (up.shas.length) form.append('media_url', `${location.origin}${API}/photos/${up.shas[0]}`);
    const r = await api('/open311/v2/requests.json', {method: 'POST', body: form,
      headers: {'Idempotency-Key': item.id}});
    if (r.status === 201) return settle(item, true);
    if (r.status >= 500 || r.status === 429) return false;
    return settle(item, false, await detail(r));
  }
  const seq = load(LS.seq);
  const body = {device_incarnation: seq.incarnation, first_local_seq: seq.first, mutations: [{
    mutation_id: item.id, local_seq: item.local_seq, name: item.name, entity_id: item.entity_id, args,
    created_local_ts: item.created_local_ts, clock_skew: item.clock_skew}]};
  const r = await api(`${API}/field/push`, {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify(body)});
  const j = await r.json().catch(() => ({}));
  if (r.status === 409) { await renumber(1, true); return false; }
  if (r.status >= 500) return false;
  if (!r.ok) return settle(item, false, (j.detail && j.detail.message) || `服务器答复 ${r.status}`);
  if (j.stop && j.stop.code === 'gap') { await renumber(j.stop.expected, false); return false; }
  const res = (j.results || [])[0];
  if (!res) return false;
  return settle(item, res.status === 'applied' || res.status === 'merged', res.explanation);
}

/** The server expects other sequence numbers (this phone's data was reset): number the queue anew. */
async function renumber(from, fresh) {
  const seq = fresh ? {incarnation: uuid(), next: 1, first: 1} : load(LS.seq);
  let n = from;
  for (const q of (await readQueue()).filter((x) => x.kind === 'push')) { q.local_seq = n++; await putItem(q); }
  seq.next = n;
  save(LS.seq, seq);
}

async function settle(item, ok, why) {
  if (ok) S.recent.push({ref: item.ref, name: item.name, kind: item.kind, at: performance.now()});
  await dropItem(item);
  for (const key of item.photos || []) await dropPhoto(key);
  if (!ok) {
    S.rejected.unshift({label: item.label, why: why || '服务器没有采用这项操作', at: item.made});
    S.rejected = S.rejected.slice(0, 20);
    save(LS.rejected, S.rejected);
  }
  return true;
}

async function flush() {
  if (S.sending || !S.auth) return;
  S.sending = true;
  let sent = 0;
  try {
    for (;;) {
      const [item] = await readQueue();
      if (!item) break;
      renderQueue(item.id);
      if (!(await sendOne(item))) break;
      sent += 1;
    }
  } catch (e) {
    if (!(e instanceof Offline)) console.warn('field queue', e);
  } finally {
    S.sending = false;
    await readQueue();
    render();
  }
  if (sent) refreshData();
}

// ------------------------------------------------------------------ data from the server

async function refreshData() {
  if (!S.auth) return;
  if (S.refreshing) { S.refreshAgain = true; return; }
  S.refreshing = true;
  const started = performance.now();
  let fresh = false;
  try { fresh = await readLists(); } finally { S.refreshing = false; }
  // a list read before an act reached the server does not show it: keep counting it until one read after
  if (fresh) S.recent = S.recent.filter((r) => r.at >= started);
  render();
  if (S.refreshAgain) { S.refreshAgain = false; refreshData(); }
}

async function readLists() {
  const p = S.profile || S.auth.user || {};
  const out = Object.assign({}, S.data);
  try {
    const me = await api(`${API}/field/me`);
    if (me.ok) { S.profile = await me.json(); learnClock(S.profile.server_now); }
    if (p.team) {
      const r = await api(`${API}/field/dispatches`);
      if (r.ok) {
        const j = await r.json();
        noticeNew(S.data.fetched ? S.data.dispatches || [] : null, j.dispatches);
        out.dispatches = j.dispatches; out.members = j.members; out.me = j.me;
      }
    }
    if (p.team || p.grid_worker) {
      const rb = await api(`${API}/field/basemap`);
      if (rb.ok) { const b = await rb.json(); delete b.server_now; out.basemap = b; }
    }
    if (p.grid_worker) {
      const r1 = await api(`${API}/field/reports`);
      if (r1.ok) out.reports = (await r1.json()).reports;
      const r2 = await api(`${API}/field/verifications`);
      if (r2.ok) out.verifications = (await r2.json()).incidents;
      if (!load(LS.services)) {
        const r3 = await fetch('/open311/v2/services.json');
        if (r3.ok) save(LS.services, await r3.json());
      }
    }
    out.fetched = Date.now();
    S.data = out;
    save(LS.cache, out);
    return true;
  } catch (e) {
    if (!(e instanceof Offline)) console.warn('field refresh', e);
    return false;
  }
}

async function photoUrl(sha) {
  if (S.photoUrls[sha]) return S.photoUrls[sha];
  const r = await api(`${API}/photos/${sha}/thumb`);
  if (!r.ok) return null;
  S.photoUrls[sha] = URL.createObjectURL(await r.blob());
  return S.photoUrls[sha];
}
function thumbs(shas) {
  if (!shas || !shas.length) return null;
  return h('div', {class: 'thumbs'}, shas.map((sha) => {
    const img = h('img', {alt: '照片', 'data-sha': sha});
    photoUrl(sha).then((u) => { if (u) img.src = u; }).catch(() => { img.alt = '照片（联网后显示）'; });
    return img;
  }));
}

// ------------------------------------------------------------------ sign-in

async function signIn(ev) {
  ev.preventDefault();
  const f = ev.target;
  const msg = f.querySelector('.error');
  msg.textContent = '';
  let r;
  try {
    r = await fetch(`${API}/field/login`, {method: 'POST', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({username: f.username.value.trim(), password: f.password.value, device_id: phoneId()})});
  } catch (e) {
    msg.textContent = '没有网络，无法登录。请到有信号的地方再试。';
    return;
  }
  if (!r.ok) { msg.textContent = await detail(r); return; }
  const j = await r.json();
  S.auth = {access_token: j.access_token, refresh_token: j.refresh_token, username: j.user.username, user: j.user};
  save(LS.auth, S.auth);
  S.profile = j.user;
  learnClock(j.user.server_now);
  if (!S.data || S.data.user !== j.user.username) { S.data = {user: j.user.username}; save(LS.cache, S.data); }
  S.tab = null;
  await readQueue();
  render();
  refreshData();
  flush();
}

function signedOut(message) {
  S.auth = null;
  // the tiles were of this account's area: the next person on this phone gets his own
  if (window.caches) caches.delete('cr-field-tiles-v1').catch(() => {});
  M.urls.forEach((u) => URL.revokeObjectURL(u));
  M.urls.clear(); M.imgs.clear(); M.fitted = null; M.layer = null;
  localStorage.removeItem(LS.auth);
  S.message = message || '';
  render();
}

function signOut() {
  if (S.queue.length && !confirm(`还有 ${S.queue.length} 项操作没有发送。退出后它们仍保存在手机上，下次登录时发送。确定退出吗？`)) return;
  api(`${API}/field/logout`, {method: 'POST'}).catch(() => {});
  signedOut('');
}

function loginView() {
  return h('form', {class: 'card login', onsubmit: signIn},
    h('h2', {text: '登录'}),
    h('p', {class: 'hint', text: '执法队员、带队队长和网格员用本人账号登录。'}),
    S.message ? h('p', {class: 'error', text: S.message}) : h('p', {class: 'error'}),
    h('label', {}, '用户名', h('input', {name: 'username', autocomplete: 'username', required: true})),
    h('label', {}, '密码', h('input', {name: 'password', type: 'password', autocomplete: 'current-password', required: true})),
    h('button', {type: 'submit', class: 'primary', text: '登录'}));
}

// ------------------------------------------------------------------ team: my dispatches

function queuedFor(id) { return S.queue.filter((q) => q.ref === id); }
function takenFor(id) { return [...S.queue, ...S.recent].filter((q) => q.ref === id); }

function stepIndex(d) {
  const inc = d.incident;
  let i = {assigned: 0, acknowledged: 1, en_route: 2, on_scene: 3, done: 5, cancelled: 5}[d.state] || 0;
  if (i === 3 && inc.state === 'in_progress') i = 4;
  if (['awaiting_verification', 'closed'].includes(inc.state)) i = Math.max(i, 5);
  for (const q of takenFor(d.id)) {
    const k = STEPS.findIndex((s) => s.name === q.name);
    if (k >= 0) i = Math.max(i, k + 1);
  }
  return i;
}

function countdown(d, i) {
  if (i >= 5 || d.state === 'cancelled') return null;
  const [field, label] = DUE[i];
  const due = d.incident[field];
  if (!due) return null;
  const left = (Date.parse(due) - nowServer()) / 60000;
  return h('div', {class: left < 0 ? 'due late' : left < 30 ? 'due soon' : 'due', 'data-due': due, 'data-label': label},
    left < 0 ? `${label}已超时 ${span(left)}` : `${label}剩余 ${span(left)}`);
}

function tickCountdowns() {
  for (const el of document.querySelectorAll('.due[data-due]')) {
    const left = (Date.parse(el.dataset.due) - nowServer()) / 60000;
    el.className = left < 0 ? 'due late' : left < 30 ? 'due soon' : 'due';
    el.textContent = left < 0 ? `${el.dataset.label}已超时 ${span(left)}` : `${el.dataset.label}剩余 ${span(left)}`;
  }
}

function stepBar(d, i) {
  const queued = queuedFor(d.id);
  return h('ol', {class: 'steps'}, STEPS.map((s, k) => {
    const q = queued.find((x) => x.name === s.name);
    const t = s.time ? d[s.time] : null;
    const cls = k < i ? (q ? 'step done waiting' : 'step done') : k === i ? 'step next' : 'step';
    return h('li', {class: cls}, h('b', {text: s.label}),
      h('small', {text: q ? `${hhmm(q.made)} 待发送` : t ? when(t) : ''}));
  }));
}

function actForm(d, i) {
  const step = STEPS[i];
  const photoLabel = step.key === 'submit' ? '处置后照片' : (step.key === 'arrive' || step.key === 'work') ? '处置前照片' : null;
  const dk = `act:${d.id}:${step.key}`;
  const note = kept(dk, h('textarea', {name: 'note', rows: 2, placeholder: '说明（可不填）'}));
  const file = photoLabel ? kept(dk, h('input', {type: 'file', accept: 'image/*', capture: 'environment', multiple: true,
    name: 'photos', 'aria-label': photoLabel})) : null;
  const go = async (ev) => {
    ev.preventDefault();
    ev.target.disabled = true;
    forget(dk);
    const files = file ? [...file.files] : [];
    const base = {note: note.value.trim() || undefined};
    const label = `${BUTTON[step.key]} · ${d.incident.number || d.incident.title}`;
    if (step.on === 'dispatch') {
      await enqueue({kind: 'push', name: step.name, entity_id: d.id, args: base, label, files,
        photoArg: files.length ? 'photos' : null, ref: d.id});
    } else if (step.key === 'work') {
      await enqueue({kind: 'push', name: step.name, entity_id: d.incident.id, args: base, label, files,
        photoArg: 'photos_before', ref: d.id});
    } else {
      await enqueue({kind: 'push', name: 'incident.submit', entity_id: d.incident.id, args: base, label, files,
        photoArg: 'photos_after', ref: d.id});
      await enqueue({kind: 'push', name: 'dispatch.done', entity_id: d.id, args: {},
        label: `派单完成 · ${d.incident.number || d.incident.title}`, ref: d.id});
    }
  };
  return h('div', {class: 'act'},
    photoLabel ? picker(photoLabel, file) : null,
    note,
    h('button', {class: 'primary', 'data-step': step.key, onclick: go, text: BUTTON[step.key]}));
}

/** 队内改派 by the leader: one dispatch, or every stop of a joint visit (one act per dispatch, each once). */
function reassignForm(d, all) {
  const list = all || [d];
  const members = S.data.members || [];
  const boxes = members.map((m) => h('label', {class: 'member'},
    h('input', {type: 'checkbox', value: m.id, checked: (d.member_ids || []).includes(m.id)}), m.name));
  const lead = h('select', {name: 'lead'}, members.map((m) =>
    h('option', {value: m.id, selected: m.id === d.lead_member_id, text: m.name})));
  const go = async (ev) => {
    ev.preventDefault();
    const ids = boxes.map((b) => b.querySelector('input')).filter((x) => x.checked).map((x) => x.value);
    if (!ids.includes(lead.value)) ids.unshift(lead.value);
    const names = members.filter((m) => ids.includes(m.id)).map((m) => m.name).join('、');
    S.open[all ? `joint:${d.joint_visit_id}` : d.id] = false;
    for (const one of list) {
      await enqueue({kind: 'push', name: 'dispatch.reassign', entity_id: one.id,
        args: {lead_member_id: lead.value, member_ids: ids},
        label: `改派给 ${names} · ${one.incident.number || one.incident.title}`, ref: `reassign:${one.id}`});
    }
  };
  return h('div', {class: 'reassign'}, h('label', {}, '带队队员', lead), h('div', {class: 'members'}, boxes),
    h('button', {class: 'primary', onclick: go, text: '确定改派'}));
}

function dispatchCard(d) {
  const inc = d.incident;
  const i = stepIndex(d);
  const leader = (S.profile || {}).leader;
  const waiting = queuedFor(d.id).length + queuedFor(`reassign:${d.id}`).length;
  return h('article', {class: `card dispatch urg-${inc.urgency}`, 'data-dispatch': d.id},
    h('div', {class: 'row'}, h('span', {class: 'num', text: inc.number}), h('span', {class: 'urg', text: inc.urgency_name || ''}),
      h('span', {class: waiting ? 'state waiting' : 'state',
        text: (d.state === 'cancelled' ? '已撤回' : STATE_AT[i]) + (waiting ? '（待发送）' : '')})),
    h('h3', {text: inc.title}),
    h('p', {class: 'addr', text: inc.address || (inc.lat ? `${inc.lat.toFixed(5)}, ${inc.lon.toFixed(5)}` : '')}),
    inc.description && inc.description !== inc.title ? h('p', {class: 'desc', text: inc.description}) : null,
    h('p', {class: 'meta', text: `派单 ${when(d.assigned_at)}` + (d.members.length ? ` · 出勤：${d.members.join('、')}` : '')
      + (d.lead_member ? `（带队 ${d.lead_member}）` : '')}),
    countdown(d, i),
    stepBar(d, i),
    waiting ? h('p', {class: 'waiting', text: `${waiting} 项操作待发送`}) : null,
    thumbs(inc.photos_before), thumbs(inc.photos_after),
    d.state !== 'cancelled' && i < 5 ? actForm(d, i) : null,
    leader && d.state !== 'cancelled' && i < 5 ? h('button', {class: 'link', text: S.open[d.id] ? '收起改派' : '队内改派',
      onclick: () => { S.open[d.id] = !S.open[d.id]; render(); }}) : null,
    S.open[d.id] ? reassignForm(d) : null);
}

// ------------------------------------------------------------------ team: joint visits (联合出勤，综合查一次)

/** One stop of a joint visit: 到场 (before-photos), 本处完成 (after-photos: submitted for 核查), or just a note. */
function stopCard(d) {
  const inc = d.incident;
  const i = stepIndex(d);
  const dk = `stop:${d.id}`;
  const ended = d.state === 'cancelled' || i >= 5;
  const arrive = i < 3;
  const note = kept(dk, h('textarea', {name: 'note', rows: 2, placeholder: '说明（可不填）'}));
  const file = kept(dk, h('input', {type: 'file', accept: 'image/*', capture: 'environment', multiple: true,
    name: 'photos', 'aria-label': arrive ? '处置前照片' : '处置后照片'}));
  const err = h('p', {class: 'error', text: (S.drafts[dk] || {}).error || ''});
  const where = inc.number || inc.title;
  const go = (what) => async (ev) => {
    ev.preventDefault();
    const text = note.value.trim() || undefined;
    if (what === 'note' && !text) {
      err.textContent = '只记录时请写明情况。';
      (S.drafts[dk] || (S.drafts[dk] = {})).error = err.textContent;
      return;
    }
    ev.target.disabled = true;
    forget(dk);
    const files = [...file.files];
    if (what === 'note') {
      await enqueue({kind: 'push', name: 'incident.note', entity_id: inc.id, args: {note: text}, files,
        photoArg: 'photos', label: `联合出勤记录 · ${where}`, ref: `note:${d.id}`});
    } else if (what === 'arrive') {
      await enqueue({kind: 'push', name: 'dispatch.on_scene', entity_id: d.id, args: {note: text}, files,
        photoArg: files.length ? 'photos' : null, label: `到达现场 · ${where}`, ref: d.id});
    } else {
      await enqueue({kind: 'push', name: 'incident.submit', entity_id: inc.id, args: {note: text}, files,
        photoArg: 'photos_after', label: `本处完成，提交核查 · ${where}`, ref: d.id});
      await enqueue({kind: 'push', name: 'dispatch.done', entity_id: d.id, args: {}, label: `派单完成 · ${where}`,
        ref: d.id});
    }
  };
  const waiting = queuedFor(d.id).length + queuedFor(`note:${d.id}`).length;
  return h('li', {class: ended ? 'stop ended' : 'stop', 'data-stop': d.id},
    h('div', {class: 'row'}, h('span', {class: 'num', text: inc.number}), h('span', {class: 'urg', text: inc.urgency_name || ''}),
      h('span', {class: waiting ? 'state waiting' : 'state',
        text: (d.state === 'cancelled' ? '已撤回' : STATE_AT[i]) + (waiting ? '（待发送）' : '')})),
    h('b', {text: inc.title}),
    inc.description && inc.description !== inc.title ? h('p', {class: 'desc', text: inc.description}) : null,
    h('p', {class: 'addr', text: inc.address || ''}),
    h('p', {class: 'meta', text: [d.on_scene_at ? `到场 ${when(d.on_scene_at)}` : '', d.done_at ? `完成 ${when(d.done_at)}` : '']
      .filter((x) => x).join(' · ')}),
    thumbs(inc.photos_before), thumbs(inc.photos_after),
    waiting ? h('p', {class: 'waiting', text: `${waiting} 项操作待发送`}) : null,
    ended ? null : h('div', {class: 'act'}, err, picker(arrive ? '处置前照片' : '处置后照片', file), note,
      h('div', {class: 'row'},
        h('button', {class: 'primary', 'data-act': arrive ? 'arrive' : 'done', onclick: go(arrive ? 'arrive' : 'done'),
          text: arrive ? '到达此处' : '本处完成'}),
        h('button', {class: 'plain', 'data-act': 'note', onclick: go('note'), text: '只记录'}))));
}

/** A joint visit: one trip for several nearby matters. 签收 and 出发 for all stops at once, then stop by stop. */
function jointCard(list) {
  const first = list[0];
  const vid = first.joint_visit_id;
  const open = list.filter((d) => d.state !== 'cancelled' && stepIndex(d) < 5);
  const least = open.length ? Math.min(...open.map(stepIndex)) : 5;
  const leader = (S.profile || {}).leader;
  const crew = first.members.length ? `出勤：${first.members.join('、')}` : '';
  const visitAct = async (ev, key) => {
    ev.preventDefault();
    ev.target.disabled = true;
    const step = STEPS.find((s) => s.key === key);
    const k = STEPS.indexOf(step);
    for (const d of open.filter((x) => stepIndex(x) <= k)) {
      await enqueue({kind: 'push', name: step.name, entity_id: d.id, args: {},
        label: `${BUTTON[key]} · ${d.incident.number || d.incident.title}`, ref: d.id});
    }
  };
  const soonest = open.map((d) => [d, stepIndex(d)]).map(([d, i]) => countdown(d, i)).filter((x) => x)
    .sort((a, b) => Date.parse(a.dataset.due) - Date.parse(b.dataset.due))[0] || null;
  return h('article', {class: 'card joint', 'data-joint': vid},
    h('div', {class: 'row'}, h('span', {class: 'num', text: '联合出勤'}),
      h('span', {class: 'urg', text: `综合查一次 · ${list.length} 处`}),
      h('span', {class: 'state', text: open.length ? `还剩 ${open.length} 处` : '全部完成'})),
    h('p', {class: 'meta', text: `派单 ${when(first.assigned_at)}` + (crew ? ` · ${crew}` : '')
      + (first.lead_member ? `（带队 ${first.lead_member}）` : '')}),
    soonest,
    least === 0 ? h('button', {class: 'primary wide', 'data-visit': 'ack', onclick: (ev) => visitAct(ev, 'ack'),
      text: `签收本次联合出勤（${open.filter((d) => stepIndex(d) === 0).length} 处）`}) : null,
    least === 1 ? h('button', {class: 'primary wide', 'data-visit': 'go', onclick: (ev) => visitAct(ev, 'go'),
      text: '出发（在途）'}) : null,
    h('ol', {class: 'stops'}, list.map(stopCard)),
    leader && open.length ? h('button', {class: 'link', text: S.open[`joint:${vid}`] ? '收起改派' : '队内改派（全部各处）',
      onclick: () => { S.open[`joint:${vid}`] = !S.open[`joint:${vid}`]; render(); }}) : null,
    S.open[`joint:${vid}`] ? reassignForm(first, open) : null);
}

/** The list in order, a joint visit's dispatches drawn as one card where its first stop stands. */
function withVisits(list) {
  const seen = new Set();
  const out = [];
  for (const d of list) {
    if (!d.joint_visit_id) { out.push(dispatchCard(d)); continue; }
    if (seen.has(d.joint_visit_id)) continue;
    seen.add(d.joint_visit_id);
    out.push(jointCard((S.data.dispatches || []).filter((x) => x.joint_visit_id === d.joint_visit_id)));
  }
  return out;
}

/** Work that arrived since the last read: said at the top of the list (and a buzz), until seen. */
function noticeNew(before, after) {
  if (!before) return;
  const had = new Set(before.map((d) => d.id));
  const fresh = after.filter((d) => !had.has(d.id) && d.state === 'assigned');
  if (!fresh.length) return;
  S.fresh = [...new Set([...(S.fresh || []), ...fresh.map((d) => d.incident.number || d.incident.title)])];
  if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
}

function freshNotice() {
  if (!S.fresh || !S.fresh.length) return null;
  return h('div', {class: 'fresh', id: 'fresh'}, h('b', {text: `新派单 ${S.fresh.length} 件：`}), S.fresh.join('、'),
    h('button', {class: 'link', text: '知道了', onclick: () => { S.fresh = []; render(); }}));
}

function dispatchesView() {
  const list = S.data.dispatches || [];
  if (!list.length) return [h('p', {class: 'empty', text: S.data.fetched ? '目前没有派给本队的任务。' : '正在读取派单…'})];
  const openVisit = new Set(list.filter((d) => d.joint_visit_id && d.state !== 'cancelled' && stepIndex(d) < 5)
    .map((d) => d.joint_visit_id));
  const isActive = (d) => (d.joint_visit_id ? openVisit.has(d.joint_visit_id) : d.state !== 'cancelled' && stepIndex(d) < 5);
  const active = list.filter(isActive);
  const ended = list.filter((d) => !isActive(d));
  const count = new Set(active.map((d) => d.joint_visit_id || d.id)).size;
  return [freshNotice(), h('h2', {text: `我的派单（${count}）`}), withVisits(active),
    ended.length ? h('h2', {text: '已完成或撤回'}) : null, withVisits(ended)];
}

// ------------------------------------------------------------------ grid worker: report, my reports, 核查

function reportView() {
  const services = (load(LS.services) || []);
  const cat = h('select', {name: 'service_code', required: true},
    h('option', {value: '', text: services.length ? '请选择事件类别' : '（联网后读取类别）'}),
    services.map((s) => h('option', {value: s.service_code, text: `${s.group ? s.group + ' · ' : ''}${s.service_name}`})));
  kept('report', cat);
  const desc = kept('report', h('textarea', {name: 'description', rows: 4, required: true, placeholder: '看到了什么、在哪里'}));
  const addr = kept('report', h('input', {name: 'address_string', placeholder: '地址或位置说明（有定位时可不填）'}));
  const file = kept('report', h('input', {type: 'file', accept: 'image/*', capture: 'environment', name: 'media',
    'aria-label': '现场照片'}));
  const err = h('p', {class: 'error'});
  const go = async (ev) => {
    ev.preventDefault();
    if (!cat.value || !desc.value.trim()) { err.textContent = '请选择类别并写明情况。'; return; }
    ev.target.querySelector('button').disabled = true;
    forget('report');
    const args = {service_code: cat.value, description: desc.value.trim(), address_string: addr.value.trim()};
    const files = [...file.files].slice(0, 1);
    const item = await enqueueReport(args, files);
    if (item) { S.tab = 'mine'; render(); }
  };
  return [h('h2', {text: '上报事件'}), h('form', {class: 'card', onsubmit: go}, err,
    h('label', {}, '类别', cat), h('label', {}, '情况', desc), h('label', {}, '地址', addr),
    picker('现场照片', file),
    h('p', {class: 'hint', text: '提交时自动附上手机定位。'}),
    h('button', {type: 'submit', class: 'primary', text: '提交上报'}))];
}

async function enqueueReport(args, files) {
  return enqueue({kind: 'report', name: 'report', entity_id: uuid(), args, files,
    label: `上报 · ${args.description.slice(0, 16)}`});
}

function mineView() {
  const waiting = S.queue.filter((q) => q.kind === 'report');
  const list = S.data.reports || [];
  return [h('h2', {text: '我的上报'}),
    waiting.length ? h('p', {class: 'notice', text: S.online ? '正在发送上报…' : '上报已保存在手机上，联网后自动发送。'}) : null,
    waiting.map((q) => h('article', {class: 'card report waiting'}, h('div', {class: 'row'},
      h('span', {class: 'state', text: '待发送'}), h('span', {class: 'meta', text: hhmm(q.made)})),
      h('p', {text: q.args.description}))),
    list.length ? list.map((r) => h('article', {class: 'card report', 'data-report': r.id},
      h('div', {class: 'row'}, h('span', {class: 'num', text: r.number}), h('span', {class: 'state', text: r.state_words}),
        h('span', {class: 'meta', text: when(r.reported_at)})),
      h('p', {class: 'meta', text: r.category}), h('p', {text: r.description}),
      r.reject_reason ? h('p', {class: 'error', text: `不予受理：${r.reject_reason}`}) : null,
      r.incident ? h('p', {class: 'meta', text: `事件 ${r.incident.number}：${r.incident.state_words}`}) : null,
      thumbs(r.photos)))
      : (!waiting.length ? h('p', {class: 'empty', text: '还没有上报记录。'}) : null)];
}

function verifyCard(inc) {
  const queued = queuedFor(inc.id);
  const dk = `verify:${inc.id}`;
  const note = kept(dk, h('textarea', {name: 'note', rows: 2, placeholder: '核查意见（退回时必填）'}));
  const file = kept(dk, h('input', {type: 'file', accept: 'image/*', capture: 'environment', multiple: true,
    'aria-label': '核查照片'}));
  const err = h('p', {class: 'error', text: (S.drafts[dk] || {}).error || ''});
  const go = (passed) => async (ev) => {
    ev.preventDefault();
    if (!passed && !note.value.trim()) { err.textContent = '退回重办请写明原因。'; S.drafts[dk].error = err.textContent; return; }
    forget(dk);
    const label = `${passed ? '核查通过' : '核查退回'} · ${inc.number || inc.title}`;
    const text = note.value.trim() || undefined;
    // a server with 核查不通过 as its own act (退回结案) takes the reason there; an older one in 核查
    const rejectAct = ((S.profile || {}).acts || []).includes('incident.reject_closure');
    const [name, args] = passed ? ['incident.verify', {passed: true, note: text}]
      : rejectAct ? ['incident.reject_closure', {reason: text}] : ['incident.verify', {passed: false, note: text}];
    await enqueue({kind: 'push', name, entity_id: inc.id, ref: inc.id, args, files: [...file.files],
      photoArg: 'photos', label});
  };
  return h('article', {class: 'card verify', 'data-incident': inc.id},
    h('div', {class: 'row'}, h('span', {class: 'num', text: inc.number}), h('span', {class: 'state', text: inc.state_words})),
    h('h3', {text: inc.title}), h('p', {class: 'addr', text: inc.address}),
    h('p', {class: 'meta', text: inc.photos_before.length ? '处置前照片' : '处置前照片：无'}), thumbs(inc.photos_before),
    h('p', {class: 'meta', text: inc.photos_after.length ? '处置后照片' : '处置后照片：无'}), thumbs(inc.photos_after),
    queued.length ? h('p', {class: 'waiting', text: `${queued[0].label}（待发送）`}) : h('div', {class: 'act'}, err,
      picker('核查照片', file), note,
      h('div', {class: 'row'}, h('button', {class: 'primary', onclick: go(true), text: '核查通过'}),
        h('button', {class: 'danger', onclick: go(false), text: '退回重办'}))));
}

function verifyView() {
  const list = (S.data.verifications || []).filter((i) => !S.recent.some((r) => r.ref === i.id));
  return [h('h2', {text: `待我核查（${list.length}）`}),
    list.length ? list.map(verifyCard) : h('p', {class: 'empty', text: '本网格目前没有待核查的事件。'})];
}

// ------------------------------------------------------------------ the base map of my area (地图)
//
// Tiles come from the county server (GET /api/v1/field/tiles/…, my area only) and nowhere else. The service
// worker keeps every tile once shown, so the map of the places already looked at opens without signal.

const TILE = 256;
const M = {el: null, pane: null, marks: null, layer: null, z: 0, cx: 0, cy: 0, imgs: new Map(), urls: new Map(),
           drag: null, fitted: null, pending: false, fetching: null};

function worldX(lon, z) { return (lon + 180) / 360 * TILE * 2 ** z; }
function worldY(lat, z) {
  const r = lat * Math.PI / 180;
  return (1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2 * TILE * 2 ** z;
}
function mapInfo() { return S.data.basemap || null; }
function mapLayer() {
  const info = mapInfo();
  if (!info || !info.layers || !info.layers.length) return null;
  return info.layers.find((l) => l.layer === M.layer) || info.layers[0];
}

/** The whole area on the screen: the deepest zoom at which its bounds fit. */
function fitArea() {
  const l = mapLayer();
  if (!l || !M.el.clientWidth) return;
  const [w, s, e, n] = l.bounds;
  let z = l.min_zoom;
  for (let k = l.min_zoom; k <= l.max_zoom; k++) {
    if (worldX(e, k) - worldX(w, k) <= M.el.clientWidth && worldY(s, k) - worldY(n, k) <= M.el.clientHeight) z = k;
  }
  M.z = z;
  M.cx = (worldX(w, z) + worldX(e, z)) / 2;
  M.cy = (worldY(n, z) + worldY(s, z)) / 2;
  M.fitted = `${l.layer}:${l.bounds.join(',')}`;
}

async function tileBlob(url, retried) {
  // straight to the server (through the service worker's cache): a tile never changes the line's on/off word
  const r = await fetch(url, {headers: S.auth ? {Authorization: `Bearer ${S.auth.access_token}`} : {}});
  if (r.status === 401 && !retried && S.auth && await refresh().catch(() => false)) return tileBlob(url, true);
  return r.ok ? r.blob() : null;
}

function tileImg(l, z, x, y) {
  const key = `${l.layer}/${z}/${x}/${y}`;
  let img = M.imgs.get(key);
  if (img) return img;
  img = h('img', {class: 'tile', alt: '', 'data-tile': key, draggable: 'false'});
  M.imgs.set(key, img);
  const known = M.urls.get(key);
  if (known) { img.src = known; return img; }
  tileBlob(l.tile_url.replace('{z}', z).replace('{x}', x).replace('{y}', y)).then((b) => {
    if (!b) { img.classList.add('none'); return; }
    const u = URL.createObjectURL(b);
    M.urls.set(key, u);
    img.src = u;
  }).catch(() => { img.classList.add('none'); M.imgs.delete(key); });  // no signal and never seen: try later
  return img;
}

function place(el, x, y) { el.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`; }

function drawMap() {
  M.pending = false;
  const l = mapLayer();
  if (!M.el || !l || !M.el.isConnected) return;
  if (!M.el.clientWidth) { requestAnimationFrame(drawMap); return; }
  if (M.fitted === null || !M.fitted.startsWith(`${l.layer}:`)) fitArea();
  const W = M.el.clientWidth, H = M.el.clientHeight, n = 2 ** M.z;
  const left = M.cx - W / 2, top = M.cy - H / 2;
  const want = new Set();
  for (let x = Math.max(0, Math.floor(left / TILE)); x <= Math.min(n - 1, Math.floor((left + W) / TILE)); x++) {
    for (let y = Math.max(0, Math.floor(top / TILE)); y <= Math.min(n - 1, Math.floor((top + H) / TILE)); y++) {
      const img = tileImg(l, M.z, x, y);
      want.add(img);
      place(img, x * TILE - left, y * TILE - top);
      if (img.parentNode !== M.pane) M.pane.append(img);
    }
  }
  for (const img of [...M.pane.children]) if (!want.has(img)) img.remove();
  for (const [key, img] of M.imgs) if (!want.has(img) && M.imgs.size > 300) M.imgs.delete(key);
  // my team's matters where the tiles draw them (a GCJ-02 map: the server's converted point)
  M.marks.replaceChildren();
  for (const d of (S.data.dispatches || []).filter((x) => x.state !== 'cancelled' && stepIndex(x) < 5)) {
    const inc = d.incident;
    const pt = l.crs === 'gcj02' ? inc.at_gcj02 : (inc.lat !== null ? [inc.lat, inc.lon] : null);
    if (!pt) continue;
    const m = h('div', {class: `mark urg-${inc.urgency}`, 'data-mark': inc.id, title: inc.title},
      h('span', {text: inc.number || inc.title.slice(0, 6)}));
    place(m, worldX(pt[1], M.z) - left, worldY(pt[0], M.z) - top);
    M.marks.append(m);
  }
  const me = S.lastPos;
  if (me && l.crs !== 'gcj02') {
    const m = h('div', {class: 'mark me', title: '我的位置'});
    place(m, worldX(me.lon, M.z) - left, worldY(me.lat, M.z) - top);
    M.marks.append(m);
  }
}
function redrawMap() { if (!M.pending) { M.pending = true; requestAnimationFrame(drawMap); } }

function zoomBy(dz, px, py) {
  const l = mapLayer();
  if (!l) return;
  const z = Math.max(l.min_zoom, Math.min(l.max_zoom, M.z + dz));
  if (z === M.z) return;
  const W = M.el.clientWidth, H = M.el.clientHeight;
  const ax = px === undefined ? W / 2 : px, ay = py === undefined ? H / 2 : py;
  const f = 2 ** (z - M.z);
  M.cx = (M.cx - W / 2 + ax) * f - ax + W / 2;
  M.cy = (M.cy - H / 2 + ay) * f - ay + H / 2;
  M.z = z;
  redrawMap();
}

function mapElement() {
  if (M.el) return M.el;
  M.pane = h('div', {class: 'pane'});
  M.marks = h('div', {class: 'pane marks'});
  M.el = h('div', {id: 'map', class: 'map'}, M.pane, M.marks,
    h('div', {class: 'zoom'},
      h('button', {'aria-label': '放大', 'data-zoom': 'in', text: '+', onclick: () => zoomBy(1)}),
      h('button', {'aria-label': '缩小', 'data-zoom': 'out', text: '−', onclick: () => zoomBy(-1)}),
      h('button', {'aria-label': '显示本片区', 'data-zoom': 'fit', text: '⌂', onclick: () => { M.fitted = null; redrawMap(); }})));
  const pts = new Map();
  M.el.addEventListener('pointerdown', (ev) => {
    if (ev.target.closest('.zoom')) return;
    M.el.setPointerCapture(ev.pointerId);
    pts.set(ev.pointerId, {x: ev.clientX, y: ev.clientY});
    M.drag = {gap: null};
  });
  M.el.addEventListener('pointermove', (ev) => {
    const p = pts.get(ev.pointerId);
    if (!p) return;
    if (pts.size === 1) {
      M.cx -= ev.clientX - p.x;
      M.cy -= ev.clientY - p.y;
      redrawMap();
    }
    pts.set(ev.pointerId, {x: ev.clientX, y: ev.clientY});
    if (pts.size === 2) {  // two fingers apart: zoom in one step, together: out
      const [a, b] = [...pts.values()];
      const gap = Math.hypot(a.x - b.x, a.y - b.y);
      if (M.drag.gap === null) M.drag.gap = gap;
      else if (gap > M.drag.gap * 1.6 || gap < M.drag.gap / 1.6) {
        const r = M.el.getBoundingClientRect();
        zoomBy(gap > M.drag.gap ? 1 : -1, (a.x + b.x) / 2 - r.left, (a.y + b.y) / 2 - r.top);
        M.drag.gap = gap;
      }
    }
  });
  const up = (ev) => { pts.delete(ev.pointerId); if (!pts.size) M.drag = null; };
  M.el.addEventListener('pointerup', up);
  M.el.addEventListener('pointercancel', up);
  M.el.addEventListener('dblclick', (ev) => {
    const r = M.el.getBoundingClientRect();
    zoomBy(1, ev.clientX - r.left, ev.clientY - r.top);
  });
  M.el.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    const r = M.el.getBoundingClientRect();
    zoomBy(ev.deltaY < 0 ? 1 : -1, ev.clientX - r.left, ev.clientY - r.top);
  }, {passive: false});
  return M.el;
}

/** Fetch every tile of my area down to a street zoom ahead of going out (kept by the service worker). */
async function fetchArea() {
  const l = mapLayer();
  if (!l || M.fetching) return;
  const [w, s, e, n] = l.bounds;
  const jobs = [];
  const top = Math.min(l.max_zoom, Math.max(l.min_zoom, M.z) + 3);
  for (let z = l.min_zoom; z <= top; z++) {
    const n2 = 2 ** z;
    const x0 = Math.max(0, Math.floor(worldX(w, z) / TILE)), x1 = Math.min(n2 - 1, Math.floor(worldX(e, z) / TILE));
    const y0 = Math.max(0, Math.floor(worldY(n, z) / TILE)), y1 = Math.min(n2 - 1, Math.floor(worldY(s, z) / TILE));
    for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) jobs.push([z, x, y]);
  }
  M.fetching = {done: 0, total: jobs.length, failed: 0};
  render();
  const worker = async () => {
    for (;;) {
      const job = jobs.shift();
      if (!job) return;
      try { await tileBlob(l.tile_url.replace('{z}', job[0]).replace('{x}', job[1]).replace('{y}', job[2])); } catch (e) { M.fetching.failed += 1; }
      M.fetching.done += 1;
      const el = document.getElementById('fetch-area');
      if (el) el.textContent = `正在下载本片区底图 ${M.fetching.done}/${M.fetching.total}`;
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  const f = M.fetching;
  M.fetching = null;
  S.message = f.failed ? `底图下载中断（${f.failed} 张未下载），有信号时再点一次。` : `本片区底图已存到手机（${f.total} 张），没有信号时也能看。`;
  S.drawn = null;
  render();
}

function mapView() {
  const info = mapInfo();
  if (!info) return [h('p', {class: 'empty', text: S.online ? '正在读取底图…' : '底图信息要联网读取一次。'})];
  if (!info.layers.length) return [h('p', {class: 'empty', text: '县服务器还没有导入底图。'})];
  const l = mapLayer();
  const pick = info.layers.length > 1 ? h('div', {class: 'layers'}, info.layers.map((x) => h('button', {
    class: x.layer === l.layer ? 'tab on' : 'tab', 'data-layer': x.layer, text: x.name,
    onclick: () => { M.layer = x.layer; M.fitted = null; S.drawn = null; render(); }}))) : null;
  setTimeout(redrawMap, 0);
  return [h('h2', {text: `${info.area_name || '本片区'}底图`}), pick, mapElement(),
    h('p', {class: 'hint', text: l.attribution || ''}),
    S.message && S.tab === 'map' ? h('p', {class: 'notice', text: S.message}) : null,
    h('button', {class: 'plain wide', id: 'fetch-area', disabled: !!M.fetching || !S.online, onclick: fetchArea,
      text: M.fetching ? `正在下载本片区底图 ${M.fetching.done}/${M.fetching.total}` : '下载本片区底图备用（离线时看）'})];
}

// ------------------------------------------------------------------ the frame

function tabsFor(p) {
  const tabs = [];
  if (p.team) tabs.push(['dispatches', '派单']);
  if (p.grid_worker) tabs.push(['report', '上报'], ['mine', '我的上报'], ['verify', '核查']);
  if (tabs.length) tabs.push(['map', '地图']);
  return tabs;
}

function renderNet() {
  const el = document.getElementById('net');
  el.className = S.online ? 'net on' : 'net off';
  el.textContent = S.online ? '在线' : '离线';
}

function renderQueue(sendingId) {
  const el = document.getElementById('queue');
  el.replaceChildren();
  const n = S.queue.length;
  if (!S.auth || (!n && !S.rejected.length && !S.locating)) { el.hidden = true; return; }
  el.hidden = false;
  if (S.locating) el.append(h('p', {class: 'locating', text: '正在定位并保存…'}));
  if (n) {
    el.append(h('button', {class: 'qbar', id: 'pending', onclick: () => { S.showQueue = !S.showQueue; renderQueue(); }},
      `待发送 ${n} 项`, h('small', {text: S.online ? (S.sending ? '正在发送…' : '等待发送') : '联网后自动发送'})));
    if (S.showQueue) {
      el.append(h('ul', {class: 'qlist'}, S.queue.map((q) => h('li', {},
        h('span', {text: q.label}), h('small', {text: `${hhmm(q.made)} · ${q.id === sendingId ? '发送中' : '等待'}`
          + (q.photos.length ? ` · ${q.photos.length} 张照片` : '')})))));
    }
  }
  if (S.rejected.length) {
    el.append(h('div', {class: 'rejected'}, h('b', {text: '未被采用的操作'}),
      S.rejected.map((r) => h('p', {}, `${r.label}：${r.why}`)),
      h('button', {class: 'link', text: '知道了', onclick: () => { S.rejected = []; save(LS.rejected, []); renderQueue(); }})));
  }
}

function render() {
  renderNet();
  const main = document.getElementById('main');
  const who = document.getElementById('who');
  const nav = document.getElementById('tabs');
  if (!S.auth) {
    who.replaceChildren();
    nav.hidden = true;
    renderQueue();
    main.replaceChildren(loginView());
    S.drawn = null;
    return;
  }
  const p = S.profile || S.auth.user || {};
  who.replaceChildren(h('span', {text: `${p.display_name || S.auth.username} · ${p.role_words || ''}`}),
    h('button', {class: 'link', text: '退出', onclick: signOut}));
  const tabs = tabsFor(p);
  if (!S.tab || !tabs.some((t) => t[0] === S.tab)) S.tab = tabs.length ? tabs[0][0] : null;
  nav.hidden = tabs.length < 2;
  nav.replaceChildren(...tabs.map(([k, label]) => h('button', {class: k === S.tab ? 'tab on' : 'tab', 'data-tab': k,
    onclick: () => { S.tab = k; S.message = ''; render(); }, text: label})));
  renderQueue();
  const focused = document.activeElement;
  if (focused && main.contains(focused) && ['INPUT', 'TEXTAREA', 'SELECT'].includes(focused.tagName)
      && focused.type !== 'file') {
    S.deferred = true;  // never pull the field out from under the person typing; redraw when they leave it
    return;
  }
  S.deferred = false;
  // nothing the page shows has changed: keep the page as it is (a redraw would reset what is being picked)
  const drawn = JSON.stringify([S.auth.username, S.tab, S.data, S.queue.map((q) => q.id), S.recent.length, S.open,
    S.rejected.length, S.online, p.leader, S.fresh, Math.floor(nowServer() / 60000)]);
  if (drawn === S.drawn && main.childElementCount) return;
  S.drawn = drawn;
  const view = {dispatches: dispatchesView, report: reportView, mine: mineView, verify: verifyView, map: mapView}[S.tab];
  const scroll = window.scrollY;
  main.replaceChildren(...(view ? view() : [h('p', {class: 'empty', text: '此账号没有外勤任务。'})]).flat()
    .filter((x) => x));
  window.scrollTo(0, scroll);
}

async function start() {
  window.addEventListener('online', () => { setOnline(true); flush(); refreshData(); });
  window.addEventListener('offline', () => setOnline(false));
  const main = document.getElementById('main');
  main.addEventListener('focusout', (ev) => {
    // moving to a button or another field of the app: its own action redraws (a redraw now could eat the click)
    if (ev.relatedTarget && main.contains(ev.relatedTarget)) return;
    setTimeout(() => { if (S.deferred) render(); }, 0);
  });
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/field/sw.js', {scope: '/field/'}).catch(() => {});
  if (S.auth) await readQueue();
  render();
  if (S.auth) { refreshData(); flush(); }
  setInterval(tickCountdowns, 30000);
  setInterval(() => { if (S.queue.length) flush(); }, 5000);
  setInterval(() => { if (S.online) refreshData(); }, 60000);
}

window.crField = {flush, refreshData, state: S};  // for the tests and for a look in the console
start();
