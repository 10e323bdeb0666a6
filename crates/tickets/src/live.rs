//! Live events over Socket.IO, on the same port as the HTTP API.
//!
//! **Who connects.** Only authenticated clients: a client presents the API
//! key in the handshake (`auth: {"api_key": "..."}`) or as the `X-API-Key`
//! header, or a person's browser brings its session cookie. Anonymous
//! clients get a connect error and never join a room, so they receive
//! nothing (the old system broadcast customers' names, addresses and phones
//! to anyone who connected).
//!
//! **A socket lives no longer than its session.** A socket opened with a
//! session joins the room of that session ([`session_room`]) and of its
//! account ([`usuario_room`]) and keeps the session's token. A logout
//! disconnects the session's sockets ([`Broadcaster::disconnect_session`]);
//! a change to an account (password, availability, deactivation) every
//! socket of the account ([`Broadcaster::disconnect_usuario`]), on every
//! instance. Just before, the socket hears [`DESCONEXION`]. `sincronizar`
//! checks the session again and refuses (and disconnects) when it is gone or
//! its account changed role; so does a sweep every [`SESSION_SWEEP`]
//! (sessions that expired) and after the link to the other instances comes
//! back (disconnects that could not be relayed meanwhile).
//!
//! **Several instances** (`REDIS_URL` set). Each instance delivers an event
//! to its own clients first, then relays it on one Redis pub/sub channel of
//! the deployment (`Settings::fanout_channel_prefix`); every other instance
//! delivers what it hears to its own clients (each message names the
//! instance it came from, which skips its own). The link reconnects by
//! itself: while Redis is away an instance keeps taking orders and serving
//! its own boards (what it could not relay is dropped, not queued), and when
//! the link is back it tells its clients to catch up ([`RESINCRONIZAR`]) and
//! asks the other instances to tell theirs. The catch-up (`sincronizar`)
//! reads the database, so it is instance-agnostic and nothing is lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use belgrano_contract::API_KEY_HEADER;
use belgrano_contract::events::{NUEVO_TICKET, NuevoTicketEvent, SINCRONIZAR, Sincronizacion, TICKET_ELIMINADO};
use belgrano_platform::api_key::ApiKeys;
use belgrano_platform::session::Token;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, PushInfo, PushKind};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use socketioxide::SocketIo;
use socketioxide::adapter::LocalAdapter;
use socketioxide::extract::{AckSender, SocketRef, State, TryData};
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::operators::BroadcastOperators;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::accounts::{Accounts, session_cookie};
use crate::domain::change::RecordedEvent;
use crate::domain::usuario::Role;
use crate::store::Store;

/// The room every dispatcher-level client joins: it receives all events.
pub const DISPATCH_ROOM: &str = "despacho";

/// The room of one courier: only their tickets' events.
pub fn courier_room(courier_id: i64) -> String {
    format!("repartidor:{courier_id}")
}

/// The room of every socket opened with one session (by the hash the
/// database keeps, never the token itself).
pub fn session_room(token: &Token) -> String {
    format!("sesion:{}", token.hash())
}

/// The room of every socket of one account, whatever its session.
pub fn usuario_room(user_id: i64) -> String {
    format!("usuario:{user_id}")
}

pub use belgrano_contract::events::{BIENVENIDA, DESCONEXION, MotivoDesconexion as Motivo, RESINCRONIZAR};

/// Most events one catch-up answer carries; the client asks again for more.
pub const CATCH_UP_LIMIT: i64 = 500;

/// How often every session socket's session is checked again (expiry).
pub const SESSION_SWEEP: Duration = Duration::from_secs(60);

/// Events waiting to be relayed to Redis; beyond this they are dropped and
/// the other instances are told to catch up.
const RELAY_QUEUE: usize = 4096;
/// Connecting to Redis, and each command, gives up after this.
const REDIS_TIMEOUT: Duration = Duration::from_secs(3);
/// A live link is pinged this often, so a silent break is noticed.
const REDIS_PING_EVERY: Duration = Duration::from_secs(5);
/// Reconnection attempts start this soon and slow down to `REDIS_RETRY_MAX`.
const REDIS_RETRY_MIN: Duration = Duration::from_millis(100);
const REDIS_RETRY_MAX: Duration = Duration::from_secs(1);

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

/// The session a person's socket connected with, kept in its extensions.
#[derive(Clone)]
struct SocketSession {
    token: Token,
    user_id: i64,
    role: Role,
}

/// What checking a socket's session again says.
enum SessionCheck {
    Valid,
    /// Gone, expired, the account deactivated, or its role changed.
    Ended,
    /// The database did not answer: nothing is decided.
    Unknown,
}

#[derive(Clone)]
struct SocketAuth {
    api_keys: Arc<ApiKeys>,
    accounts: Accounts,
    store: Store,
}

impl SocketAuth {
    async fn check(&self, session: &SocketSession) -> SessionCheck {
        match self.accounts.usuario_of(&session.token).await {
            Ok(Some(user)) if user.id == session.user_id && user.role == session.role => SessionCheck::Valid,
            Ok(_) => SessionCheck::Ended,
            Err(error) => {
                tracing::warn!(%error, "Socket.IO session check failed");
                SessionCheck::Unknown
            }
        }
    }
}

#[derive(Debug)]
struct Unauthorized;

impl std::fmt::Display for Unauthorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no autorizado")
    }
}

/// Sends events to connected clients (this instance's, then the others'
/// through Redis). Cheap to clone.
#[derive(Clone)]
pub struct Broadcaster {
    live: Arc<Live>,
}

struct Live {
    local: Local,
    relay: Option<Relay>,
    stop: watch::Sender<bool>,
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

/// The Socket.IO layer to put on the router.
pub struct SocketLayer(SocketIoLayer<LocalAdapter>);

impl SocketLayer {
    pub fn apply<S: Clone + Send + Sync + 'static>(self, router: axum::Router<S>) -> axum::Router<S> {
        router.layer(self.0)
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
        let data = match serde_json::to_value(payload) {
            Ok(data) => data,
            Err(error) => {
                tracing::error!(%error, ticket_id, "could not serialise {kind}");
                return;
            }
        };
        // This instance's boards first: they must not depend on Redis.
        self.live.local.emit(&rooms, kind, &data).await;
        self.relay(Relayed::Event { rooms, event: kind.to_owned(), data });
    }

    /// Disconnects every socket opened with this session, on every instance
    /// (the session ended: a logout). Returns how many were connected here.
    pub fn disconnect_session(&self, token: &Token) -> usize {
        self.disconnect(session_room(token), None, Motivo::SesionCerrada)
    }

    /// Disconnects every socket of an account, on every instance: its
    /// sessions ended (a new password, deactivation) or it changed
    /// (availability; those sockets reconnect and are checked again).
    /// Returns how many were connected here.
    pub fn disconnect_usuario(&self, user_id: i64, motivo: Motivo) -> usize {
        self.disconnect(usuario_room(user_id), None, motivo)
    }

    /// Disconnects the sockets of an account's other sessions, on every
    /// instance: those sessions ended, session `keep` stays (a password
    /// change keeps the session that made it).
    pub fn disconnect_usuario_except(&self, user_id: i64, keep: &Token) -> usize {
        self.disconnect(usuario_room(user_id), Some(session_room(keep)), Motivo::SesionCerrada)
    }

    fn disconnect(&self, room: String, except: Option<String>, motivo: Motivo) -> usize {
        let reason = motivo.as_str();
        let here = self.live.local.disconnect(&room, except.as_deref(), reason);
        if here > 0 {
            tracing::info!(room = room.split(':').next().unwrap_or_default(), sockets = here, reason, "disconnected");
        }
        self.relay(Relayed::Disconnect { room, except, reason: reason.to_owned() });
        here
    }

    fn relay(&self, message: Relayed) {
        if let Some(relay) = &self.live.relay {
            relay.send(message);
        }
    }

    /// Disconnects this instance's clients (at shutdown); they reconnect to
    /// another instance and catch up there.
    pub async fn close(&self) {
        let _ = self.live.stop.send(true);
        let tasks = std::mem::take(&mut *self.live.tasks.lock().expect("tasks lock"));
        for task in tasks {
            let _ = task.await;
        }
        self.live.local.io.close().await;
    }

    /// How many sockets are connected to this instance (for metrics; each
    /// instance reports its own).
    pub async fn connected_clients(&self) -> usize {
        self.live.local.ns().map(|ns| ns.sockets().len()).unwrap_or(0)
    }

    /// Whether events are shared with other instances through Redis.
    pub fn is_shared(&self) -> bool {
        self.live.relay.is_some()
    }

    /// With Redis: whether the link to it is up right now.
    pub fn relay_connected(&self) -> Option<bool> {
        self.live.relay.as_ref().map(|r| r.connected.load(Ordering::Relaxed))
    }
}

/// This instance's Socket.IO server and what it needs to check sessions.
#[derive(Clone)]
struct Local {
    io: SocketIo,
    auth: SocketAuth,
}

impl Local {
    /// The main namespace (gone once the server is closed).
    fn ns(&self) -> Option<BroadcastOperators<LocalAdapter>> {
        self.io.of("/")
    }

    async fn emit(&self, rooms: &[String], event: &str, data: &Value) {
        let Some(ns) = self.ns() else { return };
        if let Err(error) = ns.to(rooms.to_vec()).emit(event, data).await {
            tracing::warn!(%error, "could not deliver {event} to this instance's clients");
        }
    }

    fn disconnect(&self, room: &str, except: Option<&str>, reason: &str) -> usize {
        let Some(ns) = self.ns() else { return 0 };
        let mut target = ns.to(room.to_owned());
        if let Some(except) = except {
            target = target.except(except.to_owned());
        }
        let sockets = target.sockets();
        let count = sockets.len();
        for socket in sockets {
            close_socket(socket, reason);
        }
        count
    }

    /// Disconnects the sockets whose session ended. Returns how many.
    async fn sweep(&self) -> usize {
        let Some(ns) = self.ns() else { return 0 };
        let mut ended = 0;
        for socket in ns.sockets() {
            let Some(session) = socket.extensions.get::<SocketSession>() else { continue };
            if let SessionCheck::Ended = self.auth.check(&session).await {
                close_socket(socket, Motivo::SesionCerrada.as_str());
                ended += 1;
            }
        }
        if ended > 0 {
            tracing::info!(sockets = ended, "disconnected sockets whose session ended");
        }
        ended
    }

    /// Events may have been missed: sockets of ended sessions go, the others
    /// are told to catch up.
    async fn resync(&self) {
        self.sweep().await;
        let Some(ns) = self.ns() else { return };
        if let Err(error) = ns.emit(RESINCRONIZAR, &json!({})).await {
            tracing::warn!(%error, "could not ask this instance's clients to catch up");
        }
    }
}

/// Tells the socket why, then disconnects it.
fn close_socket(socket: SocketRef, reason: &str) {
    if let Err(error) = socket.emit(DESCONEXION, &json!({"motivo": reason})) {
        tracing::debug!(%error, "disconnect notice not sent");
    }
    if let Err(error) = socket.disconnect() {
        tracing::debug!(%error, "socket already gone");
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
/// domain. With Redis, the link must be up at start (an error names
/// `REDIS_URL`); afterwards it reconnects by itself.
pub async fn socket_io(
    api_keys: Arc<ApiKeys>,
    accounts: Accounts,
    store: Store,
    fanout: Fanout<'_>,
) -> anyhow::Result<(SocketLayer, Broadcaster)> {
    let auth = SocketAuth { api_keys, accounts, store };
    let (layer, io) = SocketIo::builder().with_state(auth.clone()).build_layer();
    io.ns("/", on_connect.with(authenticate));
    let local = Local { io, auth };
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    let relay = match fanout {
        Fanout::Local => None,
        Fanout::Redis { url, channel_prefix } => {
            let client = redis_client(url).context("REDIS_URL no es una URL de Redis válida")?;
            let channel = format!("{channel_prefix}:live");
            let first = RedisLink::connect(&client, &channel).await.context("connecting to Redis (REDIS_URL)")?;
            let (outgoing, queued) = mpsc::channel(RELAY_QUEUE);
            let relay = Relay {
                outgoing,
                overflowed: Arc::new(AtomicBool::new(false)),
                connected: Arc::new(AtomicBool::new(true)),
            };
            let link = RedisLink {
                client,
                channel,
                // Random, so two instances never take each other's messages for their own.
                origin: Token::generate().as_str()[..16].to_owned(),
                local: local.clone(),
                queued,
                overflowed: relay.overflowed.clone(),
                connected: relay.connected.clone(),
            };
            tasks.push(tokio::spawn(link.run(first, stopped.clone())));
            Some(relay)
        }
    };
    tasks.push(tokio::spawn(sweep_every(local.clone(), SESSION_SWEEP, stopped)));
    let live = Live { local, relay, stop, tasks: std::sync::Mutex::new(tasks) };
    Ok((SocketLayer(layer), Broadcaster { live: Arc::new(live) }))
}

/// Checks every session socket's session every `every`, until stopped.
async fn sweep_every(local: Local, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = ticks.tick() => {
                local.sweep().await;
            }
        }
    }
}

/// A Redis client that speaks RESP3 (subscriptions arrive as pushes on an
/// ordinary connection), whatever the URL asked for.
fn redis_client(url: &str) -> redis::RedisResult<redis::Client> {
    use redis::IntoConnectionInfo;
    let info = url.into_connection_info()?;
    let settings = info.redis_settings().clone().set_protocol(redis::ProtocolVersion::RESP3);
    redis::Client::open(info.set_redis_settings(settings))
}

/// What instances tell each other.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Relayed {
    /// Deliver `event` to the clients in `rooms`.
    Event { rooms: Vec<String>, event: String, data: Value },
    /// Disconnect the clients in `room` (but those in `except`).
    Disconnect { room: String, except: Option<String>, reason: String },
    /// Events may have been lost: tell the clients to catch up.
    Resync,
}

#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    /// The instance that sent it.
    origin: String,
    message: Relayed,
}

/// The broadcaster's end of the Redis link.
struct Relay {
    outgoing: mpsc::Sender<Relayed>,
    /// Something could not even be queued: the others must catch up.
    overflowed: Arc<AtomicBool>,
    connected: Arc<AtomicBool>,
}

impl Relay {
    /// Queues a message for the other instances; never waits.
    fn send(&self, message: Relayed) {
        if self.outgoing.try_send(message).is_err() && !self.overflowed.swap(true, Ordering::Relaxed) {
            tracing::warn!("the Redis relay queue is full: events are dropped, boards will catch up");
        }
    }
}

/// One connection to Redis, subscribed to the deployment's channel; what it
/// hears arrives on `pushes`.
struct Connection {
    conn: MultiplexedConnection,
    pushes: mpsc::UnboundedReceiver<PushInfo>,
}

/// The task that owns the Redis link: publishes what this instance emits,
/// delivers what the others emit, reconnects when the link breaks.
struct RedisLink {
    client: redis::Client,
    channel: String,
    origin: String,
    local: Local,
    queued: mpsc::Receiver<Relayed>,
    overflowed: Arc<AtomicBool>,
    connected: Arc<AtomicBool>,
}

/// What woke the link task up.
enum Step {
    Stop,
    Heard(Option<PushInfo>),
    Queued(Option<Relayed>),
    Ping,
    Retry,
}

impl RedisLink {
    async fn connect(client: &redis::Client, channel: &str) -> redis::RedisResult<Connection> {
        let (pushed, pushes) = mpsc::unbounded_channel();
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_push_sender(pushed);
        let mut conn = client.get_multiplexed_async_connection_with_config(&config).await?;
        conn.subscribe(channel).await?;
        Ok(Connection { conn, pushes })
    }

    async fn run(mut self, first: Connection, mut stop: watch::Receiver<bool>) {
        let mut link = Some(first);
        let mut retry_in = REDIS_RETRY_MIN;
        let mut next_attempt = Instant::now();
        // A message whose publish failed: sent once the link is back.
        let mut unsent: Option<Relayed> = None;
        // Messages dropped during the current outage (for the log).
        let mut unrelayed: u64 = 0;
        let mut ping = tokio::time::interval_at(Instant::now() + REDIS_PING_EVERY, REDIS_PING_EVERY);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let step = match link.as_mut() {
                Some(connection) => tokio::select! {
                    _ = stop.changed() => Step::Stop,
                    push = connection.pushes.recv() => Step::Heard(push),
                    message = self.queued.recv() => Step::Queued(message),
                    _ = ping.tick() => Step::Ping,
                },
                None => tokio::select! {
                    _ = stop.changed() => Step::Stop,
                    message = self.queued.recv() => Step::Queued(message),
                    _ = tokio::time::sleep_until(next_attempt) => Step::Retry,
                },
            };
            match (step, link.as_mut()) {
                (Step::Stop, _) | (Step::Queued(None), _) => return,
                (Step::Heard(Some(push)), Some(_)) if push.kind == PushKind::Message => self.heard(push.data).await,
                (Step::Heard(Some(push)), Some(_)) if push.kind != PushKind::Disconnection => {}
                (Step::Heard(_), _) => {
                    self.lost("the connection closed");
                    link = None;
                    next_attempt = Instant::now();
                }
                (Step::Queued(Some(message)), Some(connection)) => {
                    if self.publish(connection, &message).await {
                        if self.overflowed.swap(false, Ordering::Relaxed) {
                            self.publish(connection, &Relayed::Resync).await;
                        }
                    } else {
                        self.lost("a publish failed");
                        link = None;
                        unsent = Some(message);
                        next_attempt = Instant::now();
                    }
                }
                (Step::Queued(Some(_)), None) => {
                    // Dropped: the other instances catch up once the link is back.
                    unrelayed += 1;
                }
                (Step::Ping, Some(connection)) => {
                    let pong: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut connection.conn).await;
                    if let Err(error) = pong {
                        self.lost(&format!("no answer to PING ({error})"));
                        link = None;
                        next_attempt = Instant::now();
                    }
                }
                (Step::Retry, None) => match tokio::select! {
                    connected = Self::connect(&self.client, &self.channel) => connected,
                    _ = stop.changed() => return,
                } {
                    Ok(mut connection) => {
                        let dropped = std::mem::take(&mut unrelayed);
                        tracing::info!(dropped, "Redis link back: live events are shared again; boards catch up");
                        self.connected.store(true, Ordering::Relaxed);
                        retry_in = REDIS_RETRY_MIN;
                        // The others may have missed what this instance emitted…
                        self.publish(&mut connection, &Relayed::Resync).await;
                        if let Some(message) = unsent.take() {
                            self.publish(&mut connection, &message).await;
                        }
                        link = Some(connection);
                        // …and this instance's clients what the others did.
                        let local = self.local.clone();
                        tokio::spawn(async move { local.resync().await });
                    }
                    Err(error) => {
                        tracing::debug!(%error, "Redis still unreachable");
                        next_attempt = Instant::now() + retry_in;
                        retry_in = (retry_in * 2).min(REDIS_RETRY_MAX);
                    }
                },
                (Step::Ping | Step::Retry, _) => {}
            }
        }
    }

    fn lost(&self, why: &str) {
        if self.connected.swap(false, Ordering::Relaxed) {
            tracing::warn!("Redis link lost ({why}): live events reach only this instance's clients until it is back");
        }
    }

    async fn publish(&self, connection: &mut Connection, message: &Relayed) -> bool {
        let envelope = Envelope { origin: self.origin.clone(), message: message.clone() };
        let payload = match serde_json::to_string(&envelope) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::error!(%error, "could not serialise a relayed message");
                return true;
            }
        };
        let published: redis::RedisResult<i64> =
            redis::cmd("PUBLISH").arg(&self.channel).arg(payload).query_async(&mut connection.conn).await;
        match published {
            Ok(_) => true,
            Err(error) => {
                tracing::debug!(%error, "publish to Redis failed");
                false
            }
        }
    }

    /// A message on the channel: `[channel, payload]`.
    async fn heard(&self, data: Vec<redis::Value>) {
        let Some(payload) = data.into_iter().nth(1) else { return };
        let payload: String = match redis::from_redis_value(payload) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::warn!(%error, "unreadable message on the Redis channel");
                return;
            }
        };
        let envelope: Envelope = match serde_json::from_str(&payload) {
            Ok(envelope) => envelope,
            Err(error) => {
                tracing::warn!(%error, "unreadable message on the Redis channel");
                return;
            }
        };
        if envelope.origin == self.origin {
            return;
        }
        match envelope.message {
            Relayed::Event { rooms, event, data } => self.local.emit(&rooms, &event, &data).await,
            Relayed::Disconnect { room, except, reason } => {
                self.local.disconnect(&room, except.as_deref(), &reason);
            }
            Relayed::Resync => {
                let local = self.local.clone();
                tokio::spawn(async move { local.resync().await });
            }
        }
    }
}

/// Lets in a client holding the API key (handshake `auth.api_key` or the
/// `X-API-Key` header) or a logged-in person (the browser's session
/// cookie); anyone else gets a connect error and joins no room.
async fn authenticate(
    socket: SocketRef,
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
                Ok(Some(user)) => {
                    socket.extensions.insert(SocketSession { token, user_id: user.id, role: user.role });
                    Some(match user.role {
                        Role::Admin | Role::Despacho => SocketIdentity::Dispatcher { user_id: user.id },
                        Role::Flota => SocketIdentity::Courier { user_id: user.id },
                    })
                }
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

async fn on_connect(socket: SocketRef, State(auth): State<SocketAuth>) {
    let Some(identity) = socket.extensions.get::<SocketIdentity>() else {
        socket.disconnect().ok();
        return;
    };
    // Before anything is awaited, so a client's first `sincronizar` is heard.
    socket.on(SINCRONIZAR, on_sync);
    match identity.courier_scope() {
        None => socket.join(DISPATCH_ROOM),
        Some(courier) => socket.join(courier_room(courier)),
    }
    if let Some(session) = socket.extensions.get::<SocketSession>() {
        socket.join(session_room(&session.token));
        socket.join(usuario_room(session.user_id));
        // Checked again now that the socket is in its rooms: a logout
        // between the handshake's check and the join would otherwise miss it.
        if let SessionCheck::Ended = auth.check(&session).await {
            close_socket(socket, Motivo::SesionCerrada.as_str());
            return;
        }
    }
    // Sent once the socket is in its room: from here on it misses nothing
    // (a client may wait for it before relying on live events).
    let role = match identity {
        SocketIdentity::Service => "servicio",
        SocketIdentity::Dispatcher { .. } => "despacho",
        SocketIdentity::Courier { .. } => "repartidor",
    };
    if let Err(error) = socket.emit(BIENVENIDA, &json!({"rol": role})) {
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
/// every event after it that it may see (socketioxide keeps no buffer). A
/// person's session is checked first: an ended one gets a refusal
/// (`sesion_terminada: true`) and the socket is disconnected.
async fn on_sync(
    socket: SocketRef,
    State(auth): State<SocketAuth>,
    TryData(request): TryData<SyncRequest>,
    ack: AckSender,
) {
    let Some(identity) = socket.extensions.get::<SocketIdentity>() else { return };
    if let Some(session) = socket.extensions.get::<SocketSession>() {
        let refusal = match auth.check(&session).await {
            SessionCheck::Valid => None,
            SessionCheck::Ended => {
                Some(json!({"error": "La sesión terminó: vuelva a ingresar.", "sesion_terminada": true}))
            }
            SessionCheck::Unknown => Some(json!({"error": "no se pudo sincronizar; reintente"})),
        };
        if let Some(refusal) = refusal {
            let ended = refusal["sesion_terminada"] == true;
            if let Err(error) = ack.send(&refusal) {
                tracing::debug!(%error, "catch-up refusal not sent");
            }
            if ended {
                close_socket(socket, Motivo::SesionCerrada.as_str());
            }
            return;
        }
    }
    let desde = request.map(|r| r.desde_seq).unwrap_or(0).max(0);
    let answer = match auth.store.events_after(desde, identity.courier_scope(), CATCH_UP_LIMIT).await {
        Ok(eventos) => {
            let completo = (eventos.len() as i64) < CATCH_UP_LIMIT;
            let ultimo_seq = eventos.last().map(|e| e.seq).unwrap_or(desde);
            serde_json::to_value(Sincronizacion { eventos, ultimo_seq, completo }).expect("serialises")
        }
        Err(error) => {
            tracing::error!(%error, "catch-up failed");
            json!({"error": "no se pudo sincronizar; reintente"})
        }
    };
    if let Err(error) = ack.send(&answer) {
        tracing::debug!(%error, "catch-up answer not sent");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relayed_messages_round_trip() {
        let envelope = Envelope {
            origin: "abc".into(),
            message: Relayed::Disconnect {
                room: "usuario:3".into(),
                except: Some("sesion:x".into()),
                reason: Motivo::CuentaModificada.as_str().into(),
            },
        };
        let text = serde_json::to_string(&envelope).unwrap();
        let back: Envelope = serde_json::from_str(&text).unwrap();
        assert_eq!(back.origin, "abc");
        assert!(matches!(back.message, Relayed::Disconnect { ref room, .. } if room == "usuario:3"));
        let resync: Envelope = serde_json::from_str(r#"{"origin":"x","message":{"kind":"resync"}}"#).unwrap();
        assert!(matches!(resync.message, Relayed::Resync));
    }

    #[test]
    fn rooms_name_the_session_by_its_hash() {
        let token = Token::generate();
        let room = session_room(&token);
        assert!(room.starts_with("sesion:"));
        assert!(!room.contains(token.as_str()), "the token itself never names a room");
        assert_eq!(usuario_room(7), "usuario:7");
    }
}
