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
