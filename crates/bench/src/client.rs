//! A single HTTP/1.1 keep-alive connection on hyper's low-level client.
//! No pool and no TLS: the servers run on localhost and each load
//! connection owns exactly one TCP connection.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::{HeaderMap, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

pub type Body = Full<Bytes>;

#[derive(Debug)]
pub enum ClientError {
    Connect(std::io::Error),
    Http(hyper::Error),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Connect(e) => write!(f, "connect: {e}"),
            ClientError::Http(e) => write!(f, "http: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

pub struct Connection {
    sender: http1::SendRequest<Body>,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> Result<Self, ClientError> {
        let stream = TcpStream::connect(addr).await.map_err(ClientError::Connect)?;
        // Small requests back to back: Nagle would add delayed-ACK stalls.
        stream.set_nodelay(true).map_err(ClientError::Connect)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.map_err(ClientError::Http)?;
        tokio::spawn(async move {
            // Ends when the sender is dropped or the server closes.
            let _ = connection.await;
        });
        Ok(Self { sender })
    }

    /// Sends one request and reads the whole response body.
    pub async fn send(&mut self, request: Request<Body>) -> Result<(StatusCode, Bytes), ClientError> {
        let (status, _, body) = self.exchange(request).await?;
        Ok((status, body))
    }

    /// [`Connection::send`], with the response's headers (cookies of a login).
    pub async fn exchange(&mut self, request: Request<Body>) -> Result<(StatusCode, HeaderMap, Bytes), ClientError> {
        self.sender.ready().await.map_err(ClientError::Http)?;
        let response = self.sender.send_request(request).await.map_err(ClientError::Http)?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(ClientError::Http)?.to_bytes();
        Ok((parts.status, parts.headers, body))
    }
}

/// A request with the Host header hyper's low-level client does not add.
pub fn request(method: hyper::Method, addr: SocketAddr, path: &str) -> hyper::http::request::Builder {
    Request::builder().method(method).uri(path).header(hyper::header::HOST, addr.to_string())
}

/// One GET on a fresh connection (health checks, verification).
pub async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Result<(StatusCode, Bytes), ClientError> {
    let mut builder = request(hyper::Method::GET, addr, path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder.body(Body::default()).expect("valid request");
    Connection::open(addr).await?.send(request).await
}
