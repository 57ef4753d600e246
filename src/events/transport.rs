//! The HTTP transport: turns an [`EventRequest`] into bytes on the wire and the answer into a
//! [`Response`]. This is the only module of libvwo that imports `ureq` (STYLE §1); everything above it
//! talks to the [`Transport`] trait, so tests and hosts can substitute their own.
//!
//! It owns timeouts (connect and overall) and proxy selection. It must not retry, queue or log: the
//! dispatcher decides what a failure means.

use super::wire::{EventRequest, HttpMethod};
use std::fmt;
use std::io::Read as _;
use std::time::Duration;

/// What the server answered (any status, including 4xx and 5xx).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// The `Retry-After` header when it is a number of seconds (HTTP dates are not honoured).
    pub retry_after: Option<Duration>,
    /// The response body, lossily decoded as UTF-8 and cut at [`MAX_BODY_BYTES`].
    pub body: String,
}

/// The longest response body kept (settings files are far smaller).
pub const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// Why no HTTP response was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The connect or overall timeout passed.
    Timeout(String),
    /// The connection could not be made (refused, DNS failure, proxy unreachable).
    Connect(String),
    /// Anything else: the connection broke, the answer was not HTTP, the URL is invalid.
    Other(String),
}

impl TransportError {
    /// Whether sending again could succeed (timeouts and connection failures; not an invalid URL).
    pub fn is_transient(&self) -> bool {
        match self {
            TransportError::Timeout(_) | TransportError::Connect(_) => true,
            TransportError::Other(m) => !m.starts_with(INVALID),
        }
    }
}

const INVALID: &str = "invalid request: ";

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Timeout(m) => write!(f, "timed out: {m}"),
            TransportError::Connect(m) => write!(f, "connection failed: {m}"),
            TransportError::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for TransportError {}

/// Sends one request and returns the server's answer. Implementations must be usable from any thread.
pub trait Transport: Send + Sync {
    /// Sends `req` (`req.wire_url()`, `req.method`, `req.headers`, `req.body`) and waits for the answer.
    fn execute(&self, req: &EventRequest) -> Result<Response, TransportError>;

    /// A transport for a forked child process, sharing no connection with the parent (an inherited
    /// pooled socket would carry both processes' bytes). `None`: this one is safe to keep.
    fn for_forked_child(&self) -> Option<std::sync::Arc<dyn Transport>> {
        None
    }
}

/// Configuration of [`HttpTransport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportConfig {
    /// Time allowed to establish a connection (default 5 s).
    pub connect_timeout: Duration,
    /// Time allowed for the whole request, connect included (default 10 s).
    pub timeout: Duration,
    /// An explicit proxy URL (`http://host:port`, `socks5://…`) used for every request. When `None`
    /// and [`use_env_proxy`](Self::use_env_proxy) is set, `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY`
    /// (either case) and `NO_PROXY` decide.
    pub proxy: Option<String>,
    /// Whether the proxy environment variables are honoured when `proxy` is `None` (default true).
    pub use_env_proxy: bool,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            proxy: None,
            use_env_proxy: true,
        }
    }
}

/// The proxy settings read from the environment once, at construction.
#[derive(Debug, Clone, Default)]
struct EnvProxy {
    https: Option<String>,
    http: Option<String>,
    no_proxy: Vec<String>,
}

fn env_var(names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|n| std::env::var(n).ok())
        .map(|v| v.trim().to_owned())
        .find(|v| !v.is_empty())
}

impl EnvProxy {
    fn read() -> EnvProxy {
        let all = env_var(&["ALL_PROXY", "all_proxy"]);
        EnvProxy {
            https: env_var(&["HTTPS_PROXY", "https_proxy"]).or_else(|| all.clone()),
            http: env_var(&["HTTP_PROXY", "http_proxy"]).or(all),
            no_proxy: env_var(&["NO_PROXY", "no_proxy"])
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().trim_start_matches('.').to_ascii_lowercase())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// Whether `host` bypasses proxies: loopback always (as Go's `ProxyFromEnvironment` does), else a
/// `NO_PROXY` entry equal to the host or a parent domain of it, or `*`.
fn bypasses(host: &str, no_proxy: &[String]) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
    {
        return true;
    }
    let host = host.to_ascii_lowercase();
    no_proxy.iter().any(|entry| {
        // An entry may carry a port (`example.com:8080`); libvwo matches on the host alone.
        let entry = entry.split(':').next().unwrap_or(entry);
        entry == "*"
            || host == entry
            || (host.len() > entry.len()
                && host.ends_with(entry)
                && host.as_bytes()[host.len() - entry.len() - 1] == b'.')
    })
}

/// `(scheme, host)` of an absolute URL, without parsing more than needed.
fn scheme_host(url: &str) -> (&str, &str) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host = if host_port.starts_with('[') {
        host_port.split(']').next().map_or(host_port, |h| &h[1..])
    } else {
        host_port.split(':').next().unwrap_or(host_port)
    };
    (scheme, host)
}

/// [`Transport`] over ureq 2 with rustls (HTTPS with the webpki roots), connection pooling, timeouts
/// and proxies.
pub struct HttpTransport {
    config: TransportConfig,
    direct: ureq::Agent,
    /// Used for every request when an explicit proxy was configured.
    explicit: Option<ureq::Agent>,
    /// Agents for the environment's `HTTPS_PROXY` and `HTTP_PROXY`.
    env_https: Option<ureq::Agent>,
    env_http: Option<ureq::Agent>,
    no_proxy: Vec<String>,
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport")
            .field("explicit_proxy", &self.explicit.is_some())
            .field("env_https_proxy", &self.env_https.is_some())
            .field("env_http_proxy", &self.env_http.is_some())
            .finish()
    }
}

impl HttpTransport {
    /// Builds the transport. Fails with an options error naming `proxy` when a proxy URL (explicit
    /// or from the environment) cannot be parsed.
    pub fn new(config: TransportConfig) -> Result<HttpTransport, crate::Error> {
        let builder = || {
            ureq::AgentBuilder::new()
                .timeout_connect(config.connect_timeout)
                .timeout(config.timeout)
                .redirects(0)
                .max_idle_connections_per_host(4)
        };
        let with_proxy = |url: &str, what: &str| -> Result<ureq::Agent, crate::Error> {
            let proxy = ureq::Proxy::new(url).map_err(|e| {
                crate::Error::options(what, format_args!("invalid proxy URL {url:?}: {e}"))
            })?;
            Ok(builder().proxy(proxy).build())
        };
        let mut t = HttpTransport {
            config: config.clone(),
            direct: builder().build(),
            explicit: None,
            env_https: None,
            env_http: None,
            no_proxy: Vec::new(),
        };
        if let Some(p) = config.proxy.as_deref().filter(|p| !p.trim().is_empty()) {
            t.explicit = Some(with_proxy(p, "proxy")?);
        } else if config.use_env_proxy {
            let env = EnvProxy::read();
            if let Some(p) = env.https.as_deref() {
                t.env_https = Some(with_proxy(p, "HTTPS_PROXY")?);
            }
            if let Some(p) = env.http.as_deref() {
                t.env_http = Some(with_proxy(p, "HTTP_PROXY")?);
            }
            t.no_proxy = env.no_proxy;
        }
        Ok(t)
    }

    fn agent_for(&self, url: &str) -> &ureq::Agent {
        let (scheme, host) = scheme_host(url);
        if bypasses(host, &self.no_proxy) {
            return &self.direct;
        }
        if let Some(a) = &self.explicit {
            return a;
        }
        let env = if scheme.eq_ignore_ascii_case("https") {
            &self.env_https
        } else {
            &self.env_http
        };
        env.as_ref().unwrap_or(&self.direct)
    }
}

/// A header value as it can go on the wire: bytes outside visible ASCII, space and tab (a non-ASCII
/// user agent, or CR/LF that would inject headers) are percent-encoded as Node's SDK does, where
/// Python's would send Latin-1 or fail.
fn header_value(v: &str) -> std::borrow::Cow<'_, str> {
    if v.bytes().all(|b| matches!(b, b' ' | b'\t' | 0x21..=0x7e)) {
        return std::borrow::Cow::Borrowed(v);
    }
    let mut out = String::with_capacity(v.len() + 16);
    for b in v.bytes() {
        if matches!(b, b' ' | b'\t' | 0x21..=0x7e) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    std::borrow::Cow::Owned(out)
}

fn classify(e: ureq::Transport) -> TransportError {
    use ureq::ErrorKind as K;
    let text = e.to_string();
    let io_kind = std::error::Error::source(&e)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind);
    if matches!(
        io_kind,
        Some(std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock)
    ) {
        return TransportError::Timeout(text);
    }
    match e.kind() {
        K::Dns | K::ConnectionFailed | K::ProxyConnect => TransportError::Connect(text),
        K::InvalidUrl | K::UnknownScheme | K::InvalidProxyUrl | K::InsecureRequestHttpsOnly => {
            TransportError::Other(format!("{INVALID}{text}"))
        }
        _ => TransportError::Other(text),
    }
}

fn read_response(resp: ureq::Response) -> Result<Response, TransportError> {
    let status = resp.status();
    let retry_after = resp
        .header("Retry-After")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let mut bytes = Vec::new();
    resp.into_reader()
        .take(MAX_BODY_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                TransportError::Timeout(format!("reading the response body: {e}"))
            }
            _ => TransportError::Other(format!("reading the response body: {e}")),
        })?;
    let body = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    Ok(Response {
        status,
        retry_after,
        body,
    })
}

impl Transport for HttpTransport {
    fn execute(&self, req: &EventRequest) -> Result<Response, TransportError> {
        let url = req.wire_url();
        let method = match req.method {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        };
        let mut r = self.agent_for(&url).request(method, &url);
        for (name, value) in &req.headers {
            r = r.set(name, &header_value(value));
        }
        let result = match (&req.body, req.method) {
            (Some(body), _) => r.send_string(body),
            (None, HttpMethod::Post) => r.send_bytes(&[]),
            (None, HttpMethod::Get) => r.call(),
        };
        match result {
            Ok(resp) | Err(ureq::Error::Status(_, resp)) => read_response(resp),
            Err(ureq::Error::Transport(t)) => Err(classify(t)),
        }
    }

    fn for_forked_child(&self) -> Option<std::sync::Arc<dyn Transport>> {
        // The configuration was valid in the parent; should the environment read again differ and
        // fail, the parent's agents are used (with their pool, the lesser evil than no transport).
        HttpTransport::new(self.config.clone())
            .ok()
            .map(|t| std::sync::Arc::new(t) as std::sync::Arc<dyn Transport>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_matching() {
        let np = vec!["example.com".to_owned(), "internal".to_owned()];
        assert!(bypasses("127.0.0.1", &[]));
        assert!(bypasses("[::1]", &[]));
        assert!(bypasses("localhost", &[]));
        assert!(bypasses("example.com", &np));
        assert!(bypasses("a.example.com", &np));
        assert!(!bypasses("badexample.com", &np));
        assert!(!bypasses("dev.visualwebsiteoptimizer.com", &np));
        assert!(bypasses("x.y", &["*".to_owned()]));
    }

    #[test]
    fn header_values_are_made_safe() {
        assert_eq!(header_value("Mozilla/5.0 (X11)"), "Mozilla/5.0 (X11)");
        assert_eq!(header_value("ü\r\nX: y"), "%C3%BC%0D%0AX: y");
    }

    #[test]
    fn url_parts() {
        assert_eq!(
            scheme_host("https://dev.visualwebsiteoptimizer.com/server-side/x?a=1"),
            ("https", "dev.visualwebsiteoptimizer.com")
        );
        assert_eq!(
            scheme_host("http://u:p@127.0.0.1:8080/x"),
            ("http", "127.0.0.1")
        );
        assert_eq!(scheme_host("http://[::1]:80/"), ("http", "::1"));
    }

    #[test]
    fn bad_proxy_is_an_options_error() {
        let e = HttpTransport::new(TransportConfig {
            proxy: Some("ftp://proxy.example:21".into()),
            ..TransportConfig::default()
        });
        assert!(e.is_err());
    }
}
