// The courier's page is plain forms; this only refreshes it when one of the
// courier's tickets changes (the server sends a courier only their own
// tickets' events), unless they are typing a note or a reason.
(function () {
  "use strict";
  var socket = io({ transports: ["websocket", "polling"], withCredentials: true });
  var refresh = function () {
    var active = document.activeElement;
    if (active && (active.tagName === "INPUT" || active.tagName === "TEXTAREA") && active.value) return;
    window.location.reload();
  };
  ["nuevo_ticket", "ticket_actualizado", "ticket_asignado", "ticket_eliminado"].forEach(function (name) {
    socket.on(name, refresh);
  });
})();
