//! The HTTP transport: turns an [`EventRequest`] into bytes on the wire and the answer into a
//! [`Response`]. This is the only module of libvwo that imports `ureq` (STYLE §1); everything above it
//! talks to the [`Transport`] trait, so tests and hosts can substitute their own.
//!
//! It owns timeouts (connect and overall) and proxy selection. It must not retry, queue or log: the
//! dispatcher decides what a failure means.

use super::wire::{EventRequest, HttpMethod};
use std::fmt;
use std::io::Read as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the server answered (any status, including 4xx and 5xx).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// How long the `Retry-After` header asks to wait: its delta-seconds (a number too large for a
    /// `u64` saturates), or the time from now until its HTTP date (any of the three forms of RFC 9110
    /// §5.6.7; a date in the past is zero). `None` when absent or unparsable.
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
    /// Sends `req` to `url` (the request's full URL, query included, as [`Collector::url`] builds
    /// it from `req`'s path and query: the caller resolves where a request goes) with `req.method`,
    /// `req.headers` and `req.body`, and waits for the answer.
    ///
    /// [`Collector::url`]: super::wire::Collector::url
    fn execute(&self, url: &str, req: &EventRequest) -> Result<Response, TransportError>;

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
        .and_then(|v| retry_after(v, SystemTime::now()));
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

/// The wait a `Retry-After` value asks for, seen at `now`: delta-seconds (digits only; past `u64`
/// it saturates, and the dispatcher's retry-time limit then ends the retries), or an HTTP date, the
/// wait being the time from `now` until it (zero when it has passed). `None` when it is neither.
fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let now_secs = match now.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    };
    let at = http_date(v, year_of(now_secs))?;
    let target = if at >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(at.unsigned_abs()))?
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(at.unsigned_abs()))?
    };
    Some(target.duration_since(now).unwrap_or(Duration::ZERO))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian; H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil year that contains the Unix time `secs`.
fn year_of(secs: i64) -> i64 {
    // The inverse of `days_from_civil`, year only.
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    yoe + era * 400 + i64::from(mp >= 10)
}

fn two_digits(s: &str) -> Option<u32> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `HH:MM:SS` as seconds into the day (a leap second, `:60`, is accepted as RFC 9110 allows).
fn time_of_day(s: &str) -> Option<i64> {
    let mut it = s.split(':');
    let (h, m, sec) = (
        two_digits(it.next()?)?,
        two_digits(it.next()?)?,
        two_digits(it.next()?)?,
    );
    (it.next().is_none() && h < 24 && m < 60 && sec <= 60)
        .then_some(i64::from(h * 3600 + m * 60 + sec))
}

/// An HTTP date (RFC 9110 §5.6.7) as Unix seconds: the IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`
/// and the two obsolete forms recipients must accept, RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` (a
/// two-digit year more than 50 years after `this_year` is taken from the century before) and asctime
/// `Sun Nov  6 08:49:37 1994`. The day name is checked to be one, not to match the date.
fn http_date(s: &str, this_year: i64) -> Option<i64> {
    let month = |m: &str| MONTHS.iter().position(|k| *k == m).map(|i| i as u32 + 1);
    let (year, mon, day, secs) = if let Some((wday, rest)) = s.split_once(',') {
        let parts: Vec<&str> = rest.split_ascii_whitespace().collect();
        match parts.as_slice() {
            // IMF-fixdate
            [d, m, y, t, "GMT"] if DAYS.contains(&wday) => {
                let y = (y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| y.parse::<i64>().ok())
                    .flatten()?;
                (y, month(m)?, two_digits(d)?, time_of_day(t)?)
            }
            // RFC 850
            [date, t, "GMT"] if LONG_DAYS.contains(&wday) => {
                let mut dm = date.split('-');
                let (d, m, yy) = (dm.next()?, dm.next()?, dm.next()?);
                if dm.next().is_some() {
                    return None;
                }
                let yy = i64::from(two_digits(yy)?);
                let mut y = this_year - this_year.rem_euclid(100) + yy;
                if y > this_year + 50 {
                    y -= 100;
                }
                (y, month(m)?, two_digits(d)?, time_of_day(t)?)
            }
            _ => return None,
        }
    } else {
        // asctime: the day of the month is one digit after two spaces, or two digits.
        let parts: Vec<&str> = s.split_ascii_whitespace().collect();
        let [wday, m, d, t, y] = parts.as_slice() else {
            return None;
        };
        let d = match d.len() {
            1 if d.bytes().all(|b| b.is_ascii_digit()) => d.parse().ok()?,
            _ => two_digits(d)?,
        };
        let y = (y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()))
            .then(|| y.parse::<i64>().ok())
            .flatten()?;
        if !DAYS.contains(wday) {
            return None;
        }
        (y, month(m)?, d, time_of_day(t)?)
    };
    let month_days = match mon {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > month_days {
        return None;
    }
    Some(days_from_civil(year, mon, day) * 86_400 + secs)
}

impl Transport for HttpTransport {
    fn execute(&self, url: &str, req: &EventRequest) -> Result<Response, TransportError> {
        let method = match req.method {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        };
        let mut r = self.agent_for(url).request(method, url);
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
    fn retry_after_forms() {
        // 1994-11-06 08:49:37 UTC, RFC 9110's example.
        let t0 = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(
            http_date("Sun, 06 Nov 1994 08:49:37 GMT", 2026),
            Some(784_111_777)
        );
        assert_eq!(
            http_date("Sunday, 06-Nov-94 08:49:37 GMT", 2026),
            Some(784_111_777)
        );
        assert_eq!(
            http_date("Sun Nov  6 08:49:37 1994", 2026),
            Some(784_111_777)
        );
        assert_eq!(
            http_date("Sun Nov 06 08:49:37 1994", 2026),
            Some(784_111_777)
        );
        // A two-digit year more than 50 years ahead is in the century before; otherwise this one.
        assert_eq!(
            http_date("Monday, 01-Jan-80 00:00:00 GMT", 2026),
            Some(days_from_civil(1980, 1, 1) * 86_400),
            "80 → 1980 (2080 is more than 50 years after 2026)"
        );
        assert_eq!(
            http_date("Tuesday, 01-Jan-70 00:00:00 GMT", 2026),
            Some(days_from_civil(2070, 1, 1) * 86_400),
            "70 → 2070 (44 years ahead)"
        );
        assert_eq!(
            http_date("Tuesday, 01-Jan-30 00:00:00 GMT", 2026),
            Some(days_from_civil(2030, 1, 1) * 86_400)
        );
        assert_eq!(http_date("Tue, 29 Feb 2028 23:59:60 GMT", 2026), {
            Some(days_from_civil(2028, 2, 29) * 86_400 + 86_400)
        });
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06-Nov-94 08:49:37 GMT",
            "Sunday, 06 Nov 1994 08:49:37 GMT",
            "Sun Nov  6 08:49:37 94",
            "Sun, 06 Nov 1994 08:49:37 GMT extra",
            "1.5",
            "-3",
            "soon",
        ] {
            assert_eq!(http_date(bad, 2026), None, "{bad:?}");
            assert_eq!(retry_after(bad, t0), None, "{bad:?}");
        }
        assert_eq!(year_of(0), 1970);
        assert_eq!(year_of(784_111_777), 1994);
        assert_eq!(
            year_of(days_from_civil(2000, 12, 31) * 86_400 + 86_399),
            2000
        );
        assert_eq!(year_of(days_from_civil(2001, 1, 1) * 86_400), 2001);
        assert_eq!(year_of(-1), 1969);
    }

    #[test]
    fn retry_after_waits() {
        let now = UNIX_EPOCH + Duration::from_millis(784_111_777_250);
        assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after("0", now), Some(Duration::ZERO));
        // Too large for a u64: the longest wait (the dispatcher's retry-time limit then applies).
        assert_eq!(
            retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
        // A date: the time from now until it, to the millisecond.
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now),
            Some(Duration::from_millis(2750))
        );
        assert_eq!(
            retry_after("Sunday, 06-Nov-94 08:49:40 GMT", now),
            Some(Duration::from_millis(2750))
        );
        // A date already passed: retry now.
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        // Far ahead: a long wait, no overflow.
        assert_eq!(
            retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now).map(|d| d.as_secs() / 86_400 / 365),
            Some(8010)
        );
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
