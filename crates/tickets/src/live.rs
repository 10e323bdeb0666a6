//! Live events over Socket.IO, on the same port as the HTTP API.
//!
//! Only authenticated clients connect: a client presents the API key in the
//! handshake (`auth: {"api_key": "..."}`) or as the `X-API-Key` header.
//! Anonymous clients get a connect error and never join a room, so they
//! receive nothing (the old system broadcast customers' names, addresses and
//! phones to anyone who connected).
//!
//! One instance keeps its rooms in memory. Several instances (`REDIS_URL`
//! set) share them through Redis pub/sub with `socketioxide-redis`: an event
//! emitted on one instance reaches the clients connected to every other. The
//! handlers are generic over the adapter so both run the same code; the
//! catch-up (`sincronizar`) reads the database, so it is instance-agnostic.

use std::sync::Arc;

use belgrano_contract::API_KEY_HEADER;
use belgrano_contract::events::{NUEVO_TICKET, NuevoTicketEvent, SINCRONIZAR, Sincronizacion, TICKET_ELIMINADO};
use belgrano_platform::api_key::ApiKeys;
use serde::Deserialize;
use serde_json::Value;
use socketioxide::SocketIo;
use socketioxide::adapter::{Adapter, Emitter, LocalAdapter};
use socketioxide::extract::{AckSender, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide_redis::{RedisAdapter, RedisAdapterConfig, RedisAdapterCtr};

use crate::accounts::{Accounts, session_cookie};
use crate::domain::change::RecordedEvent;
use crate::domain::usuario::Role;
use crate::store::Store;

/// The adapter shared through Redis.
type SharedAdapter = RedisAdapter<Emitter>;

/// The room every dispatcher-level client joins: it receives all events.
pub const DISPATCH_ROOM: &str = "despacho";

/// The room of one courier: only their tickets' events.
pub fn courier_room(courier_id: i64) -> String {
    format!("repartidor:{courier_id}")
}

/// Server → client once the socket has joined its room.
pub const BIENVENIDA: &str = "bienvenida";

/// Most events one catch-up answer carries; the client asks again for more.
pub const CATCH_UP_LIMIT: i64 = 500;

/// Who a connected socket is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketIdentity {
    /// Another service (or a script) holding the API key: sees everything.
    Service,
    Dispatcher {
        user_id: i64,
    },
    Courier {
        user_id: i64,
    },
}

impl SocketIdentity {
    /// Whose events this socket may see: `None` means everyone's.
    fn courier_scope(&self) -> Option<i64> {
        match self {
            SocketIdentity::Courier { user_id } => Some(*user_id),
            SocketIdentity::Service | SocketIdentity::Dispatcher { .. } => None,
        }
    }
}

#[derive(Clone)]
struct SocketAuth {
    api_keys: Arc<ApiKeys>,
    accounts: Accounts,
    store: Store,
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
    io: Io,
}

/// The Socket.IO server of this instance: alone, or one of several sharing
/// rooms through Redis.
#[derive(Clone)]
enum Io {
    Local(SocketIo<LocalAdapter>),
    Shared(SocketIo<SharedAdapter>),
}

/// The Socket.IO layer to put on the router (its type depends on the adapter).
pub enum SocketLayer {
    Local(SocketIoLayer<LocalAdapter>),
    Shared(SocketIoLayer<SharedAdapter>),
}

impl SocketLayer {
    pub fn apply<S: Clone + Send + Sync + 'static>(self, router: axum::Router<S>) -> axum::Router<S> {
        match self {
            SocketLayer::Local(layer) => router.layer(layer),
            SocketLayer::Shared(layer) => router.layer(layer),
        }
    }
}

impl Broadcaster {
    pub async fn nuevo_ticket(&self, event: &NuevoTicketEvent) {
        self.emit(NUEVO_TICKET, event, event.repartidor_id, None, event.ticket_id).await;
    }

    /// Broadcasts an event a lifecycle change recorded: to the dispatchers,
    /// to the ticket's courier, and to the courier who had it before.
    pub async fn recorded(&self, event: &RecordedEvent) {
        match event {
            RecordedEvent::Card { kind, event } => {
                self.emit(kind, event, event.repartidor_id, event.anterior_repartidor_id, event.ticket_id).await;
            }
            RecordedEvent::Deleted(event) => {
                self.emit(TICKET_ELIMINADO, event, event.repartidor_id, None, event.ticket_id).await;
            }
        }
    }

    async fn emit<T: serde::Serialize + ?Sized>(
        &self,
        kind: &str,
        payload: &T,
        courier: Option<i64>,
        previous_courier: Option<i64>,
        ticket_id: i64,
    ) {
        let mut rooms = vec![DISPATCH_ROOM.to_owned()];
        rooms.extend(courier.map(courier_room));
        rooms.extend(previous_courier.filter(|p| Some(*p) != courier).map(courier_room));
        let sent = match &self.io {
            Io::Local(io) => io.to(rooms).emit(kind, payload).await.map_err(|e| e.to_string()),
            Io::Shared(io) => io.to(rooms).emit(kind, payload).await.map_err(|e| e.to_string()),
        };
        if let Err(error) = sent {
            tracing::warn!(%error, ticket_id, "could not broadcast {kind}");
        }
    }

    /// Disconnects this instance's clients (at shutdown); they reconnect to
    /// another instance and catch up there.
    pub async fn close(&self) {
        match &self.io {
            Io::Local(io) => io.close().await,
            Io::Shared(io) => io.close().await,
        }
    }

    /// How many sockets are connected to this instance (for metrics; each
    /// instance reports its own).
    pub async fn connected_clients(&self) -> usize {
        match &self.io {
            Io::Local(io) => io.sockets().len(),
            Io::Shared(io) => io.sockets().len(),
        }
    }

    /// Whether events are shared with other instances through Redis.
    pub fn is_shared(&self) -> bool {
        matches!(self.io, Io::Shared(_))
    }
}

/// Where the rooms live.
pub enum Fanout<'a> {
    /// In this process: one instance.
    Local,
    /// In Redis, for several instances. Instances that share `channel_prefix`
    /// share events; it is derived from the database, so instances of one
    /// deployment find each other and unrelated ones (tests) stay apart.
    Redis { url: &'a str, channel_prefix: String },
}

/// Builds the Socket.IO layer for the router and the broadcaster for the
/// domain.
pub async fn socket_io(
    api_keys: Arc<ApiKeys>,
    accounts: Accounts,
    store: Store,
    fanout: Fanout<'_>,
) -> anyhow::Result<(SocketLayer, Broadcaster)> {
    let auth = SocketAuth { api_keys, accounts, store };
    match fanout {
        Fanout::Local => {
            let (layer, io) = SocketIo::builder().with_state(auth).build_layer();
            io.ns("/", on_connect::<LocalAdapter>.with(authenticate::<LocalAdapter>));
            Ok((SocketLayer::Local(layer), Broadcaster { io: Io::Local(io) }))
        }
        Fanout::Redis { url, channel_prefix } => {
            use anyhow::Context;
            let client = redis::Client::open(url).context("REDIS_URL no es una URL de Redis válida")?;
            let config = RedisAdapterConfig::new().with_prefix(channel_prefix);
            let adapter = RedisAdapterCtr::new_with_redis_config(&client, config)
                .await
                .context("connecting to Redis (REDIS_URL)")?;
            let (layer, io) = SocketIo::builder().with_state(auth).with_adapter::<SharedAdapter>(adapter).build_layer();
            io.ns("/", on_connect::<SharedAdapter>.with(authenticate::<SharedAdapter>))
                .await
                .context("subscribing to the Redis channels")?;
            Ok((SocketLayer::Shared(layer), Broadcaster { io: Io::Shared(io) }))
        }
    }
}

/// Lets in a client holding the API key (handshake `auth.api_key` or the
/// `X-API-Key` header) or a logged-in person (the browser's session
/// cookie); anyone else gets a connect error and joins no room.
async fn authenticate<A: Adapter>(
    socket: SocketRef<A>,
    State(auth): State<SocketAuth>,
    TryData(data): TryData<Value>,
) -> Result<(), Unauthorized> {
    let headers = &socket.req_parts().headers;
    let from_handshake = data.ok().and_then(|v| v.get("api_key").and_then(Value::as_str).map(str::to_owned));
    let from_header = headers.get(API_KEY_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let identity = match from_handshake.or(from_header) {
        Some(key) => auth.api_keys.verify(&key).then_some(SocketIdentity::Service),
        // The cookie's `Secure` attribute does not matter for reading it.
        None => match session_cookie(false).token(headers) {
            Some(token) => match auth.accounts.usuario_of(&token).await {
                Ok(Some(user)) => Some(match user.role {
                    Role::Admin => SocketIdentity::Dispatcher { user_id: user.id },
                    Role::Flota => SocketIdentity::Courier { user_id: user.id },
                }),
                Ok(None) => None,
                Err(error) => {
                    tracing::warn!(%error, "Socket.IO session lookup failed");
                    None
                }
            },
            None => None,
        },
    };
    match identity {
        Some(identity) => {
            socket.extensions.insert(identity);
            Ok(())
        }
        None => {
            tracing::info!(socket = %socket.id, "refused an unauthenticated Socket.IO client");
            Err(Unauthorized)
        }
    }
}

async fn on_connect<A: Adapter>(socket: SocketRef<A>) {
    let Some(identity) = socket.extensions.get::<SocketIdentity>() else {
        socket.disconnect().ok();
        return;
    };
    match identity.courier_scope() {
        None => socket.join(DISPATCH_ROOM),
        Some(courier) => socket.join(courier_room(courier)),
    }
    socket.on(SINCRONIZAR, on_sync::<A>);
    // Sent once the socket is in its room: from here on it misses nothing
    // (a client may wait for it before relying on live events).
    let role = match identity {
        SocketIdentity::Service => "servicio",
        SocketIdentity::Dispatcher { .. } => "despacho",
        SocketIdentity::Courier { .. } => "repartidor",
    };
    if let Err(error) = socket.emit(BIENVENIDA, &serde_json::json!({"rol": role})) {
        tracing::debug!(%error, "welcome not sent");
    }
    tracing::debug!(socket = %socket.id, ?identity, "Socket.IO client connected");
}

#[derive(Debug, Deserialize)]
struct SyncRequest {
    #[serde(default)]
    desde_seq: i64,
}

/// Catch-up: a client that reconnects sends the last `seq` it saw and gets
/// every event after it that it may see (socketioxide keeps no buffer).
async fn on_sync<A: Adapter>(
    socket: SocketRef<A>,
    State(auth): State<SocketAuth>,
    TryData(request): TryData<SyncRequest>,
    ack: AckSender<A>,
) {
    let Some(identity) = socket.extensions.get::<SocketIdentity>() else { return };
    let desde = request.map(|r| r.desde_seq).unwrap_or(0).max(0);
    let answer = match auth.store.events_after(desde, identity.courier_scope(), CATCH_UP_LIMIT).await {
        Ok(eventos) => {
            let completo = (eventos.len() as i64) < CATCH_UP_LIMIT;
            let ultimo_seq = eventos.last().map(|e| e.seq).unwrap_or(desde);
            serde_json::to_value(Sincronizacion { eventos, ultimo_seq, completo }).expect("serialises")
        }
        Err(error) => {
            tracing::error!(%error, "catch-up failed");
            serde_json::json!({"error": "no se pudo sincronizar; reintente"})
        }
    };
    if let Err(error) = ack.send(&answer) {
        tracing::debug!(%error, "catch-up answer not sent");
    }
}
