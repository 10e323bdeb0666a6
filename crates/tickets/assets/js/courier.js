// The courier's page is plain forms; this only refreshes it when one of the
// courier's tickets changes (the server sends a courier only their own
// tickets' events), unless they are typing a note or a reason. After a
// reconnect, and when the server says events may have been missed
// ("resincronizar"), it asks for what happened since the page was made (or
// the last event heard) and refreshes if anything did.
(function () {
  "use strict";
  var page = document.getElementById("courier");
  var lastSeq = Number(page && page.getAttribute("data-ultimo-seq")) || 0;
  var socket = io({ transports: ["websocket", "polling"], withCredentials: true });
  var leaving = false;

  function typing() {
    var active = document.activeElement;
    return !!(active && (active.tagName === "INPUT" || active.tagName === "TEXTAREA") && active.value);
  }
  function refresh() {
    if (typing()) return;
    window.location.reload();
  }

  // The session ended: reload, and the server sends this phone to the login
  // page (once per 15 s at most, so a page the server accepts cannot loop).
  function sessionEnded() {
    if (leaving) return;
    leaving = true;
    socket.close();
    var last = Number(window.sessionStorage.getItem("belgrano-sesion-terminada") || 0);
    if (Date.now() - last < 15000) return;
    window.sessionStorage.setItem("belgrano-sesion-terminada", String(Date.now()));
    window.location.reload();
  }

  function catchUp() {
    if (leaving) return;
    socket.timeout(10000).emit("sincronizar", { desde_seq: lastSeq }, function (err, answer) {
      if (err || !answer) return; // the next "connect" asks again
      if (answer.sesion_terminada) { sessionEnded(); return; }
      if (answer.error) { setTimeout(catchUp, 2000); return; }
      if (answer.eventos.length) {
        lastSeq = answer.ultimo_seq;
        refresh();
      }
    });
  }

  ["nuevo_ticket", "ticket_actualizado", "ticket_asignado", "ticket_eliminado"].forEach(function (name) {
    socket.on(name, function (payload) {
      if (payload && payload.seq > lastSeq) lastSeq = payload.seq;
      refresh();
    });
  });
  socket.on("connect", catchUp);
  socket.on("resincronizar", catchUp);
  socket.on("desconexion", function (why) {
    if (why && why.motivo === "sesion-cerrada") sessionEnded();
  });
  socket.on("disconnect", function (reason) {
    // The server let this socket go (the account changed, e.g. availability):
    // show the page as it is now, or, mid-typing, just connect again.
    if (leaving || reason !== "io server disconnect") return;
    setTimeout(function () { if (typing()) socket.connect(); else window.location.reload(); }, 500);
  });
  socket.on("connect_error", function (error) {
    if (error && error.message === "no autorizado") sessionEnded();
  });
})();
