//! A real SMTP server for tests: Debian's `python3-aiosmtpd` writing a
//! maildir, started by the test on a free port, stopped and started again
//! on the same port (an outage), and read back ([`SmtpServer::messages`],
//! parsed by Python's `email` package: decoded subject, text and HTML
//! parts).
//!
//! Recipients whose local part starts with `rechazo` are refused with a
//! permanent `550` (a mailbox that does not exist), so tests can see a
//! refusal parked.

use std::path::PathBuf;
use std::time::Duration;

use tokio::process::{Child, Command};

const PYTHON: &str = "/usr/bin/python3";

/// The handler: aiosmtpd's maildir one, refusing `rechazo*` recipients.
const HANDLER: &str = r#"
from aiosmtpd.handlers import Mailbox

class Handler(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split('@')[0].lower().startswith('rechazo'):
            return '550 5.1.1 No existe ese buzon'
        envelope.rcpt_tos.append(address)
        return '250 OK'
"#;

/// Reads the maildir as JSON.
const READER: &str = r#"
import sys, json, mailbox, email, email.policy
md = mailbox.Maildir(sys.argv[1], factory=None, create=False)
out = []
for key in sorted(md.keys()):
    msg = email.message_from_bytes(md.get_bytes(key), policy=email.policy.default)
    def part(kind):
        p = msg.get_body((kind,))
        return p.get_content() if p is not None else None
    out.append({
        "to": str(msg.get("To", "")),
        "from": str(msg.get("From", "")),
        "reply_to": str(msg.get("Reply-To", "")),
        "subject": str(msg.get("Subject", "")),
        "content_type": msg.get_content_type(),
        "text": part("plain"),
        "html": part("html"),
    })
print(json.dumps(out))
"#;

/// A received mail.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub from: String,
    pub reply_to: String,
    pub subject: String,
    /// `multipart/alternative` for a mail with text and HTML.
    pub content_type: String,
    pub text: String,
    pub html: String,
}

impl Received {
    /// The first `http(s)://` link in the text part that contains `marker`.
    pub fn link(&self, marker: &str) -> Option<String> {
        self.text
            .split_whitespace()
            .find(|w| (w.starts_with("http://") || w.starts_with("https://")) && w.contains(marker))
            .map(str::to_owned)
    }
}

pub struct SmtpServer {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl SmtpServer {
    /// Whether the server can run here (`python3-aiosmtpd` installed).
    pub fn available() -> bool {
        std::process::Command::new(PYTHON).args(["-c", "import aiosmtpd"]).status().is_ok_and(|s| s.success())
    }

    /// Starts a server on a free port. Panics if aiosmtpd is missing.
    pub async fn start() -> SmtpServer {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            l.local_addr().unwrap().port()
        };
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("belgrano_smtp.py"), HANDLER).unwrap();
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(dir.path().join("maildir").join(sub)).unwrap();
        }
        let mut server = SmtpServer { port, dir, child: None };
        server.restart().await;
        server
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `SMTP_URL` for this server (plain SMTP: it offers no TLS).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("maildir")
    }

    /// Stops the server (connections are refused until [`Self::restart`]).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
            let _ = child.wait().await;
        }
        // Refused for sure before returning.
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// (Re)starts the server on the same port and maildir; returns once it
    /// accepts connections.
    pub async fn restart(&mut self) {
        self.stop().await;
        let child = Command::new(PYTHON)
            .env("PYTHONPATH", self.dir.path())
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{}", self.port), "-c", "belgrano_smtp.Handler"])
            .arg(self.maildir())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 -m aiosmtpd starts (apt install python3-aiosmtpd)");
        self.child = Some(child);
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the SMTP test server did not start on port {}", self.port);
    }

    /// Every mail received so far.
    pub async fn messages(&self) -> Vec<Received> {
        let output = Command::new(PYTHON).args(["-c", READER]).arg(self.maildir()).output().await.unwrap();
        assert!(output.status.success(), "reading the maildir: {}", String::from_utf8_lossy(&output.stderr));
        let all: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let s = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
        all.as_array()
            .unwrap()
            .iter()
            .map(|m| Received {
                to: s(m, "to"),
                from: s(m, "from"),
                reply_to: s(m, "reply_to"),
                subject: s(m, "subject"),
                content_type: s(m, "content_type"),
                text: s(m, "text"),
                html: s(m, "html"),
            })
            .collect()
    }

    /// How many mails arrived so far, without reading them (the maildir's
    /// files; cheap enough for thousands).
    pub fn count(&self) -> usize {
        ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(self.maildir().join(sub)).ok())
            .map(Iterator::count)
            .sum()
    }

    /// The mails received for `to`.
    pub async fn messages_to(&self, to: &str) -> Vec<Received> {
        self.messages().await.into_iter().filter(|m| m.to.contains(to)).collect()
    }

    /// Waits until `count` mails for `to` arrived (or `timeout` passes)
    /// and returns those received.
    pub async fn wait_for(&self, to: &str, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.messages_to(to).await;
            if got.len() >= count || tokio::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
}
