//! A small HTTP/1.1 collector on 127.0.0.1 for the delivery tests: it records every request (method,
//! path and query, headers, body) and answers as scripted: a status, a status with `Retry-After` (in
//! seconds or as an HTTP date), a delay, or a closed connection; it can also answer 413 to every body
//! over a size. It can be stopped (port closed) and started again on the same port.
//! Keep-alive is supported, one thread per connection. Every wait is bounded.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How the server answers one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// `200 OK`.
    Ok,
    /// This status, empty-ish body.
    Status(u16),
    /// This status with `Retry-After: <secs>`.
    RetryAfter(u16, u64),
    /// This status with `Retry-After: <HTTP date>`, the date this many seconds after the answer
    /// (truncated to the second, as a date is), written in the given form.
    RetryAfterDate(u16, i64, DateForm),
    /// Wait, then `200 OK` (the client has usually given up by then).
    Delay(Duration),
    /// Close the connection without answering.
    Close,
}

/// The three forms of an HTTP date (RFC 9110 §5.6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateForm {
    /// `Sun, 06 Nov 1994 08:49:37 GMT`
    Imf,
    /// `Sunday, 06-Nov-94 08:49:37 GMT`
    Rfc850,
    /// `Sun Nov  6 08:49:37 1994`
    Asctime,
}

/// The Unix time `secs` as an HTTP date in `form`.
pub fn http_date(secs: i64, form: DateForm) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const LONG: [&str; 7] = [
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
    ];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (h, mi, s) = (tod / 3600, tod / 60 % 60, tod % 60);
    let wd = days.rem_euclid(7) as usize;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let mon = MONTHS[(m - 1) as usize];
    match form {
        DateForm::Imf => format!(
            "{}, {d:02} {mon} {y:04} {h:02}:{mi:02}:{s:02} GMT",
            DAYS[wd]
        ),
        DateForm::Rfc850 => format!(
            "{}, {d:02}-{mon}-{:02} {h:02}:{mi:02}:{s:02} GMT",
            LONG[wd],
            y % 100
        ),
        DateForm::Asctime => format!("{} {mon} {d:>2} {h:02}:{mi:02}:{s:02} {y:04}", DAYS[wd]),
    }
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, exactly as on the request line.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// What the server answered (0: closed without answer).
    pub status: u16,
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Inner {
    recorded: Mutex<Vec<Recorded>>,
    arrived: Condvar,
    script: Mutex<VecDeque<Reply>>,
    default_reply: Mutex<Option<Reply>>,
    response_body: Mutex<String>,
    /// Bodies longer than this are answered 413, before any script.
    max_body: Mutex<Option<usize>>,
    running: AtomicBool,
    conns: Mutex<Vec<TcpStream>>,
}

pub struct TestServer {
    port: u16,
    inner: Arc<Inner>,
    acceptor: Mutex<Option<JoinHandle<()>>>,
}

impl TestServer {
    /// Starts on a free port.
    pub fn start() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let s = TestServer {
            port,
            inner: Arc::new(Inner::default()),
            acceptor: Mutex::new(None),
        };
        *s.inner.response_body.lock().unwrap() = "ok".into();
        s.serve(listener);
        s
    }

    /// A port nothing listens on (bound, then closed).
    pub fn dead_port() -> u16 {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }

    fn serve(&self, listener: TcpListener) {
        self.inner.running.store(true, Ordering::SeqCst);
        let inner = Arc::clone(&self.inner);
        let h = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if !inner.running.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let _ = conn.set_nodelay(true);
                if let Ok(c) = conn.try_clone() {
                    inner.conns.lock().unwrap().push(c);
                }
                let inner = Arc::clone(&inner);
                std::thread::spawn(move || handle(inner, conn));
            }
        });
        *self.acceptor.lock().unwrap() = Some(h);
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Replies for the next requests, in order; after them, the default (200 unless set).
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.inner.script.lock().unwrap().extend(replies);
    }

    pub fn set_default(&self, reply: Reply) {
        *self.inner.default_reply.lock().unwrap() = Some(reply);
    }

    /// Answers 413 to every request whose body is longer than `bytes` (`None`: no limit). Such a request
    /// does not consume a scripted reply.
    pub fn set_max_body(&self, bytes: Option<usize>) {
        *self.inner.max_body.lock().unwrap() = bytes;
    }

    pub fn set_body(&self, body: &str) {
        *self.inner.response_body.lock().unwrap() = body.into();
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.recorded.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests have arrived; false on timeout.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut r = self.inner.recorded.lock().unwrap();
        while r.len() < n {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            r = self
                .inner
                .arrived
                .wait_timeout(r, deadline - now)
                .unwrap()
                .0;
        }
        true
    }

    /// Closes the port and every open connection.
    pub fn stop(&self) {
        self.inner.running.store(false, Ordering::SeqCst);
        // Wake the acceptor so that it sees the flag and drops the listener.
        let _ = TcpStream::connect_timeout(
            &format!("127.0.0.1:{}", self.port).parse().unwrap(),
            Duration::from_millis(500),
        );
        if let Some(h) = self.acceptor.lock().unwrap().take() {
            let _ = h.join();
        }
        for c in self.inner.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }

    /// Listens again on the same port.
    pub fn restart(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match TcpListener::bind(("127.0.0.1", self.port)) {
                Ok(l) => {
                    self.serve(l);
                    return;
                }
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("cannot listen again on {}: {e}", self.port),
            }
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn handle(inner: Arc<Inner>, conn: TcpStream) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(mut out) = conn.try_clone() else {
        return;
    };
    let mut rd = BufReader::new(conn);
    loop {
        let mut line = String::new();
        match rd.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let line = line.trim_end().to_owned();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, ' ');
        let method = parts.next().unwrap_or("").to_owned();
        let target = parts.next().unwrap_or("").to_owned();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            match rd.read_line(&mut h) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let len = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        if rd.read_exact(&mut body).is_err() {
            return;
        }
        let too_large = inner.max_body.lock().unwrap().is_some_and(|max| len > max);
        let reply = if too_large {
            Reply::Status(413)
        } else {
            inner
                .script
                .lock()
                .unwrap()
                .pop_front()
                .or(*inner.default_reply.lock().unwrap())
                .unwrap_or(Reply::Ok)
        };
        let status = match reply {
            Reply::Ok | Reply::Delay(_) => 200,
            Reply::Status(s) | Reply::RetryAfter(s, _) | Reply::RetryAfterDate(s, _, _) => s,
            Reply::Close => 0,
        };
        {
            let mut r = inner.recorded.lock().unwrap();
            r.push(Recorded {
                method,
                target,
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
                status,
                at: Instant::now(),
            });
            inner.arrived.notify_all();
        }
        let text = inner.response_body.lock().unwrap().clone();
        let resp = match reply {
            Reply::Close => {
                let _ = out.shutdown(Shutdown::Both);
                return;
            }
            Reply::Delay(d) => {
                std::thread::sleep(d);
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{text}",
                    text.len()
                )
            }
            Reply::Ok => format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{text}",
                text.len()
            ),
            Reply::Status(s) => format!("HTTP/1.1 {s} Scripted\r\nContent-Length: 3\r\n\r\nerr"),
            Reply::RetryAfter(s, secs) => format!(
                "HTTP/1.1 {s} Scripted\r\nRetry-After: {secs}\r\nContent-Length: 3\r\n\r\nerr"
            ),
            Reply::RetryAfterDate(s, ahead, form) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs() as i64;
                format!(
                    "HTTP/1.1 {s} Scripted\r\nRetry-After: {}\r\nContent-Length: 3\r\n\r\nerr",
                    http_date(now + ahead, form)
                )
            }
        };
        if out.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}
