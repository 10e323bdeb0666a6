// The dispatchers' live board. Renders the tickets embedded in the page,
// then keeps them current over Socket.IO: every event carries a `seq` that
// only grows and the whole card of its ticket (with `version`), so cards
// are upserted by ticket id keeping the newest version. After a reconnect
// the board asks for everything after the last seq it saw ("sincronizar"),
// because Socket.IO itself keeps no buffer for a disconnected client; so it
// does when the server says events may have been missed ("resincronizar").
// The tickets arrive as data (a JSON block, escaped for HTML), never as code.
//
// On a busy day: the filters live in the URL (a reload or a shared link
// keeps them), every card shows its delivery window and a late mark that
// appears by itself when the window ends (or, without a window, once the
// ticket is older than the desk's threshold), and each new ticket plays a
// short beep (WebAudio, generated here: nothing to download) and, when the
// dispatcher allowed it, raises a desktop notification.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("board-data").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var cards = new Map(); // ticket_id -> card
  var lastSeq = data.ultimo_seq || 0;
  var couriers = data.repartidores || [];
  var demoraMs = (data.demora_minutos || 90) * 60000;
  data.tickets.forEach(function (c) { cards.set(c.ticket_id, c); });

  var LANES = [
    { key: "sin-asignar", title: "Sin asignar" },
    { key: "pendiente", title: "Pendiente" },
    { key: "en-preparacion", title: "En preparación" },
    { key: "en-camino", title: "En camino" },
    { key: "entregado", title: "Entregado", final: true },
    { key: "cancelado", title: "Cancelado", final: true }
  ];
  var NEXT = { "pendiente": "en-preparacion", "en-preparacion": "en-camino", "en-camino": "entregado" };
  var LABEL = { "pendiente": "Pendiente", "en-preparacion": "En preparación", "en-camino": "En camino", "entregado": "Entregado", "cancelado": "Cancelado" };
  var OPEN = { "pendiente": true, "en-preparacion": true, "en-camino": true };
  var PRIORITY_RANK = { "alta": 0, "normal": 1, "baja": 2 };

  var form = document.getElementById("board-filters");
  var boardEl = document.getElementById("board");
  var emptyEl = document.getElementById("board-empty");
  var statusEl = document.getElementById("live-status");
  var toasts = document.getElementById("toasts");

  // ---- Buenos Aires time: windows are shown and days counted there,
  // whatever the dispatcher's computer is set to.
  var TZ = "America/Argentina/Buenos_Aires";
  var fmtHora = new Intl.DateTimeFormat("es-AR", { timeZone: TZ, hour: "2-digit", minute: "2-digit", hour12: false });
  var fmtDiaClave = new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" });
  var fmtDiaPartes = new Intl.DateTimeFormat("es-AR", { timeZone: TZ, weekday: "short", day: "numeric", month: "numeric" });
  // "mié 3/12" (ICU writes "mié, 3-12" or "mié 3/12" depending on version).
  var fmtDia = {
    format: function (d) {
      var p = {};
      fmtDiaPartes.formatToParts(d).forEach(function (part) { p[part.type] = part.value; });
      return p.weekday.replace(/\.$/, "") + " " + p.day + "/" + p.month;
    }
  };

  function hora(d) { return fmtHora.format(d); }
  function dia(d) { return fmtDiaClave.format(d); }
  function hoy() { return dia(new Date()); }
  function shortHour(text) { return text.replace(/:00$/, "").replace(/^0(\d)/, "$1"); }

  /// The window as a dispatcher reads it: "12:00–15:00", with the day in
  /// front when it is not today ("mié 3/12 12:00–15:00").
  function windowText(c) {
    if (!c.franja) return null;
    var desde = new Date(c.franja.desde), hasta = new Date(c.franja.hasta);
    var text = hora(desde) + "–" + hora(hasta);
    return dia(desde) === hoy() ? text : fmtDia.format(desde) + " " + text;
  }

  /// The window's time of day, the same for every day: the filter's value.
  function windowKey(c) {
    if (!c.franja) return "sin";
    return hora(new Date(c.franja.desde)) + "-" + hora(new Date(c.franja.hasta));
  }

  var WINDOW_KEY = /^\d\d:\d\d-\d\d:\d\d$/;

  function windowKeyLabel(key) {
    if (key === "sin") return "Sin franja";
    var parts = key.split("-");
    return shortHour(parts[0]) + "–" + shortHour(parts[1]);
  }

  /// When an open ticket becomes late: its window's end, or (without a
  /// window) its creation plus the desk's threshold. Null for closed ones.
  function lateAt(c) {
    if (!OPEN[c.estado]) return null;
    if (c.franja) return new Date(c.franja.hasta).getTime();
    return new Date(c.fecha_creacion).getTime() + demoraMs;
  }

  function lateText(c, now) {
    var at = lateAt(c);
    if (at === null || now <= at) return null;
    if (c.franja) {
      var hasta = new Date(c.franja.hasta);
      return "Demorado: la franja terminó " + (dia(hasta) === hoy() ? "a las " + hora(hasta) : "el " + fmtDia.format(hasta) + " " + hora(hasta));
    }
    return "Demorado: abierto " + age(c.fecha_creacion) + " (límite " + Math.round(demoraMs / 60000) + " min)";
  }

  function laneOf(c) {
    if (!c.repartidor_id && OPEN[c.estado]) return "sin-asignar";
    return c.estado;
  }

  function periodStart(period) {
    var now = new Date();
    if (period === "hoy") { var d = new Date(now); d.setHours(0, 0, 0, 0); return d; }
    if (period === "semana") return new Date(now.getTime() - 7 * 864e5);
    if (period === "mes") return new Date(now.getTime() - 30 * 864e5);
    return null;
  }

  function normalize(text) {
    return (text || "").toString().toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  // ---- Filters, kept in the URL. Only values that differ from the
  // default are written, so a plain /panel stays plain.
  var FILTERS = ["estado", "prioridad", "repartidor", "franja", "periodo", "q"];
  var DEFAULT_ORDER = "franja";
  var collapsed = {}; // final lane key -> true when folded

  function field(name) { return form.elements.namedItem(name); }

  function ensureOption(select, value, label) {
    if (!value) return;
    var exists = Array.prototype.some.call(select.options, function (o) { return o.value === value; });
    if (!exists) select.appendChild(el("option", { value: value, text: label }));
  }

  function readUrl() {
    var params = new URLSearchParams(window.location.search);
    FILTERS.forEach(function (name) {
      var value = params.get(name) || "";
      var input = field(name);
      if (name === "franja" && WINDOW_KEY.test(value)) ensureOption(input, value, windowKeyLabel(value));
      input.value = value;
      // An unknown value (a courier since removed) falls back to "all".
      if (input.value !== value) input.value = "";
    });
    field("orden").value = params.get("orden") || DEFAULT_ORDER;
    if (!field("orden").value) field("orden").value = DEFAULT_ORDER;
    field("finales").checked = params.get("finales") === "todos";
    collapsed = {};
    (params.get("plegadas") || "").split(",").forEach(function (key) { if (key) collapsed[key] = true; });
  }

  function writeUrl() {
    var params = new URLSearchParams();
    FILTERS.forEach(function (name) { var v = field(name).value; if (v) params.set(name, v); });
    if (field("orden").value !== DEFAULT_ORDER) params.set("orden", field("orden").value);
    if (field("finales").checked) params.set("finales", "todos");
    var folded = LANES.filter(function (l) { return collapsed[l.key]; }).map(function (l) { return l.key; });
    if (folded.length) params.set("plegadas", folded.join(","));
    var query = params.toString();
    var url = window.location.pathname + (query ? "?" + query : "") + window.location.hash;
    if (url !== window.location.pathname + window.location.search + window.location.hash) {
      window.history.replaceState(window.history.state, "", url);
    }
  }

  function filters() {
    return {
      estado: field("estado").value, prioridad: field("prioridad").value, repartidor: field("repartidor").value,
      franja: field("franja").value, periodo: field("periodo").value, q: normalize(field("q").value),
      orden: field("orden").value || DEFAULT_ORDER, finales: field("finales").checked
    };
  }

  function filtering(f) {
    return FILTERS.some(function (name) { return !!f[name]; });
  }

  function clearFilters() {
    FILTERS.forEach(function (name) { field(name).value = ""; });
    render();
  }

  function matches(c, f) {
    if (f.estado && c.estado !== f.estado && !(f.estado === "sin-asignar" && laneOf(c) === "sin-asignar")) return false;
    if (f.prioridad && c.prioridad !== f.prioridad) return false;
    if (f.repartidor && String(c.repartidor_id || "") !== f.repartidor) return false;
    if (f.franja && windowKey(c) !== f.franja) return false;
    var start = periodStart(f.periodo);
    if (start && new Date(c.fecha_creacion) < start) return false;
    if (f.q && normalize(c.numero + " " + c.cliente_nombre + " " + (c.cliente_direccion || "") + " " + (c.barrio || "")).indexOf(f.q) < 0) return false;
    return true;
  }

  /// Final lanes show the day's work (Buenos Aires day of the last change)
  /// unless the dispatcher asked for the earlier days too.
  function shownInFinalLane(c, f) {
    return f.finales || dia(new Date(c.fecha_actualizacion)) === hoy();
  }

  function byWindow(a, b) {
    var wa = a.franja ? new Date(a.franja.desde).getTime() : Infinity;
    var wb = b.franja ? new Date(b.franja.desde).getTime() : Infinity;
    if (wa !== wb) return wa < wb ? -1 : 1;
    var pa = PRIORITY_RANK[a.prioridad], pb = PRIORITY_RANK[b.prioridad];
    if (pa !== pb) return pa - pb;
    return a.fecha_creacion.localeCompare(b.fecha_creacion); // oldest first
  }

  var SORTS = {
    franja: byWindow,
    fecha: function (a, b) { return b.fecha_creacion.localeCompare(a.fecha_creacion); },
    total: function (a, b) { return b.total - a.total; },
    productos: function (a, b) { return b.productos_count - a.productos_count; },
    cliente: function (a, b) { return a.cliente_nombre.localeCompare(b.cliente_nombre, "es"); }
  };

  function age(iso) {
    var minutes = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 60000));
    if (minutes < 1) return "recién";
    if (minutes < 60) return "hace " + minutes + " min";
    var hours = Math.round(minutes / 60);
    if (hours < 48) return "hace " + hours + " h";
    return "hace " + Math.round(hours / 24) + " días";
  }

  function pesos(n) {
    return "$ " + Number(n).toLocaleString("es-AR", { minimumFractionDigits: 0, maximumFractionDigits: 2 });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  /// The window filter offers the windows of the tickets on the board (and
  /// the one in the URL, even when no ticket has it any more).
  function refreshWindowOptions() {
    var select = field("franja");
    var chosen = select.value;
    var keys = {};
    cards.forEach(function (c) { if (c.franja) keys[windowKey(c)] = true; });
    if (chosen && chosen !== "sin") keys[chosen] = true;
    var sorted = Object.keys(keys).sort();
    // Rebuilt only when the windows change, so an open list stays open.
    var present = Array.prototype.slice.call(select.options, 2).map(function (o) { return o.value; });
    if (present.join(",") === sorted.join(",")) return;
    while (select.options.length > 2) select.remove(2);
    sorted.forEach(function (key) { select.appendChild(el("option", { value: key, text: windowKeyLabel(key) })); });
    select.value = chosen;
  }

  function lateMark(c, now) {
    var text = lateText(c, now);
    return text ? el("p", { class: "demora", text: text }) : null;
  }

  function cardEl(c, now) {
    var actions = el("div", { class: "card-actions" });
    var next = NEXT[c.estado];
    if (next) actions.appendChild(el("button", { type: "button", "data-action": "next", "data-next": next, text: "→ " + LABEL[next] }));
    if (OPEN[c.estado]) {
      var select = el("select", { "data-action": "assign", "aria-label": "Repartidor de " + c.numero });
      select.appendChild(el("option", { value: "", text: "Sin repartidor" }));
      couriers.forEach(function (r) {
        var opt = el("option", { value: String(r.id), text: r.nombre + (r.disponible ? "" : " (no disponible)") });
        if (r.id === c.repartidor_id) opt.selected = true;
        select.appendChild(opt);
      });
      actions.appendChild(select);
      actions.appendChild(el("button", { type: "button", class: "secondary", "data-action": "cancel", text: "Cancelar" }));
    }
    actions.appendChild(el("button", { type: "button", class: "danger", "data-action": "delete", text: "Eliminar" }));
    var late = lateText(c, now);
    var win = windowText(c);
    return el("article", {
      class: "card prioridad-" + c.prioridad + (late ? " demorada" : ""),
      "data-id": String(c.ticket_id), "data-numero": c.numero, "data-franja": windowKey(c)
    }, [
      el("header", {}, [
        el("a", { href: "/panel/tickets/" + c.ticket_id, class: "numero", text: c.numero }),
        el("span", { class: "badge prioridad " + c.prioridad, text: c.prioridad })
      ]),
      late ? el("p", { class: "demora", text: late }) : null,
      c.intentos_fallidos > 0 && OPEN[c.estado]
        ? el("p", { class: "intento", text: "Intento fallido ×" + c.intentos_fallidos + (c.motivo_intento ? ": " + c.motivo_intento : "") })
        : null,
      el("p", { class: "franja" + (win ? "" : " sin"), text: win ? "Franja " + win : "Sin franja" }),
      el("p", { class: "cliente", text: c.cliente_nombre }),
      el("p", { class: "direccion" }, [
        document.createTextNode(c.cliente_direccion || "Sin dirección"),
        c.barrio ? el("span", { class: "barrio", text: c.barrio }) : null
      ]),
      el("p", { class: "meta" }, [
        el("span", { class: "total", text: pesos(c.total) }),
        el("span", { text: c.productos_count + (c.productos_count === 1 ? " producto" : " productos") }),
        el("span", { class: "age", "data-fecha": c.fecha_creacion, text: age(c.fecha_creacion) })
      ]),
      el("p", { class: "repartidor", text: c.repartidor ? "Repartidor: " + c.repartidor : "Sin repartidor" }),
      actions
    ]);
  }

  function laneEl(lane, inLane, hiddenOlder, f) {
    var folded = !!collapsed[lane.key];
    var title = el("h2", { id: "lane-titulo-" + lane.key, text: lane.title + " (" + inLane.length + ")" });
    var head = el("div", { class: "lane-head" }, [title]);
    if (lane.final) {
      head.appendChild(el("button", {
        type: "button", class: "link lane-toggle", "data-action": "plegar", "data-lane": lane.key,
        "aria-expanded": folded ? "false" : "true", "aria-controls": "lane-cuerpo-" + lane.key,
        text: folded ? "Mostrar" : "Plegar"
      }));
    }
    var body = el("div", { class: "lane-body", id: "lane-cuerpo-" + lane.key });
    if (folded) body.hidden = true;
    if (!inLane.length && filtering(f)) {
      body.appendChild(el("p", { class: "lane-empty" }, [
        document.createTextNode("Ningún ticket con estos filtros. "),
        el("button", { type: "button", class: "link", "data-action": "quitar-filtros", text: "Quitar filtros" })
      ]));
    } else if (!inLane.length) {
      body.appendChild(el("p", { class: "lane-empty", text: lane.final && !f.finales ? "Ninguno hoy." : "Sin tickets." }));
    }
    var now = Date.now();
    inLane.forEach(function (c) { body.appendChild(cardEl(c, now)); });
    if (hiddenOlder) {
      body.appendChild(el("p", { class: "lane-older hint" }, [
        document.createTextNode(hiddenOlder + " más de días anteriores. "),
        el("button", { type: "button", class: "link", "data-action": "ver-anteriores", text: "Ver todos" })
      ]));
    }
    return el("section", {
      class: "lane lane-" + lane.key + (folded ? " plegada" : ""), "data-lane": lane.key, "aria-labelledby": title.id
    }, [head, body]);
  }

  function render() {
    refreshWindowOptions();
    writeUrl();
    var f = filters();
    var matching = Array.from(cards.values()).filter(function (c) { return matches(c, f); }).sort(SORTS[f.orden] || byWindow);
    var shown = 0;
    boardEl.textContent = "";
    LANES.forEach(function (lane) {
      var inLane = matching.filter(function (c) { return laneOf(c) === lane.key; });
      var hiddenOlder = 0;
      if (lane.final) {
        var today = inLane.filter(function (c) { return shownInFinalLane(c, f); });
        hiddenOlder = inLane.length - today.length;
        inLane = today;
      }
      shown += inLane.length;
      boardEl.appendChild(laneEl(lane, inLane, hiddenOlder, f));
    });
    // Folded lanes take a narrow strip; the others share the width, so all
    // six fit side by side at 1280 px.
    boardEl.style.setProperty("--lanes", LANES.map(function (l) { return collapsed[l.key] ? "3rem" : "minmax(0, 1fr)"; }).join(" "));
    emptyEl.hidden = !(shown === 0 && filtering(f) && cards.size > 0);
    document.getElementById("board-count").textContent = shown + " de " + cards.size + " tickets";
    scheduleLateCheck();
  }

  // ---- Time passes: ages and late marks change without a reload. A
  // timer fires when the next open ticket becomes late (its window ends or
  // it reaches the threshold), and every 30 s for the ages.
  var lateTimer = null;
  function refreshTimes() {
    var now = Date.now();
    document.querySelectorAll(".age[data-fecha]").forEach(function (node) { node.textContent = age(node.getAttribute("data-fecha")); });
    boardEl.querySelectorAll(".card[data-id]").forEach(function (node) {
      var c = cards.get(Number(node.getAttribute("data-id")));
      if (!c) return;
      var old = node.querySelector(".demora");
      var mark = lateMark(c, now);
      if (old) old.remove();
      node.classList.toggle("demorada", !!mark);
      if (mark) node.querySelector("header").insertAdjacentElement("afterend", mark);
    });
    scheduleLateCheck();
  }

  function scheduleLateCheck() {
    if (lateTimer) clearTimeout(lateTimer);
    var now = Date.now();
    var next = Infinity;
    cards.forEach(function (c) { var at = lateAt(c); if (at !== null && at >= now && at < next) next = at; });
    if (next === Infinity) return;
    // setTimeout has a 24.8-day ceiling; a minute is plenty between checks.
    lateTimer = setTimeout(refreshTimes, Math.min(next - now + 250, 60000));
  }

  var shownDay = hoy();
  setInterval(function () {
    // A new Buenos Aires day: the final lanes start over.
    if (hoy() !== shownDay) { shownDay = hoy(); render(); } else refreshTimes();
  }, 30000);

  // ---- Alerts for new tickets: a beep and, when allowed, a desktop
  // notification. Browsers keep audio locked until the person interacts
  // with the page: the first click or key press on the board unlocks it.
  var MUTE_KEY = "belgrano-tablero-silencio";
  var DESKTOP_KEY = "belgrano-tablero-avisos";
  var soundButton = document.getElementById("avisos-sonido");
  var desktopButton = document.getElementById("avisos-escritorio");
  var avisosEstado = document.getElementById("avisos-estado");
  var audio = null;
  var lastBeep = 0;

  function storage(key, value) {
    try {
      if (value === undefined) return window.localStorage.getItem(key);
      if (value === null) window.localStorage.removeItem(key); else window.localStorage.setItem(key, value);
    } catch (e) { /* private mode: the choice lasts for this page only */ }
    return null;
  }

  var muted = storage(MUTE_KEY) === "1";

  function audioContext() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    if (!audio) audio = new Ctx();
    return audio;
  }

  function unlockAudio() {
    var ctx = audioContext();
    if (ctx && ctx.state === "suspended") ctx.resume().then(showSoundState, function () {});
    showSoundState();
  }
  document.addEventListener("pointerdown", unlockAudio, true);
  document.addEventListener("keydown", unlockAudio, true);

  function showSoundState() {
    soundButton.textContent = muted ? "Sonido: silenciado" : "Sonido: activado";
    soundButton.setAttribute("aria-pressed", muted ? "false" : "true");
    if (!muted && (!audio || audio.state !== "running")) {
      avisosEstado.textContent = "El navegador habilita el sonido con el primer clic en el panel.";
    } else avisosEstado.textContent = desktopHint();
  }

  function beep() {
    var ctx = audioContext();
    if (!ctx) return false;
    if (ctx.state === "suspended") ctx.resume().catch(function () {});
    var now = Date.now();
    if (now - lastBeep < 250) return false; // a burst (catch-up) rings once
    lastBeep = now;
    // Two short tones, 880 Hz then 1320 Hz, with a quick fade so they click less.
    [[880, 0], [1320, 0.16]].forEach(function (tone) {
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      var t = ctx.currentTime + tone[1];
      osc.type = "sine";
      osc.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.25, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.14);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.15);
    });
    return true;
  }

  function desktopAllowed() {
    return "Notification" in window && Notification.permission === "granted" && storage(DESKTOP_KEY) === "1";
  }

  function desktopHint() {
    if (!("Notification" in window)) return "";
    if (Notification.permission === "denied") return "El navegador bloqueó los avisos de escritorio: habilítelos en la configuración del sitio.";
    return "";
  }

  function showDesktopState() {
    if (!("Notification" in window)) {
      desktopButton.disabled = true;
      desktopButton.textContent = "Avisos de escritorio no disponibles";
      showSoundState();
      return;
    }
    desktopButton.textContent = desktopAllowed() ? "Desactivar avisos" : "Activar avisos";
    desktopButton.setAttribute("aria-pressed", desktopAllowed() ? "true" : "false");
    showSoundState();
  }

  desktopButton.addEventListener("click", function () {
    if (!("Notification" in window)) return;
    if (desktopAllowed()) { storage(DESKTOP_KEY, null); showDesktopState(); return; }
    Notification.requestPermission().then(function (permission) {
      if (permission === "granted") storage(DESKTOP_KEY, "1");
      showDesktopState();
    });
  });

  soundButton.addEventListener("click", function () {
    muted = !muted;
    storage(MUTE_KEY, muted ? "1" : null);
    showSoundState();
  });

  var avisos = 0, sonidos = 0;
  function announce(c) {
    avisos += 1;
    var sounded = !muted && beep();
    if (sounded) sonidos += 1;
    boardEl.setAttribute("data-avisos", String(avisos));
    boardEl.setAttribute("data-sonidos", String(sonidos));
    var win = windowText(c);
    toast("Nuevo ticket " + c.numero + " · " + c.cliente_nombre + " · " + pesos(c.total) + (win ? " · " + win : ""), "nuevo");
    document.title = "(nuevo) " + document.title.replace(/^\(nuevo\) /, "");
    // Only when the dispatcher is looking elsewhere: on the board the toast says it.
    if (desktopAllowed() && (document.hidden || !document.hasFocus())) {
      try {
        var n = new Notification("Nuevo ticket " + c.numero, {
          body: c.cliente_nombre + " · " + pesos(c.total) + (win ? " · Franja " + win : ""), tag: "ticket-" + c.ticket_id
        });
        n.onclick = function () { window.focus(); n.close(); };
      } catch (e) { /* some browsers only notify from a service worker */ }
    }
    boardEl.dispatchEvent(new CustomEvent("belgrano:aviso", { bubbles: true, detail: { numero: c.numero, sonido: sounded } }));
  }

  function toast(text, kind) {
    var node = el("div", { class: "toast " + (kind || ""), role: "status", text: text });
    toasts.appendChild(node);
    setTimeout(function () { node.remove(); }, 6000);
  }

  function apply(name, payload, live) {
    if (payload.seq && payload.seq > lastSeq) lastSeq = payload.seq;
    if (name === "ticket_eliminado") {
      cards.delete(payload.ticket_id);
      return;
    }
    var known = cards.get(payload.ticket_id);
    if (known && known.version > payload.version) return; // stale
    cards.set(payload.ticket_id, payload);
    if (name === "nuevo_ticket" && live && !known) announce(payload);
  }

  var socket = io({ transports: ["websocket", "polling"], withCredentials: true });
  ["nuevo_ticket", "ticket_actualizado", "ticket_asignado", "ticket_eliminado"].forEach(function (name) {
    socket.on(name, function (payload) { apply(name, payload, true); render(); });
  });

  // The session ended (logout here or elsewhere, expiry, a new password):
  // reload, and the server sends this browser to the login page. Once per
  // 15 s at most, so a page the server still accepts cannot loop.
  var leaving = false;
  function sessionEnded() {
    if (leaving) return;
    leaving = true;
    socket.close();
    statusEl.textContent = "Sesión terminada";
    statusEl.className = "live off";
    var last = Number(window.sessionStorage.getItem("belgrano-sesion-terminada") || 0);
    if (Date.now() - last < 15000) { statusEl.textContent = "Sin conexión en vivo: recargue la página"; return; }
    window.sessionStorage.setItem("belgrano-sesion-terminada", String(Date.now()));
    window.location.reload();
  }

  // Catch-up from the last seq seen: after every (re)connect, and whenever
  // the server says events may have been missed ("resincronizar": its link
  // to the other instances was down). One request at a time.
  var syncing = false;
  var syncAgain = false;
  function catchUp() {
    if (leaving) return;
    if (syncing) { syncAgain = true; return; }
    syncing = true;
    syncAgain = false;
    socket.timeout(10000).emit("sincronizar", { desde_seq: lastSeq }, function (err, answer) {
      syncing = false;
      if (!err && answer && answer.sesion_terminada) { sessionEnded(); return; }
      if (err || !answer || answer.error) {
        // Disconnected meanwhile: the next "connect" catches up.
        if (socket.connected) { toast("No se pudo sincronizar; reintentando…", "error"); setTimeout(catchUp, 2000); }
        return;
      }
      answer.eventos.forEach(function (e) { apply(e.evento, e.datos, true); });
      render();
      if (!answer.completo || syncAgain) catchUp();
    });
  }

  socket.on("connect", function () {
    statusEl.textContent = "En vivo";
    statusEl.className = "live on";
    catchUp();
  });
  socket.on("resincronizar", catchUp);
  socket.on("desconexion", function (why) {
    if (why && why.motivo === "sesion-cerrada") sessionEnded();
  });
  socket.on("disconnect", function (reason) {
    if (leaving) return;
    statusEl.textContent = "Reconectando…";
    statusEl.className = "live off";
    // The server let this socket go (its account changed): connect again,
    // which checks the session again. Other drops reconnect by themselves.
    if (reason === "io server disconnect") setTimeout(function () { socket.connect(); }, 500 + Math.random() * 1500);
  });
  socket.on("connect_error", function (error) {
    statusEl.textContent = "Sin conexión en vivo";
    statusEl.className = "live off";
    if (error && error.message === "no autorizado") sessionEnded();
  });

  function patch(id, body) {
    return fetch("/api/tickets/" + id, {
      method: "PATCH", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || "Error " + r.status); return j; });
    }).catch(function (e) { toast(e.message, "error"); render(); });
  }

  // ---- Confirmation dialogs (<dialog>: modal, Esc closes, focus moves to
  // the field and back to the card's button). `check` returns an error
  // message for the field, or null when the value will do.
  function ask(dialog, numero, check, opener) {
    return new Promise(function (resolve) {
      var dialogForm = dialog.querySelector("form");
      var input = dialogForm.querySelector("textarea, input");
      var error = dialog.querySelector(".field-error");
      var done = false;
      dialogForm.reset();
      error.textContent = "";
      input.removeAttribute("aria-invalid");
      dialog.querySelectorAll("[data-numero]").forEach(function (n) { n.textContent = numero; });
      function finish(value) {
        if (done) return;
        done = true;
        dialogForm.removeEventListener("submit", onSubmit);
        dialog.removeEventListener("close", onClose);
        if (dialog.open) dialog.close();
        if (opener && opener.isConnected) opener.focus();
        resolve(value);
      }
      function onSubmit(event) {
        event.preventDefault();
        var problem = check(input.value.trim());
        if (problem) {
          error.textContent = problem;
          input.setAttribute("aria-invalid", "true");
          input.focus();
          return;
        }
        finish(input.value.trim());
      }
      function onClose() { finish(null); }
      dialogForm.addEventListener("submit", onSubmit);
      dialog.addEventListener("close", onClose);
      dialog.showModal();
      input.focus();
    });
  }

  document.querySelectorAll(".board-dialog [data-close]").forEach(function (button) {
    button.addEventListener("click", function () { button.closest("dialog").close(); });
  });

  var cancelDialog = document.getElementById("dialogo-cancelar");
  var deleteDialog = document.getElementById("dialogo-eliminar");

  function cancelTicket(id, numero, opener) {
    ask(cancelDialog, numero, function (motivo) {
      return motivo ? null : "Escriba el motivo: el cliente lo recibe con el aviso.";
    }, opener).then(function (motivo) {
      if (motivo) patch(id, { estado: "cancelado", motivo: motivo });
    });
  }

  function deleteTicket(id, numero, opener) {
    ask(deleteDialog, numero, function (typed) {
      if (!typed) return "Escriba el número " + numero + " para confirmar.";
      return typed.toUpperCase() === numero.toUpperCase() ? null : "El número no coincide con " + numero + ": no se eliminó nada.";
    }, opener).then(function (typed) {
      if (!typed) return;
      fetch("/api/tickets/" + id, { method: "DELETE", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
        .then(function (r) { if (!r.ok) return r.json().then(function (j) { throw new Error(j.error); }); })
        .catch(function (e) { toast(e.message, "error"); });
    });
  }

  boardEl.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) return;
    var action = button.getAttribute("data-action");
    if (action === "plegar") {
      var key = button.getAttribute("data-lane");
      if (collapsed[key]) delete collapsed[key]; else collapsed[key] = true;
      render();
      var again = boardEl.querySelector("button[data-action=plegar][data-lane='" + key + "']");
      if (again) again.focus();
      return;
    }
    if (action === "ver-anteriores") { field("finales").checked = true; render(); return; }
    if (action === "quitar-filtros") { clearFilters(); return; }
    var card = button.closest(".card");
    if (!card) return;
    var id = card.getAttribute("data-id");
    var numero = card.getAttribute("data-numero");
    if (action === "next") patch(id, { estado: button.getAttribute("data-next") });
    if (action === "cancel") cancelTicket(id, numero, button);
    if (action === "delete") deleteTicket(id, numero, button);
  });

  boardEl.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-action=assign]");
    if (!select) return;
    var id = select.closest(".card").getAttribute("data-id");
    patch(id, { repartidor_id: select.value ? Number(select.value) : null });
  });

  emptyEl.querySelector("[data-action=quitar-filtros]").addEventListener("click", clearFilters);
  form.addEventListener("input", render);
  form.addEventListener("change", render);
  form.addEventListener("submit", function (event) { event.preventDefault(); render(); });
  window.addEventListener("focus", function () { document.title = document.title.replace(/^\(nuevo\) /, ""); });

  // For tests and the curious: what the board knows.
  window.belgranoBoard = {
    lastSeq: function () { return lastSeq; },
    size: function () { return cards.size; },
    avisos: function () { return avisos; },
    sonidos: function () { return sonidos; }
  };
  refreshWindowOptions();
  readUrl();
  showDesktopState();
  render();
})();
