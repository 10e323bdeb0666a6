//! Live events over Socket.IO, on the same port as the HTTP API.
//!
//! Only authenticated clients connect: a client presents the API key in the
//! handshake (`auth: {"api_key": "..."}`) or as the `X-API-Key` header.
//! Anonymous clients get a connect error and never join a room, so they
//! receive nothing (the old system broadcast customers' names, addresses and
//! phones to anyone who connected).

use std::sync::Arc;

use belgrano_shared::api_key::ApiKeys;
use belgrano_shared::events::{NUEVO_TICKET, NuevoTicketEvent};
use belgrano_shared::API_KEY_HEADER;
use serde_json::Value;
use socketioxide::extract::{SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::SocketIo;

/// The room every dispatcher-level client joins: it receives all events.
pub const DISPATCH_ROOM: &str = "despacho";

/// Who a connected socket is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketIdentity {
    /// Another service (or a script) holding the API key: sees everything.
    Service,
}

#[derive(Clone)]
struct SocketAuth {
    api_keys: Arc<ApiKeys>,
}

#[derive(Debug)]
struct Unauthorized;

impl std::fmt::Display for Unauthorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no autorizado")
    }
}

/// Sends events to connected clients. Cheap to clone.
#[derive(Clone)]
pub struct Broadcaster {
    io: SocketIo,
}

impl Broadcaster {
    pub async fn nuevo_ticket(&self, event: &NuevoTicketEvent) {
        if let Err(error) = self.io.to(DISPATCH_ROOM).emit(NUEVO_TICKET, event).await {
            tracing::warn!(%error, ticket_id = event.ticket_id, "could not broadcast nuevo_ticket");
        }
    }

    /// How many sockets are connected (for health and metrics).
    pub async fn connected_clients(&self) -> usize {
        self.io.sockets().len()
    }
}

/// Builds the Socket.IO layer for the router and the broadcaster for the
/// domain.
pub fn socket_io(api_keys: Arc<ApiKeys>) -> (SocketIoLayer, Broadcaster) {
    let (layer, io) = SocketIo::builder().with_state(SocketAuth { api_keys }).build_layer();
    io.ns("/", on_connect.with(authenticate));
    (layer, Broadcaster { io })
}

async fn authenticate(
    socket: SocketRef,
    State(auth): State<SocketAuth>,
    TryData(data): TryData<Value>,
) -> Result<(), Unauthorized> {
    let from_handshake = data
        .ok()
        .and_then(|v| v.get("api_key").and_then(Value::as_str).map(str::to_owned));
    let from_header = socket
        .req_parts()
        .headers
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let presented = from_handshake.or(from_header);
    match presented {
        Some(key) if auth.api_keys.verify(&key) => {
            socket.extensions.insert(SocketIdentity::Service);
            Ok(())
        }
        _ => {
            tracing::info!(socket = %socket.id, "refused an unauthenticated Socket.IO client");
            Err(Unauthorized)
        }
    }
}

async fn on_connect(socket: SocketRef) {
    socket.join(DISPATCH_ROOM);
    tracing::debug!(socket = %socket.id, "Socket.IO client connected");
}
