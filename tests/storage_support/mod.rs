//! Helpers of the user-storage tests: a real `redis-server` on 127.0.0.1 (started, stopped and restarted
//! by the test), child processes (the test binary re-executed in a role), settings whose weights can be
//! flipped, and an event sink that counts.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vwo::events::EventRequest;
use vwo::{Client, EventSink, LaunchOptions, UserStorageConfig};

/// Settings with campaign `ab` (goal `CUSTOM`) whose variation weights are `weights` (Control,
/// Variation-1) and campaign `feature` (another key, same shape).
pub fn settings(weights: (u32, u32)) -> String {
    let campaign = |id: u32, key: &str| {
        json!({"id": id, "key": key, "name": key, "status": "RUNNING", "type": "VISUAL_AB",
               "percentTraffic": 100, "isForcedVariationEnabled": false, "segments": {},
               "goals": [{"id": 201, "identifier": "CUSTOM", "type": "CUSTOM_GOAL"}],
               "variations": [{"id": 1, "name": "Control", "weight": weights.0, "changes": {}},
                              {"id": 2, "name": "Variation-1", "weight": weights.1, "changes": {}}]})
    };
    json!({"accountId": 123456, "sdkKey": "abcdef0123456789abcdef0123456789", "version": 1,
           "campaigns": [campaign(11, "ab"), campaign(12, "feature")]})
    .to_string()
}

/// Counts the events a client hands over.
#[derive(Default)]
pub struct Counter(pub AtomicUsize);

impl EventSink for Counter {
    fn send(&self, _url: &str, _request: &EventRequest) -> Result<(), vwo::Error> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

impl Counter {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A client with `storage`, counting its events.
pub fn launch(settings: &str, storage: UserStorageConfig) -> (Client, Arc<Counter>) {
    let counter = Arc::new(Counter::default());
    let options = LaunchOptions {
        user_storage_config: Some(storage),
        event_sink: Some(counter.clone()),
        ..Default::default()
    };
    (Client::launch(settings, options).unwrap(), counter)
}

// --------------------------------------------------------------------------------- child processes

/// The role this process plays, when a test re-executed it as a child.
pub fn child_role() -> Option<String> {
    std::env::var("VWO_STORAGE_TEST_ROLE").ok()
}

/// Runs test `test` of this binary in a child process with `role` and extra environment.
pub fn spawn_child(test: &str, role: &str, env: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("VWO_STORAGE_TEST_ROLE", role)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// The lines a child printed with [`report`] (prefix `@@ `), after it exited successfully.
pub fn child_output(child: Child) -> Vec<String> {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "child failed: {:?}", out.status);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        // libtest may print "test name ... " on the same line, before the first report.
        .filter_map(|l| l.find("@@ ").map(|i| l[i + 3..].to_string()))
        .collect()
}

/// A line for the parent (flushed at once: the parent may read it while the child runs).
pub fn report(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "@@ {line}").unwrap();
    out.flush().unwrap();
}

pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vwo-storage-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

// ------------------------------------------------------------------------------------ redis-server

/// A `redis-server` on 127.0.0.1 that the test owns: no persistence, its own port, killed on drop.
pub struct RedisServer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

fn redis_server_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|d| d.join("redis-server"))
        .find(|p| p.is_file())
}

impl RedisServer {
    /// Starts a server on a free port. `None` only when `VWO_SKIP_REDIS=1` and redis-server is missing;
    /// otherwise a missing redis-server fails the test (`make test` installs it: tools/deps.sh).
    pub fn start() -> Option<RedisServer> {
        if redis_server_binary().is_none() {
            if std::env::var("VWO_SKIP_REDIS").as_deref() == Ok("1") {
                eprintln!("redis-server not found and VWO_SKIP_REDIS=1: test skipped");
                return None;
            }
            panic!(
                "redis-server not found on PATH: install it (`apt-get install -y redis-server`, which \
                 make test does through tools/deps.sh), or set VWO_SKIP_REDIS=1 to skip the Redis tests explicitly"
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = temp_dir(&format!("redis-{port}"));
        let mut server = RedisServer {
            port,
            dir,
            child: None,
        };
        server.restart();
        Some(server)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// (Re)starts the server on the same port and waits until it answers PING.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let child = Command::new(redis_server_binary().unwrap())
                .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(&self.dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            self.child = Some(child);
            while Instant::now() < deadline {
                if self.command(&["PING"]).as_deref() == Some("+PONG") {
                    return;
                }
                if let Some(Ok(Some(_))) = self.child.as_mut().map(|c| c.try_wait()) {
                    break; // exited (port briefly still held after a stop): try again
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            self.child = None;
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the server (as a crash would).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// One command in RESP; the first reply line (`+OK`, `$-1`, `:3`, …), or for a bulk string its value.
    pub fn command(&self, args: &[&str]) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        s.write_all(req.as_bytes()).ok()?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = s.read(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some(rest) = text.strip_prefix('$') {
                let (len, body) = rest.split_once("\r\n")?;
                let len: i64 = len.parse().ok()?;
                if len < 0 {
                    return Some("$-1".into());
                }
                if body.len() >= len as usize + 2 {
                    return Some(body[..len as usize].to_string());
                }
            } else if text.ends_with("\r\n") && !text.starts_with('*') {
                return Some(text.trim_end().to_string());
            } else if text.starts_with('*') && text.ends_with("\r\n") {
                return Some(text);
            }
        }
        None
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.command(&["GET", key]).filter(|v| v != "$-1")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
