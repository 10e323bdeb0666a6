// The dispatchers' live board. Renders the tickets embedded in the page,
// then keeps them current over Socket.IO: every event carries a `seq` that
// only grows and the whole card of its ticket (with `version`), so cards
// are upserted by ticket id keeping the newest version. After a reconnect
// the board asks for everything after the last seq it saw ("sincronizar"),
// because Socket.IO itself keeps no buffer for a disconnected client; so it
// does when the server says events may have been missed ("resincronizar").
// The tickets arrive as data (a JSON block, escaped for HTML), never as code.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("board-data").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var cards = new Map(); // ticket_id -> card
  var lastSeq = data.ultimo_seq || 0;
  var couriers = data.repartidores || [];
  data.tickets.forEach(function (c) { cards.set(c.ticket_id, c); });

  var LANES = [
    { key: "sin-asignar", title: "Sin asignar" },
    { key: "pendiente", title: "Pendiente" },
    { key: "en-preparacion", title: "En preparación" },
    { key: "en-camino", title: "En camino" },
    { key: "entregado", title: "Entregado" },
    { key: "cancelado", title: "Cancelado" }
  ];
  var NEXT = { "pendiente": "en-preparacion", "en-preparacion": "en-camino", "en-camino": "entregado" };
  var LABEL = { "pendiente": "Pendiente", "en-preparacion": "En preparación", "en-camino": "En camino", "entregado": "Entregado", "cancelado": "Cancelado" };

  var form = document.getElementById("board-filters");
  var boardEl = document.getElementById("board");
  var statusEl = document.getElementById("live-status");
  var toasts = document.getElementById("toasts");

  function laneOf(c) {
    if (!c.repartidor_id && (c.estado === "pendiente" || c.estado === "en-preparacion" || c.estado === "en-camino")) return "sin-asignar";
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

  function filters() {
    var f = new FormData(form);
    return {
      estado: f.get("estado") || "", prioridad: f.get("prioridad") || "", repartidor: f.get("repartidor") || "",
      periodo: f.get("periodo") || "", q: normalize(f.get("q")), orden: f.get("orden") || "fecha"
    };
  }

  function matches(c, f) {
    if (f.estado && c.estado !== f.estado && !(f.estado === "sin-asignar" && laneOf(c) === "sin-asignar")) return false;
    if (f.prioridad && c.prioridad !== f.prioridad) return false;
    if (f.repartidor && String(c.repartidor_id || "") !== f.repartidor) return false;
    var start = periodStart(f.periodo);
    if (start && new Date(c.fecha_creacion) < start) return false;
    if (f.q && normalize(c.numero + " " + c.cliente_nombre + " " + (c.cliente_direccion || "")).indexOf(f.q) < 0) return false;
    return true;
  }

  var SORTS = {
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

  function cardEl(c) {
    var actions = el("div", { class: "card-actions" });
    var next = NEXT[c.estado];
    if (next) actions.appendChild(el("button", { type: "button", "data-action": "next", "data-next": next, text: "→ " + LABEL[next] }));
    if (c.estado !== "entregado" && c.estado !== "cancelado") {
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
    return el("article", { class: "card prioridad-" + c.prioridad, "data-id": String(c.ticket_id), "data-numero": c.numero }, [
      el("header", {}, [
        el("a", { href: "/panel/tickets/" + c.ticket_id, class: "numero", text: c.numero }),
        el("span", { class: "badge prioridad " + c.prioridad, text: c.prioridad })
      ]),
      el("p", { class: "cliente", text: c.cliente_nombre }),
      el("p", { class: "direccion", text: c.cliente_direccion || "Sin dirección" }),
      el("p", { class: "meta" }, [
        el("span", { class: "total", text: pesos(c.total) }),
        el("span", { text: c.productos_count + (c.productos_count === 1 ? " producto" : " productos") }),
        el("span", { class: "age", "data-fecha": c.fecha_creacion, text: age(c.fecha_creacion) })
      ]),
      el("p", { class: "repartidor", text: c.repartidor ? "Repartidor: " + c.repartidor : "Sin repartidor" }),
      actions
    ]);
  }

  function render() {
    var f = filters();
    var visible = Array.from(cards.values()).filter(function (c) { return matches(c, f); }).sort(SORTS[f.orden] || SORTS.fecha);
    boardEl.textContent = "";
    LANES.forEach(function (lane) {
      var inLane = visible.filter(function (c) { return laneOf(c) === lane.key; });
      var column = el("section", { class: "lane lane-" + lane.key, "data-lane": lane.key }, [
        el("h2", { text: lane.title + " (" + inLane.length + ")" })
      ]);
      inLane.forEach(function (c) { column.appendChild(cardEl(c)); });
      boardEl.appendChild(column);
    });
    document.getElementById("board-count").textContent = visible.length + " de " + cards.size + " tickets";
  }

  function toast(text, kind) {
    var node = el("div", { class: "toast " + (kind || ""), role: "status", text: text });
    toasts.appendChild(node);
    setTimeout(function () { node.remove(); }, 6000);
  }

  function apply(name, payload, announce) {
    if (payload.seq && payload.seq > lastSeq) lastSeq = payload.seq;
    if (name === "ticket_eliminado") {
      cards.delete(payload.ticket_id);
      return;
    }
    var known = cards.get(payload.ticket_id);
    if (known && known.version > payload.version) return; // stale
    cards.set(payload.ticket_id, payload);
    if (name === "nuevo_ticket" && announce && !known) {
      toast("Nuevo ticket " + payload.numero + " · " + payload.cliente_nombre + " · " + pesos(payload.total), "nuevo");
      document.title = "(nuevo) " + document.title.replace(/^\(nuevo\) /, "");
    }
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

  boardEl.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    if (!button) return;
    var card = button.closest(".card");
    var id = card.getAttribute("data-id");
    var numero = card.getAttribute("data-numero");
    var action = button.getAttribute("data-action");
    if (action === "next") patch(id, { estado: button.getAttribute("data-next") });
    if (action === "cancel") {
      var motivo = window.prompt("Motivo de la cancelación de " + numero + ":");
      if (motivo && motivo.trim()) patch(id, { estado: "cancelado", motivo: motivo.trim() });
    }
    if (action === "delete") {
      var typed = window.prompt("Para eliminar el ticket escriba su número (" + numero + "):");
      if (typed === null) return;
      if (typed.trim() !== numero) { toast("El número no coincide: no se eliminó nada.", "error"); return; }
      fetch("/api/tickets/" + id, { method: "DELETE", credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
        .then(function (r) { if (!r.ok) return r.json().then(function (j) { throw new Error(j.error); }); })
        .catch(function (e) { toast(e.message, "error"); });
    }
  });

  boardEl.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-action=assign]");
    if (!select) return;
    var id = select.closest(".card").getAttribute("data-id");
    patch(id, { repartidor_id: select.value ? Number(select.value) : null });
  });

  form.addEventListener("input", render);
  form.addEventListener("submit", function (event) { event.preventDefault(); render(); });
  setInterval(function () {
    document.querySelectorAll(".age[data-fecha]").forEach(function (node) { node.textContent = age(node.getAttribute("data-fecha")); });
  }, 30000);
  window.addEventListener("focus", function () { document.title = document.title.replace(/^\(nuevo\) /, ""); });

  // For tests and the curious: what the board knows.
  window.belgranoBoard = { lastSeq: function () { return lastSeq; }, size: function () { return cards.size; } };
  render();
})();
