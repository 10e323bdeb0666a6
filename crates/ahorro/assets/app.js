// Add to cart without a reload, and keep the header count current.
// Without this script every form still works (it posts and redirects).
document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.matches("form.add")) return;
  event.preventDefault();
  const button = form.querySelector("button");
  if (button) button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { "Accept": "application/json" },
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    });
    const data = await response.json();
    const count = document.getElementById("cart-count");
    if (count && typeof data.unidades === "number") count.textContent = data.unidades;
    const aviso = document.getElementById("aviso");
    if (aviso) { aviso.textContent = data.mensaje || ""; aviso.hidden = false; }
  } catch (_) {
    form.submit();
  } finally {
    if (button) button.disabled = false;
  }
});

// Checkout: the summary follows the barrio and the window chosen, with the
// same rules the server applies (it prices the order again; this only
// keeps what the customer reads true before they confirm).
(function () {
  const form = document.getElementById("checkout-form");
  const resumen = document.getElementById("resumen");
  const barrio = document.getElementById("barrio");
  if (!form || !resumen || !barrio) return;
  const ars = (c) => "$ " + Math.floor(c / 100).toLocaleString("es-AR") + (c % 100 ? "," + String(c % 100).padStart(2, "0") : "");
  const subtotal = Number(resumen.dataset.subtotal);
  const show = (id, text) => {
    const el = document.getElementById(id);
    if (el) { el.textContent = text; el.hidden = !text; }
  };
  function update() {
    const zona = barrio.selectedOptions[0];
    if (!zona) return;
    const costo = Number(zona.dataset.costo), minimo = Number(zona.dataset.minimo);
    const franja = form.querySelector("input[name=franja_id]:checked") || form.querySelector("input[name=franja_id]:not([disabled])");
    const gratis = franja && franja.dataset.gratis ? Number(franja.dataset.gratis) : null;
    const envio = gratis !== null && subtotal >= gratis ? 0 : costo;
    show("envio", "Envío a " + zona.value + ": " + (envio === 0 ? "Gratis" : ars(envio)));
    show("total", "Total " + ars(subtotal + envio));
    const confirmar = document.getElementById("confirmar");
    if (confirmar) confirmar.textContent = "Confirmar pedido · " + ars(subtotal + envio);
    show("falta-minimo", subtotal < minimo ? "Te faltan " + ars(minimo - subtotal) + " para el pedido mínimo a " + zona.value + " (" + ars(minimo) + ")." : "");
    show("falta-gratis", gratis !== null && subtotal < gratis ? "Te faltan " + ars(gratis - subtotal) + " para el envío gratis (desde " + ars(gratis) + ")." : "");
  }
  barrio.addEventListener("change", update);
  form.addEventListener("change", (e) => { if (e.target.name === "franja_id") update(); });
})();
