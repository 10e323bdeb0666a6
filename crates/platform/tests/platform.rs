//! The platform's mechanisms on real databases: a temporary SQLite file,
//! and PostgreSQL when `TEST_DATABASE_URL` is set (`.ci/run` sets it).
//! The tables are the shapes services create (`tests/migrations`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use belgrano_platform::db::{Backend as DbBackend, Db, Lock, Migrations, Options, Param, Sql, Ts, sql};
use belgrano_platform::outbox::{self, Attempt, Closing, Config, Delivery, Failure, Outbox, OutboxRow, Table, Worker};
use belgrano_platform::session::{Sessions, Token};
use belgrano_platform::throttle::{Limits, LoginThrottle};
use belgrano_testkit::{Backend, TestDb, on_both_backends};
use sqlx::migrate::Migrator;

static SQLITE: Migrator = sqlx::migrate!("tests/migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("tests/migrations/postgres");

async fn connect(backend: Backend) -> (TestDb, Db) {
    let test_db = TestDb::new(backend).await;
    let options = Options {
        migrations: Migrations { sqlite: &SQLITE, postgres: &POSTGRES },
        postgres_schema: "prueba",
        postgres_connections: 5,
    };
    let db = Db::connect(&test_db.url, options).await.expect("connects and migrates");
    (test_db, db)
}

async fn every_type_round_trips_and_nulls_keep_their_type(backend: Backend) {
    let (_guard, db) = connect(backend).await;
    let at = Ts::now();
    let doc = serde_json::json!({"nombre": "Pan", "cantidad": 2, "extra": ["ñ", "\u{2028}"]});
    let (id,): (i64,) = sql(
        "INSERT INTO valores (flag, small, big, amount, label, at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(true)
    .bind(7_i32)
    .bind(9_007_199_254_740_993_i64)
    .bind(1.25_f64)
    .bind("texto con 'comillas'")
    .bind(at)
    .bind_param(Param::json(&doc).unwrap())
    .fetch_one(db.write())
    .await
    .unwrap();
    type Row = (bool, i32, i64, f64, String, Ts, String);
    let row: Row = sql("SELECT flag, small, big, amount, label, at, CAST(doc AS TEXT) FROM valores WHERE id = $1")
        .bind(id)
        .fetch_one(db.read())
        .await
        .unwrap();
    assert_eq!(
        (row.0, row.1, row.2, row.3, row.4.as_str(), row.5),
        (true, 7, 9_007_199_254_740_993, 1.25, "texto con 'comillas'", at)
    );
    assert_eq!(serde_json::from_str::<serde_json::Value>(&row.6).unwrap(), doc);

    // A typed NULL: PostgreSQL infers `$1 IS NULL OR column = $1` from it.
    sql("INSERT INTO valores (label) VALUES ($1)").bind(None::<&str>).execute(db.write()).await.unwrap();
    let filter = |label: Option<&str>| {
        sql("SELECT COUNT(*) FROM valores WHERE ($1 IS NULL OR label = $1)").bind(label.map(str::to_owned))
    };
    let (all,): (i64,) = filter(None).fetch_one(db.read()).await.unwrap();
    let (one,): (i64,) = filter(Some("texto con 'comillas'")).fetch_one(db.read()).await.unwrap();
    assert_eq!((all, one), (2, 1));
}
on_both_backends!(every_type_round_trips_and_nulls_keep_their_type);

async fn built_statements_bind_in_order(backend: Backend) {
    let (_guard, db) = connect(backend).await;
    let mut insert = Sql::build("INSERT INTO valores (label, big) VALUES ");
    for n in 0..5_i64 {
        if n > 0 {
            insert.push(", ");
        }
        insert.push_row([Param::from(format!("fila {n}")), Param::from(n * 10)]);
    }
    insert.push(" RETURNING id, label, big");
    let rows: Vec<(i64, String, i64)> = insert.fetch_all(db.write()).await.unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|(_, label, big)| *label == format!("fila {}", big / 10)));
}
on_both_backends!(built_statements_bind_in_order);

async fn transactions_commit_or_roll_back_and_errors_are_classified(backend: Backend) {
    let (_guard, db) = connect(backend).await;
    let mut tx = db.begin_write().await.unwrap();
    sql("INSERT INTO valores (label) VALUES ('a')").execute(&mut tx).await.unwrap();
    drop(tx);
    let mut tx = db.begin_write().await.unwrap();
    sql("INSERT INTO valores (label) VALUES ('b')").execute(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let labels: Vec<(String,)> = sql("SELECT label FROM valores").fetch_all(db.read()).await.unwrap();
    assert_eq!(labels, vec![("b".to_owned(),)], "the dropped transaction rolled back");

    let repeat = sql("INSERT INTO valores (label) VALUES ('b')").execute(db.write()).await.unwrap_err();
    assert!(repeat.is_unique_violation(), "{repeat}");
    let broken = sql("SELECT nada FROM ninguna").execute(db.read()).await.unwrap_err();
    assert!(!broken.is_unique_violation());

    if db.backend() == DbBackend::Sqlite {
        let refused = sql("INSERT INTO valores (label) VALUES ('c')").execute(db.read()).await;
        assert!(refused.is_err(), "reads go to connections that refuse writes");
    }
}
on_both_backends!(transactions_commit_or_roll_back_and_errors_are_classified);

async fn exclusive_transactions_take_turns(backend: Backend) {
    let (_guard, db) = connect(backend).await;
    sql("INSERT INTO valores (label, big) VALUES ('contador', 0)").execute(db.write()).await.unwrap();
    // Read-then-write increments: lost updates unless the lock serialises them.
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move {
                let mut tx = db.begin_exclusive(Lock(42)).await.unwrap();
                let (n,): (i64,) =
                    sql("SELECT big FROM valores WHERE label = 'contador'").fetch_one(&mut tx).await.unwrap();
                tokio::time::sleep(Duration::from_millis(2)).await;
                sql("UPDATE valores SET big = $1 WHERE label = 'contador'").bind(n + 1).execute(&mut tx).await.unwrap();
                tx.commit().await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let (n,): (i64,) = sql("SELECT big FROM valores WHERE label = 'contador'").fetch_one(db.read()).await.unwrap();
    assert_eq!(n, 20);
}
on_both_backends!(exclusive_transactions_take_turns);

async fn sessions_are_stored_hashed_expire_and_end(backend: Backend) {
    let (_guard, db) = connect(backend).await;
    let sessions = Sessions::new(db.clone());
    let (a, b, c) = (Token::generate(), Token::generate(), Token::generate());
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    sessions.create(&a, 1, later).await.unwrap();
    sessions.create(&b, 1, later).await.unwrap();
    sessions.create(&c, 2, chrono::Utc::now() - chrono::Duration::seconds(1)).await.unwrap();
    assert_eq!(sessions.user_id(&a).await.unwrap(), Some(1));
    assert_eq!(sessions.user_id(&c).await.unwrap(), None, "expired");
    let stored: Vec<(String,)> = sql("SELECT token_hash FROM sessions").fetch_all(db.read()).await.unwrap();
    assert!(stored.iter().all(|(h,)| h != a.as_str() && h != b.as_str()), "only hashes are kept");
    sessions.delete_all_of(1, Some(&a)).await.unwrap();
    assert_eq!(sessions.user_id(&a).await.unwrap(), Some(1), "the session that asked stays");
    assert_eq!(sessions.user_id(&b).await.unwrap(), None);
    sessions.delete(&a).await.unwrap();
    assert_eq!(sessions.user_id(&a).await.unwrap(), None);
}
on_both_backends!(sessions_are_stored_hashed_expire_and_end);

async fn the_throttle_counts_accounts_and_addresses(backend: Backend) {
    let (_guard, db) = connect(backend).await;
    let limits = Limits { per_account: 3, per_address: Some(5), window: Duration::from_secs(60) };
    let throttle = LoginThrottle::new(db.clone(), limits, Lock(7));
    for _ in 0..3 {
        let slot = throttle.admit("ana@x.com", "1.1.1.1").await.unwrap().expect("under the limit");
        throttle.failed(slot);
    }
    assert!(throttle.admit("ana@x.com", "9.9.9.9").await.unwrap().is_none(), "the account, from anywhere");
    for n in 0..2 {
        throttle.failed(throttle.admit(&format!("otro{n}@x.com"), "1.1.1.1").await.unwrap().unwrap());
    }
    assert!(throttle.admit("nueva@x.com", "1.1.1.1").await.unwrap().is_none(), "the address, for any account");
    let elsewhere = throttle.admit("nueva@x.com", "2.2.2.2").await.unwrap();
    assert!(elsewhere.is_some(), "an address limit does not lock the account from another network");
    throttle.succeeded(elsewhere.unwrap()).await.unwrap();
    let unlimited = LoginThrottle::new(db.clone(), Limits { per_address: None, ..limits }, Lock(7));
    let slot = unlimited.admit("nueva@x.com", "1.1.1.1").await.unwrap().expect("no address limit");
    unlimited.succeeded(slot).await.unwrap();
    // A right password clears the account's failures.
    let mut tx = db.begin_write().await.unwrap();
    sql("DELETE FROM login_failures WHERE email = 'ana@x.com'").execute(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    let slot = throttle.admit("ana@x.com", "9.9.9.9").await.unwrap().unwrap();
    throttle.succeeded(slot).await.unwrap();
    let (left,): (i64,) =
        sql("SELECT COUNT(*) FROM login_failures WHERE email = 'ana@x.com'").fetch_one(db.read()).await.unwrap();
    assert_eq!(left, 0);
}
on_both_backends!(the_throttle_counts_accounts_and_addresses);

async fn concurrent_attempts_get_at_most_the_limit_of_checks(backend: Backend) {
    let (_guard, db) = connect(backend).await;
    let limits = Limits { per_account: 10, per_address: None, window: Duration::from_secs(60) };
    let throttle = LoginThrottle::new(db, limits, Lock(7));
    let attempts: Vec<_> = (0..50)
        .map(|n| {
            let throttle = throttle.clone();
            tokio::spawn(async move { throttle.admit("jefa@x.com", &format!("10.0.0.{n}")).await.unwrap() })
        })
        .collect();
    let mut admitted = 0;
    for attempt in attempts {
        if let Some(slot) = attempt.await.unwrap() {
            admitted += 1;
            throttle.failed(slot);
        }
    }
    assert_eq!(admitted, 10, "fifty at once, ten password checks");
}
on_both_backends!(concurrent_attempts_get_at_most_the_limit_of_checks);

const ENVIOS: Table = Table { name: "envios", subject: "destino" };

/// Fails each row's first `failures` attempts, refuses `destino = "rechazo"`
/// for good, and records a receipt beside each delivery.
struct Flaky {
    failures: i64,
    attempts: Arc<AtomicUsize>,
    heard: Arc<std::sync::Mutex<Vec<(String, Attempt)>>>,
}

impl Delivery for Flaky {
    type Receipt = String;

    async fn deliver(&self, row: &OutboxRow) -> Result<String, Failure> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        if row.subject == "rechazo" {
            return Err(Failure::Permanent("respondió 422".into()));
        }
        if row.attempts < self.failures {
            return Err(Failure::Retry("no responde".into()));
        }
        Ok(format!("recibido {}", row.payload))
    }

    async fn record(
        &self,
        closing: &mut Closing<'_>,
        row: &OutboxRow,
        receipt: String,
    ) -> Result<(), belgrano_platform::db::StoreError> {
        sql("INSERT INTO recibos (envio_id, nota) VALUES ($1, $2)")
            .bind(row.id)
            .bind(receipt)
            .execute(closing.tx().await?)
            .await
            .map(drop)
    }

    fn attempted(&self, row: &OutboxRow, attempt: Attempt) {
        self.heard.lock().unwrap().push((row.subject.clone(), attempt));
    }
}

async fn queue(db: &Db, destino: &str) {
    let mut tx = db.begin_write().await.unwrap();
    outbox::insert(
        ENVIOS,
        &[("destino", Param::from(destino))],
        Param::json(&serde_json::json!({"a": destino})).unwrap(),
    )
    .execute(&mut tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn the_outbox_delivers_once_retries_parks_and_retries_by_hand(backend: Backend) {
    let (_guard, db) = connect(backend).await;
    let table = Outbox::new(db.clone(), ENVIOS);
    queue(&db, "uno").await;
    queue(&db, "rechazo").await;
    let attempts = Arc::new(AtomicUsize::new(0));
    let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
    let delivery = Flaky { failures: 0, attempts: attempts.clone(), heard: heard.clone() };
    let config = Config { service: "prueba", lease: Duration::from_secs(30), max_in_flight: 4 };
    let worker = Worker::new(table.clone(), delivery, config);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run(stopped));

    assert!(
        belgrano_testkit::eventually(Duration::from_secs(10), || async {
            let stats = table.stats().await.unwrap();
            stats.pending == 0 && stats.failed == 1
        })
        .await
    );
    let recibos: Vec<(String,)> = sql("SELECT nota FROM recibos").fetch_all(db.read()).await.unwrap();
    assert_eq!(recibos.len(), 1, "delivered once, its receipt written with it");
    let parked = table.parked().await.unwrap();
    assert_eq!((parked.len(), parked[0].subject.as_str()), (1, "rechazo"));
    assert_eq!(parked[0].last_error.as_deref(), Some("respondió 422"));
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    assert!(heard.lock().unwrap().contains(&("uno".to_owned(), Attempt::Delivered)));

    // A person puts it back; it is refused again, and parked again.
    assert!(table.retry_parked(parked[0].id).await.unwrap());
    assert!(!table.retry_parked(parked[0].id + 100).await.unwrap());
    assert!(
        belgrano_testkit::eventually(Duration::from_secs(10), || async { attempts.load(Ordering::SeqCst) == 3 }).await
    );
    stop.send(true).unwrap();
    running.await.unwrap();
    assert_eq!(table.parked().await.unwrap()[0].attempts, 2);
}
on_both_backends!(the_outbox_delivers_once_retries_parks_and_retries_by_hand);

async fn a_claimed_row_is_not_claimed_again_until_its_lease_ends(backend: Backend) {
    let (_guard, db) = connect(backend).await;
    let table = Outbox::new(db.clone(), ENVIOS);
    queue(&db, "uno").await;
    let first = table.claim_due(10, Duration::from_millis(300)).await.unwrap();
    assert_eq!(first.len(), 1);
    assert!(table.claim_due(10, Duration::from_secs(30)).await.unwrap().is_empty(), "claimed");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let again = table.claim_due(10, Duration::from_secs(30)).await.unwrap();
    assert_eq!(again, first, "the lease expired: a crashed worker's row comes back");
    table.mark_retry(again[0].id, "caído", chrono::Utc::now() + chrono::Duration::hours(1)).await.unwrap();
    assert!(table.claim_due(10, Duration::from_secs(30)).await.unwrap().is_empty(), "not due yet");
    assert_eq!(table.expedite_waiting().await.unwrap(), 1);
    let due = table.claim_due(10, Duration::from_secs(30)).await.unwrap();
    assert_eq!(due[0].attempts, 1);
}
on_both_backends!(a_claimed_row_is_not_claimed_again_until_its_lease_ends);

/// With a backlog, a claim hands out the rows that have been due longest:
/// a retry that came due early goes before newer rows, a retry not yet due
/// waits, and among rows due together the older goes first.
async fn a_claim_takes_the_rows_due_longest_first(backend: Backend) {
    let (_guard, db) = connect(backend).await;
    let table = Outbox::new(db.clone(), ENVIOS);
    for destino in ["uno", "dos", "tres", "cuatro", "cinco", "seis"] {
        queue(&db, destino).await;
    }
    let all = table.claim_due(10, Duration::from_millis(1)).await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.subject.as_str()).collect::<Vec<_>>(),
        ["uno", "dos", "tres", "cuatro", "cinco", "seis"]
    );
    let id = |subject: &str| all.iter().find(|r| r.subject == subject).unwrap().id;
    let now = chrono::Utc::now();
    // "uno" failed and retries in an hour; "cinco" failed long ago and is due since then.
    table.mark_retry(id("uno"), "caído", now + chrono::Duration::hours(1)).await.unwrap();
    table.mark_retry(id("cinco"), "caído", now - chrono::Duration::hours(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Which rows a claim takes is the point (`RETURNING` has no order).
    let subjects = |rows: Vec<OutboxRow>| {
        let mut subjects: Vec<String> = rows.into_iter().map(|r| r.subject).collect();
        subjects.sort();
        subjects
    };
    let first = table.claim_due(3, Duration::from_secs(30)).await.unwrap();
    assert_eq!(subjects(first), ["cinco", "dos", "tres"]);
    let rest = table.claim_due(10, Duration::from_secs(30)).await.unwrap();
    assert_eq!(subjects(rest), ["cuatro", "seis"], "uno is not due yet");
}
on_both_backends!(a_claim_takes_the_rows_due_longest_first);

/// Two services on one PostgreSQL database each keep their tables (here
/// both have `sessions`) in their own schema, and a database from before
/// schemas keeps its data when its tables move into the service's schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_share_a_database_in_their_own_schemas_and_old_tables_are_adopted() {
    let Some(test_db) = TestDb::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL variant not run");
        return;
    };
    // The old layout: this service's tables in `public`, with a row.
    let old = sqlx::PgPool::connect(&test_db.url).await.unwrap();
    POSTGRES.run(&old).await.unwrap();
    sqlx::query("INSERT INTO valores (label) VALUES ('de antes')").execute(&old).await.unwrap();
    old.close().await;

    let options = |schema| Options {
        migrations: Migrations { sqlite: &SQLITE, postgres: &POSTGRES },
        postgres_schema: schema,
        postgres_connections: 2,
    };
    let ours = Db::connect(&test_db.url, options("prueba")).await.unwrap();
    let kept: Vec<(String,)> = sql("SELECT label FROM valores").fetch_all(ours.read()).await.unwrap();
    assert_eq!(kept, vec![("de antes".to_owned(),)], "adopted with its data");
    let (in_public,): (i64,) =
        sql("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'").fetch_one(ours.read()).await.unwrap();
    assert_eq!(in_public, 0, "nothing left behind");

    // Another service on the same database: its own `sessions`, apart.
    let other = Db::connect(&test_db.url, options("otro")).await.unwrap();
    let token = Token::generate();
    Sessions::new(other.clone()).create(&token, 9, chrono::Utc::now() + chrono::Duration::hours(1)).await.unwrap();
    assert_eq!(Sessions::new(other.clone()).user_id(&token).await.unwrap(), Some(9));
    assert_eq!(Sessions::new(ours.clone()).user_id(&token).await.unwrap(), None, "each service its own tables");
    // A restart finds its schema and migrates nothing again.
    ours.close().await;
    let again = Db::connect(&test_db.url, options("prueba")).await.unwrap();
    let (n,): (i64,) = sql("SELECT COUNT(*) FROM valores").fetch_one(again.read()).await.unwrap();
    assert_eq!(n, 1);
}
