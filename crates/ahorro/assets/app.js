// The shop's enhancements. Without this script every form still works (it
// posts and redirects); with it the cart changes without a reload.
document.documentElement.classList.add("js");

// Prices as the server writes them: "$ 1.800" with a non-breaking space.
const ars = (c) => "$\u00a0" + Math.floor(c / 100).toLocaleString("es-AR") + (c % 100 ? "," + String(c % 100).padStart(2, "0") : "");

// The notice (#aviso, a fixed toast with role=status): visible wherever the
// customer has scrolled; it goes away by itself.
let avisoTimer;
function avisar(text) {
  const aviso = document.getElementById("aviso");
  if (!aviso || !text) return;
  aviso.hidden = false;
  aviso.textContent = text;
  clearTimeout(avisoTimer);
  avisoTimer = setTimeout(() => { aviso.hidden = true; }, 5000);
}

// A notice the server wrote ("Guardado.") goes away by itself too.
(function () {
  const aviso = document.getElementById("aviso");
  if (aviso && !aviso.hidden) avisoTimer = setTimeout(() => { aviso.hidden = true; }, 8000);
})();

// The header's count, and its spoken label ("3 productos").
function contar(unidades) {
  if (typeof unidades !== "number") return;
  const count = document.getElementById("cart-count");
  if (count) count.textContent = unidades;
  const label = document.getElementById("cart-label");
  if (label) label.textContent = ", " + unidades + (unidades === 1 ? " producto" : " productos");
}

async function post(form, submitter, json) {
  const body = new URLSearchParams(new FormData(form));
  if (submitter && submitter.name) body.set(submitter.name, submitter.value);
  return fetch(form.action, {
    method: "POST",
    headers: json ? { "Accept": "application/json" } : {},
    body,
    credentials: "same-origin",
  });
}

// A product card: "Agregar" while the product is not in the cart, a − / +
// stepper once it is (each button carries the quantity it sets).
function mostrarCantidad(card, cantidad) {
  if (!card) return;
  const add = card.querySelector("form.add"), paso = card.querySelector("form.paso");
  if (!add || !paso) return;
  const stock = Number(paso.dataset.stock || 999);
  paso.querySelector(".n b").textContent = cantidad;
  paso.querySelector(".menos").value = cantidad - 1;
  const mas = paso.querySelector(".mas");
  mas.value = cantidad + 1;
  mas.disabled = cantidad >= stock;
  const focusAdd = cantidad === 0 && paso.contains(document.activeElement);
  const focusPaso = cantidad > 0 && add.contains(document.activeElement);
  add.hidden = cantidad > 0;
  paso.hidden = cantidad === 0;
  if (focusAdd) add.querySelector("button").focus();
  if (focusPaso) paso.querySelector(".mas").focus();
}

// The cart page: after a − / + / Quitar, the cart as the server shows it
// now (the POST redirects to /carrito, which fetch follows).
async function recargarCarrito(response, submitter) {
  const html = await response.text();
  const doc = new DOMParser().parseFromString(html, "text/html");
  const nuevo = doc.getElementById("carrito"), actual = document.getElementById("carrito");
  if (!nuevo || !actual) { location.reload(); return; }
  const foco = submitter && submitter.getAttribute("form");
  actual.replaceWith(nuevo);
  const count = doc.getElementById("cart-count");
  if (count) contar(Number(count.textContent));
  // Keep the keyboard where it was (a removed line: the cart's heading).
  const again = foco && document.querySelector("[form='" + foco + "']");
  (again && !again.disabled ? again : document.querySelector("#carrito h1")).focus();
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  const submitter = event.submitter;
  if (form.matches("form.add, form.paso")) {
    event.preventDefault();
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const response = await post(form, submitter, true);
      const data = await response.json();
      contar(data.unidades);
      avisar(data.mensaje);
      if (data.ok) mostrarCantidad(form.closest(".card"), data.cantidad);
    } catch (_) {
      form.submit();
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      const card = form.closest(".card"), mas = card && card.querySelector(".paso .mas");
      if (mas) mas.disabled = Number(mas.value) > Number(card.querySelector(".paso").dataset.stock || 999);
    }
    return;
  }
  if (form.matches("#carrito form.cambio")) {
    event.preventDefault();
    if (submitter) submitter.disabled = true;
    try {
      await recargarCarrito(await post(form, null, false), submitter);
    } catch (_) {
      form.submit();
    }
    return;
  }
  // "Vaciar carrito" asks first (without this script the server asks).
  if (form.id === "vaciar") {
    const dialogo = document.getElementById("dialogo-vaciar");
    if (dialogo && dialogo.showModal) {
      event.preventDefault();
      dialogo.showModal();
    }
  }
});

document.addEventListener("click", (event) => {
  const cerrar = event.target.closest("[data-cerrar]");
  if (cerrar) cerrar.closest("dialog").close();
  // The header's menu on a phone.
  const toggle = event.target.closest(".menu-toggle");
  const menu = document.getElementById("menu");
  if (toggle && menu) {
    const open = !menu.classList.contains("abierto");
    menu.classList.toggle("abierto", open);
    toggle.setAttribute("aria-expanded", String(open));
  } else if (menu && menu.classList.contains("abierto") && !event.target.closest("#menu")) {
    menu.classList.remove("abierto");
    document.querySelector(".menu-toggle")?.setAttribute("aria-expanded", "false");
  }
});

document.addEventListener("keydown", (event) => {
  const menu = document.getElementById("menu");
  if (event.key === "Escape" && menu && menu.classList.contains("abierto")) {
    menu.classList.remove("abierto");
    const toggle = document.querySelector(".menu-toggle");
    toggle?.setAttribute("aria-expanded", "false");
    toggle?.focus();
  }
});

// Registration: the merchant's fields only for "Soy comerciante" (the
// server checks them only then too).
(function () {
  const comerciante = document.getElementById("comerciante");
  const comercio = document.getElementById("comercio");
  if (!comerciante || !comercio) return;
  const show = () => { comercio.hidden = !comerciante.checked; };
  comerciante.addEventListener("change", show);
  show();
})();

// Checkout: the summary follows the barrio and the window chosen, with the
// same rules the server applies (it prices the order again; this only
// keeps what the customer reads true before they confirm).
(function () {
  const form = document.getElementById("checkout-form");
  const resumen = document.getElementById("resumen");
  const barrio = document.getElementById("barrio");
  if (!form || !resumen || !barrio) return;
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
