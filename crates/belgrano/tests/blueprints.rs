//! The Render Blueprints against the fields Render documents, and against
//! the code: every environment variable a service reads is provided in its
//! blueprint (Render itself provides `PORT`), and every variable provided
//! there is read.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn blueprint(name: &str) -> Value {
    let text = std::fs::read_to_string(repo().join(name)).unwrap();
    serde_norway::from_str(&text).unwrap()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

/// Blueprint fields from Render's specification.
const TOP_LEVEL: &[&str] = &["services", "databases", "envVarGroups", "previews"];
const SERVICE_FIELDS: &[&str] = &[
    "type",
    "name",
    "runtime",
    "plan",
    "region",
    "repo",
    "branch",
    "rootDir",
    "buildCommand",
    "startCommand",
    "preDeployCommand",
    "healthCheckPath",
    "envVars",
    "numInstances",
    "scaling",
    "autoDeploy",
    "buildFilter",
    "disk",
    "domains",
    "ipAllowList",
    "maxmemoryPolicy",
    "dockerfilePath",
    "dockerContext",
    "image",
];
const SERVICE_TYPES: &[&str] = &["web", "pserv", "worker", "cron", "keyvalue", "redis"];
const RUNTIMES: &[&str] = &["docker", "elixir", "go", "node", "python", "ruby", "rust", "image"];
const DATABASE_FIELDS: &[&str] = &[
    "name",
    "databaseName",
    "user",
    "plan",
    "region",
    "postgresMajorVersion",
    "ipAllowList",
    "highAvailability",
    "readReplicas",
    "diskSizeGB",
];
const ENV_SOURCES: &[&str] = &["value", "generateValue", "sync", "fromDatabase", "fromService", "fromGroup"];
/// Read by the code but needed only by some deployments: `REDIS_URL` joins
/// several Tickets instances (render_scaled.yaml provides it).
const ONLY_FOR_SEVERAL_INSTANCES: &[&str] = &["REDIS_URL"];
/// Read by the code with a default that is right on Render (`HOST` is
/// `0.0.0.0`, as Render needs), or set by Render itself
/// (`RENDER_EXTERNAL_URL`, the fallback of `PUBLIC_URL`), so no blueprint
/// sets them.
const DEFAULT_FITS_RENDER: &[&str] = &["HOST", "RENDER_EXTERNAL_URL"];
/// Variables for tests only, which a production start refuses: never in a
/// blueprint (the equality below checks that too).
const TESTS_ONLY: &[&str] = &["CLOCK_FILE"];
/// Variables that must never be written into a blueprint.
const SECRETS: &[&str] =
    &["BELGRANO_AHORRO_API_KEY", "SECRET_KEY", "ADMIN_PASSWORD", "ADMIN_EMAIL", "DATABASE_URL", "SMTP_URL"];

/// The platform's readers of standard variables (`belgrano_platform::config::Vars`):
/// a call to one means the crate reads these.
const PLATFORM_READERS: &[(&str, &[&str])] = &[
    (".environment()", &["RENDER_ENVIRONMENT"]),
    (".host()", &["HOST"]),
    (".port(", &["PORT"]),
    (".database_url(", &["DATABASE_URL"]),
    (".api_keys(", &["BELGRANO_AHORRO_API_KEY"]),
    (".admin_account()", &["ADMIN_EMAIL", "ADMIN_PASSWORD"]),
];

/// Platform readers called with the service's `vars` as argument.
const PLATFORM_READERS_OF_VARS: &[(&str, &[&str])] = &[("MailSettings::from_vars(&vars", &["SMTP_URL", "MAIL_FROM"])];

/// The environment variables a crate's code reads (`lookup("X")`,
/// `get("X")`, `var("X")`, `base_url("X"`, and the platform's readers),
/// found by scanning its source.
fn variables_read_by(crate_dir: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![repo().join(crate_dir).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (reader, names) in PLATFORM_READERS {
                    if text.contains(&format!("vars{reader}")) {
                        found.extend(names.iter().map(|n| n.to_string()));
                    }
                }
                for (reader, names) in PLATFORM_READERS_OF_VARS {
                    if text.contains(reader) {
                        found.extend(names.iter().map(|n| n.to_string()));
                    }
                }
                for call in ["lookup(\"", "get(\"", "var(\"", "base_url(\"", "number(\"", "secret(\""] {
                    for (i, _) in text.match_indices(call) {
                        let rest = &text[i + call.len()..];
                        let name: String = rest
                            .chars()
                            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                            .collect();
                        if name.len() >= 3 && rest[name.len()..].starts_with('"') {
                            found.insert(name);
                        }
                    }
                }
            }
        }
    }
    found
}

/// Every Blueprint in the repository, with what it is for.
const FILES: &[&str] = &["render.yaml", "render_scaled.yaml", "render_tickets.yaml", "render_ahorro.yaml"];

/// The binary a service's build command builds (`--bin tickets`).
fn binary(service: &Value) -> &str {
    service["buildCommand"].as_str().unwrap().rsplit("--bin ").next().unwrap().trim()
}

fn web_services(file: &Value) -> Vec<&Value> {
    file["services"].as_array().unwrap().iter().filter(|s| s["type"] == "web").collect()
}

fn check_structure(file: &Value) {
    // Render resolves references within one Blueprint only.
    let all_services = file["services"].as_array().unwrap();
    for key in keys(file) {
        assert!(TOP_LEVEL.contains(&key.as_str()), "unknown top-level field {key}");
    }
    let databases: Vec<String> =
        file["databases"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect();
    for database in file["databases"].as_array().unwrap() {
        for key in keys(database) {
            assert!(DATABASE_FIELDS.contains(&key.as_str()), "unknown database field {key}");
        }
    }
    for service in file["services"].as_array().unwrap() {
        for key in keys(service) {
            assert!(SERVICE_FIELDS.contains(&key.as_str()), "unknown service field {key}");
        }
        assert!(SERVICE_TYPES.contains(&service["type"].as_str().unwrap()));
        if service["type"] == "keyvalue" {
            // Render requires ipAllowList on a Key Value; empty = private network only.
            assert!(service["name"].is_string() && service["plan"].is_string());
            assert_eq!(service["ipAllowList"], Value::Array(vec![]), "the Key Value is not on the internet");
            continue;
        }
        if let Some(n) = service.get("numInstances") {
            assert!(n.as_u64().is_some_and(|n| n >= 1));
            assert_ne!(service["plan"], "free", "a free service runs one instance");
        }
        assert!(RUNTIMES.contains(&service["runtime"].as_str().unwrap()));
        for required in ["name", "buildCommand", "startCommand", "healthCheckPath"] {
            assert!(service[required].is_string(), "{required} is required");
        }
        // The start command runs the binary the build command builds.
        let build = service["buildCommand"].as_str().unwrap();
        let start = service["startCommand"].as_str().unwrap();
        let bin = build.rsplit("--bin ").next().unwrap().trim();
        assert!(build.contains("--release") && build.contains("--locked"), "{build}");
        // The workspace's default member is the launcher: `--bin` alone finds no
        // service binary at the root (the deploy test saw Render's build fail so).
        assert!(build.contains(&format!("-p belgrano-{bin} ")), "{build} names the service's package");
        assert_eq!(start, format!("./target/release/{bin}"));
        for var in service["envVars"].as_array().unwrap() {
            let key = var["key"].as_str().unwrap();
            let sources: Vec<String> = keys(var).into_iter().filter(|k| k != "key").collect();
            assert_eq!(sources.len(), 1, "{key} needs exactly one source: {sources:?}");
            assert!(ENV_SOURCES.contains(&sources[0].as_str()), "{key}: unknown source {sources:?}");
            if SECRETS.contains(&key) {
                assert!(var.get("value").is_none(), "{key} must not be written in the file");
            }
            assert_ne!(key, "PORT", "Render sets PORT itself");
            if let Some(value) = var.get("value") {
                assert!(value.is_string(), "{key}: Render wants values as strings");
                if key.ends_with("_URL") {
                    assert!(
                        value.as_str().unwrap().starts_with("https://"),
                        "{key} reaches a public URL with a scheme"
                    );
                }
            }
            if let Some(generate) = var.get("generateValue") {
                assert_eq!(generate, &Value::Bool(true));
            }
            if let Some(sync) = var.get("sync") {
                assert_eq!(sync, &Value::Bool(false));
            }
            if let Some(from) = var.get("fromDatabase") {
                assert_eq!(from["property"], "connectionString");
                assert!(databases.contains(&from["name"].as_str().unwrap().to_owned()), "{key}: unknown database");
            }
            if let Some(from) = var.get("fromService") {
                let other = all_services
                    .iter()
                    .find(|s| s["name"] == from["name"] && s["type"] == from["type"])
                    .unwrap_or_else(|| panic!("{key}: no service {from}"));
                if other["type"] == "keyvalue" {
                    assert_eq!(from["property"], "connectionString", "{key}: the Key Value's internal redis:// URL");
                    continue;
                }
                let wanted =
                    from["envVarKey"].as_str().expect("envVarKey (a property would give a URL without scheme)");
                let provided = other["envVars"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|v| v["key"] == wanted)
                    .expect("the key exists there");
                assert_eq!(provided["generateValue"], Value::Bool(true), "the shared key is generated once, there");
            }
        }
    }
}

#[test]
fn blueprints_follow_renders_specification() {
    for name in FILES {
        check_structure(&blueprint(name));
    }
    // The default Blueprint is the whole system on one database.
    let whole = blueprint("render.yaml");
    let mut binaries: Vec<&str> = web_services(&whole).into_iter().map(binary).collect();
    binaries.sort();
    assert_eq!(binaries, ["ahorro", "tickets"]);
    assert_eq!(whole["databases"].as_array().unwrap().len(), 1, "one database for both services");
    for service in web_services(&whole) {
        assert_eq!(service["plan"], "free", "render.yaml fits a free workspace");
    }
    let scaled = blueprint("render_scaled.yaml");
    for service in web_services(&scaled) {
        assert!(service["numInstances"].as_u64().unwrap() >= 2, "{}", service["name"]);
    }
    for name in FILES {
        for service in web_services(&blueprint(name)) {
            let health = service["healthCheckPath"].as_str().unwrap();
            match binary(service) {
                "tickets" => assert_eq!(health, "/health"),
                "ahorro" => assert!(["/test", "/healthz"].contains(&health)),
                other => panic!("{name}: unknown binary {other}"),
            }
        }
    }
}

/// A resource (service or database) is managed by one Blueprint file only, so
/// syncing any two files together never has two Blueprints fighting over one.
#[test]
fn no_two_blueprints_manage_the_same_resource() {
    let mut owner = std::collections::BTreeMap::new();
    for name in FILES {
        let file = blueprint(name);
        let resources = file["services"].as_array().unwrap().iter().chain(file["databases"].as_array().unwrap());
        for resource in resources {
            let resource = resource["name"].as_str().unwrap().to_owned();
            if let Some(other) = owner.insert(resource.clone(), *name) {
                panic!("{resource} is in both {other} and {name}");
            }
        }
    }
}

/// The public URL a Blueprint writes for the other service names a service of
/// the same file (Render's default address is `https://<name>.onrender.com`).
#[test]
fn written_urls_point_at_a_service_of_the_same_blueprint() {
    for name in FILES {
        let file = blueprint(name);
        let names: Vec<&str> =
            file["services"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        for service in web_services(&file) {
            for var in service["envVars"].as_array().unwrap() {
                let (Some(key), Some(value)) = (var["key"].as_str(), var["value"].as_str()) else { continue };
                if key.ends_with("_URL") {
                    let host = value.strip_prefix("https://").and_then(|v| v.strip_suffix(".onrender.com"));
                    assert!(host.is_some_and(|h| names.contains(&h)), "{name}: {key}={value}");
                }
            }
        }
    }
}

/// The toolchain Render builds with is pinned, to the compiler CI uses, and
/// satisfies the workspace's declared minimum.
#[test]
fn the_toolchain_is_pinned() {
    let pinned = std::fs::read_to_string(repo().join("rust-toolchain")).unwrap();
    let pinned = pinned.trim();
    let parts: Vec<u32> = pinned.split('.').map(|p| p.parse().expect("a version like 1.95.0")).collect();
    assert_eq!(parts.len(), 3, "a full version, not a channel: {pinned}");
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let msrv = manifest.lines().find_map(|l| l.strip_prefix("rust-version = ")).unwrap().trim_matches('"');
    let msrv: Vec<u32> = msrv.split('.').map(|p| p.parse().unwrap()).collect();
    assert!(parts[..2] >= msrv[..], "{pinned} is older than rust-version");
}

#[test]
fn every_variable_read_is_provided_and_every_one_provided_is_read() {
    for name in FILES {
        let file = blueprint(name);
        let several = file["services"].as_array().unwrap().iter().any(|s| s["type"] == "keyvalue");
        for service in web_services(&file) {
            let crate_dir = format!("crates/{}", binary(service));
            let provided: BTreeSet<String> =
                service["envVars"].as_array().unwrap().iter().map(|v| v["key"].as_str().unwrap().to_owned()).collect();
            let mut read = variables_read_by(&crate_dir);
            assert!(read.remove("PORT"), "{crate_dir} reads PORT (Render provides it)");
            assert!(read.contains("DATABASE_URL"), "the scan finds the configuration");
            if !several || binary(service) != "tickets" {
                read.retain(|v| !ONLY_FOR_SEVERAL_INSTANCES.contains(&v.as_str()));
            }
            read.retain(|v| !DEFAULT_FITS_RENDER.contains(&v.as_str()) && !TESTS_ONLY.contains(&v.as_str()));
            assert_eq!(read, provided, "{name} {crate_dir}: read by the code vs provided by the blueprint");
        }
    }
}
