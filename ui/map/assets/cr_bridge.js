/*
 * Runs in Qt's ApplicationWorld (an isolated JavaScript world), right after qwebchannel.js.
 *
 * Page scripts cannot see `qt.webChannelTransport`, the QWebChannel or the bridge object
 * (which, like every QObject, also carries deleteLater). They can only dispatch a
 * 'cr-bridge-call' DOM event whose detail is a JSON string {m: method, a: args}; this
 * script forwards the three whitelisted calls, with their arguments type-checked.
 */
(function () {
  'use strict';
  var MAX_ID = 64;
  var MAX_IDS = 200000;

  function isId(v) { return typeof v === 'string' && v.length > 0 && v.length <= MAX_ID; }

  var CHECK = {
    incidentClicked: function (a) { return a && a.length === 1 && isId(a[0]) ? [a[0]] : null; },
    selectionMade: function (a) {
      if (!a || a.length !== 1 || !Array.isArray(a[0]) || a[0].length > MAX_IDS) { return null; }
      return a[0].every(isId) ? [a[0]] : null;
    },
    rendered: function (a) { return a && a.length === 1 && Number.isInteger(a[0]) ? [a[0]] : null; }
  };

  var bridge = null;
  var queue = [];

  function deliver(method, args) {
    try { bridge[method].apply(bridge, args); } catch (e) { /* the view is closing */ }
  }

  document.addEventListener('cr-bridge-call', function (e) {
    var msg;
    try { msg = JSON.parse(e.detail); } catch (x) { return; }
    if (!msg || typeof msg.m !== 'string' || !Object.prototype.hasOwnProperty.call(CHECK, msg.m)) { return; }
    var args = CHECK[msg.m](msg.a);
    if (!args) { return; }
    if (bridge) { deliver(msg.m, args); } else { queue.push([msg.m, args]); }
  });

  function connect(attempt) {
    if (typeof qt === 'undefined' || !qt.webChannelTransport) {
      if (attempt < 200) { setTimeout(function () { connect(attempt + 1); }, 10); }
      return;
    }
    new QWebChannel(qt.webChannelTransport, function (channel) {
      bridge = channel.objects.crBridge;
      var pending = queue;
      queue = [];
      pending.forEach(function (c) { deliver(c[0], c[1]); });
    });
  }
  connect(0);
})();
