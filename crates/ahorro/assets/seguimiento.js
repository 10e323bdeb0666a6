// Live order status. The page's [data-eventos] element names its event
// stream; each `estado` event carries one order's progress. The tracking
// page redraws its steps; /mis_pedidos redraws that order's card.
// Without this script the pages still show the state they were served with.
(() => {
  const root = document.querySelector("[data-eventos]");
  if (!root || !window.EventSource) return;
  const PASOS = ["pendiente", "en-preparacion", "en-camino", "entregado"];
  const byId = (id) => document.getElementById(id);
  const setText = (id, value) => { const el = byId(id); if (el) el.textContent = value; };

  function tracking(s) {
    const estado = byId("estado");
    if (estado) { estado.textContent = s.estado_label; estado.dataset.estado = s.estado; }
    const cancelado = s.estado === "cancelado";
    const pasos = byId("pasos");
    if (pasos) pasos.hidden = cancelado;
    const caja = byId("cancelado");
    if (caja) caja.hidden = !cancelado;
    setText("motivo", s.motivo_cancelacion ? "Motivo: " + s.motivo_cancelacion : "");
    const intento = byId("no-entregado");
    if (intento) intento.hidden = !s.no_entregado;
    setText("motivo-intento", s.no_entregado || "");
    const actual = PASOS.indexOf(s.estado);
    const fechas = { "pendiente": s.fecha_local, "en-camino": s.en_camino_local, "entregado": s.entrega_local };
    document.querySelectorAll("#pasos li[data-paso]").forEach((li) => {
      const i = PASOS.indexOf(li.dataset.paso);
      li.className = actual < 0 ? "pendiente" : i < actual ? "hecho" : i === actual ? "actual" : "pendiente";
      const fecha = li.querySelector(".paso-fecha");
      if (fecha) fecha.textContent = fechas[li.dataset.paso] || "";
    });
    setText("repartidor", s.repartidor || "a asignar");
    setText("actualizado", s.actualizado_local);
  }

  function card(s) {
    const article = byId("pedido-" + s.numero);
    const linea = article && article.querySelector(".ticket");
    if (!linea || s.ticket_id == null) return;
    const el = (tag, cls, text) => { const e = document.createElement(tag); e.className = cls; e.textContent = text; return e; };
    const partes = ["Ticket #", el("span", "ticket-id", String(s.ticket_id)), " · estado ", el("b", "ticket-estado", s.estado_label)];
    if (s.repartidor) partes.push(" · repartidor ", el("b", "repartidor", s.repartidor));
    linea.replaceChildren(...partes);
  }

  const source = new EventSource(root.dataset.eventos);
  source.addEventListener("estado", (event) => {
    let s;
    try { s = JSON.parse(event.data); } catch (_) { return; }
    if (root.dataset.numero) tracking(s); else card(s);
  });
  const vivo = (on) => { const v = byId("en-vivo"); if (v) v.hidden = !on; };
  source.addEventListener("open", () => vivo(true));
  source.addEventListener("error", () => vivo(false));
})();
