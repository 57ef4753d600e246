//! The Redis user storage, for a fleet of servers sharing assignments.
//!
//! Format (vwo-python-sdk's `RedisUserStorage`, spec §1.2): key `"<keyPrefix><campaignKey>:<userId>"`
//! (empty prefix by default), value the record as `json.dumps` writes it
//! (`{"userId": "u", "campaignKey": "c", "variationName": "v"}`), so libvwo and vwo-python-sdk read each
//! other's records.
//!
//! Cost: a lookup is one `GET` on a pooled connection. Writes never wait for Redis: `set` queues the
//! record (a newer record of the same key replaces a queued one) and returns; one background thread
//! sends the queue as pipelined `SET`s. Lookups read queued records first, so this process always reads
//! its own writes. So a decision costs one round trip at most, and a returning user's decision exactly one.
//!
//! Failure: every read and write is bounded by `timeout` (connect: `connect_timeout`). A failed lookup is
//! an `Err` (the client logs it and decides as with nothing stored). After a connection failure, lookups
//! fail at once for [`RETRY_INTERVAL`] instead of each waiting for the timeout. A failed write stays
//! queued and is retried with backoff up to `write_attempts` times, then dropped and counted. The queue
//! holds `max_pending_writes` records at most. A command whose socket call a signal interrupted (`EINTR`,
//! which Go programs see often) is sent again on a new connection within its timeout.
//!
//! Fork: connections and the queue belong to the process that made them; a forked child starts with an
//! empty pool and queue and its own writer thread.

use super::config::RedisStorageConfig;
use super::{Stats, StorageCounters, UserStorage, UserStorageRecord};
use crate::events::pyjson;
use crate::log::{LogLevel, Logger};
use crate::Error;
use redis::{ConnectionInfo, IntoConnectionInfo};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long lookups fail fast after a connection failure before one tries Redis again.
pub const RETRY_INTERVAL: Duration = Duration::from_millis(250);
/// Records sent per pipelined write.
const WRITE_BATCH: usize = 256;
/// Backoff of a failed write: doubles from the first value up to the second.
const WRITE_BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(2));

/// The connection address of a config: a `redis://` (or `unix://`) URL, or a bare `host[:port]`
/// (vwo-python-sdk's `redis_creds["url"]`: port 6379, db 0). `username`/`password` override the URL's.
pub(crate) fn connection_info(c: &RedisStorageConfig) -> Result<ConnectionInfo, String> {
    let url = c.url.trim();
    let mut info = if url.contains("://") {
        if !(url.starts_with("redis://") || url.starts_with("unix://")) {
            return Err(format!(
                "expected a redis:// or unix:// URL or a host name, got {url:?} (TLS, rediss://, is not built in)"
            ));
        }
        url.into_connection_info()
            .map_err(|e| format!("invalid Redis URL {url:?}: {e}"))?
    } else {
        let with_port = if url.contains(':') {
            url.to_string()
        } else {
            format!("{url}:6379")
        };
        format!("redis://{with_port}/0")
            .into_connection_info()
            .map_err(|e| format!("invalid Redis host {url:?}: {e}"))?
    };
    if let Some(u) = &c.username {
        info.redis.username = Some(u.clone());
    }
    if let Some(p) = &c.password {
        info.redis.password = Some(p.clone());
    }
    Ok(info)
}

/// The Redis key of a record (vwo-python-sdk's `campaign_key + ":" + user_id`, after the prefix).
pub fn redis_key(prefix: &str, campaign_key: &str, user_id: &str) -> String {
    let mut k = String::with_capacity(prefix.len() + campaign_key.len() + user_id.len() + 1);
    k.push_str(prefix);
    k.push_str(campaign_key);
    k.push(':');
    k.push_str(user_id);
    k
}

/// The Redis value of a record: `json.dumps(record)` as vwo-python-sdk writes it.
pub fn redis_value(record: &UserStorageRecord) -> String {
    pyjson::dumps(&record.to_json())
}

struct Pending {
    record: UserStorageRecord,
    value: String,
    seq: u64,
    attempts: u32,
    not_before: Instant,
}

#[derive(Default)]
struct Queue {
    pid: u32,
    writes: HashMap<String, Pending>,
    next_seq: u64,
    /// Records taken by the writer and not yet settled (so a flush waits for them).
    in_flight: usize,
    writer_pid: Option<u32>,
    closed: bool,
}

struct Pool {
    pid: u32,
    idle: Vec<redis::Connection>,
}

struct Shared {
    config: RedisStorageConfig,
    info: ConnectionInfo,
    pool: Mutex<Pool>,
    queue: Mutex<Queue>,
    /// Wakes the writer (new write, close) and flushers (queue drained).
    changed: Condvar,
    /// Queued records, read without the lock: lookups skip the queue when it is empty.
    queued: AtomicUsize,
    /// Lookups fail fast until this instant (ms since `epoch`), after a connection failure.
    down_until_ms: AtomicU64,
    /// Whether the last contact failed (logs only the transitions, not every failure).
    down: AtomicBool,
    epoch: Instant,
    stats: Stats,
    logger: Arc<dyn Logger>,
    log_level: LogLevel,
}

/// The Redis user storage (see the module documentation).
pub struct RedisUserStorage {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RedisUserStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisUserStorage")
            .field("addr", &self.shared.info.addr)
            .field("key_prefix", &self.shared.config.key_prefix)
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl RedisUserStorage {
    /// A store for `config`. Connects lazily: Redis being down at launch is not an error.
    pub fn open(
        config: RedisStorageConfig,
        logger: Arc<dyn Logger>,
        log_level: LogLevel,
    ) -> Result<RedisUserStorage, Error> {
        let info =
            connection_info(&config).map_err(|e| Error::options("userStorage.redis.url", e))?;
        let pid = std::process::id();
        Ok(RedisUserStorage {
            shared: Arc::new(Shared {
                config,
                info,
                pool: Mutex::new(Pool {
                    pid,
                    idle: Vec::new(),
                }),
                queue: Mutex::new(Queue {
                    pid,
                    ..Queue::default()
                }),
                changed: Condvar::new(),
                queued: AtomicUsize::new(0),
                down_until_ms: AtomicU64::new(0),
                down: AtomicBool::new(false),
                epoch: Instant::now(),
                stats: Stats::default(),
                logger,
                log_level,
            }),
        })
    }
}

impl Shared {
    fn log(&self, level: LogLevel, message: &str) {
        if level >= self.log_level {
            self.logger.log(level, message);
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Records a failed contact: lookups fail fast for a while; the first failure after a success is logged.
    fn failed(&self, what: &str, e: &str) {
        self.down_until_ms.store(
            self.now_ms() + RETRY_INTERVAL.as_millis() as u64,
            Ordering::Relaxed,
        );
        if !self.down.swap(true, Ordering::Relaxed) {
            self.log(
                LogLevel::Warning,
                &format!(
                    "user storage: Redis at {} failed ({what}: {e}); decisions go on without stored records, writes are retried",
                    self.info.addr
                ),
            );
        }
    }

    fn succeeded(&self) {
        // Loads first: a healthy lookup writes no shared cache line.
        if self.down_until_ms.load(Ordering::Relaxed) != 0 {
            self.down_until_ms.store(0, Ordering::Relaxed);
        }
        if self.down.load(Ordering::Relaxed) && self.down.swap(false, Ordering::Relaxed) {
            self.log(
                LogLevel::Info,
                &format!(
                    "user storage: Redis at {} is reachable again",
                    self.info.addr
                ),
            );
        }
    }

    /// A connection from the pool, or a new one (bounded by `connect_timeout`).
    fn connection(&self) -> Result<redis::Connection, String> {
        let pid = std::process::id();
        {
            let mut pool = lock(&self.pool);
            if pool.pid != pid {
                // Forked: the parent's sockets are not ours to use.
                pool.idle.clear();
                pool.pid = pid;
            }
            if let Some(c) = pool.idle.pop() {
                return Ok(c);
            }
        }
        let client = redis::Client::open(self.info.clone()).map_err(|e| format!("connect: {e}"))?;
        let deadline = Instant::now() + self.config.connect_timeout;
        let con = loop {
            match client.get_connection_with_timeout(self.config.connect_timeout) {
                Ok(con) => break con,
                Err(e) if interrupted(&e) && Instant::now() < deadline => continue,
                Err(e) => return Err(format!("connect: {e}")),
            }
        };
        con.set_read_timeout(Some(self.config.timeout))
            .and_then(|_| con.set_write_timeout(Some(self.config.timeout)))
            .map_err(|e| format!("connect: {e}"))?;
        Ok(con)
    }

    /// Runs one idempotent command (a `GET`, a pipeline of `SET`s) on a pooled connection. A signal
    /// that interrupts a socket call of a connection with a timeout set fails it with `EINTR` even under
    /// `SA_RESTART` (signal(7)); the Go runtime, profilers and timers send such signals to any thread.
    /// So an interrupted command is run again, on a new connection (the old one may hold half a
    /// reply), until the timeout is spent. Other failures are returned as they are.
    fn run<T>(
        &self,
        mut command: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, String> {
        let deadline = Instant::now() + self.config.timeout;
        loop {
            let mut con = self.connection()?;
            match command(&mut con) {
                Ok(v) => {
                    self.give_back(con);
                    return Ok(v);
                }
                Err(e) if interrupted(&e) && Instant::now() < deadline => continue,
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    /// Returns a healthy connection to the pool (a failed one is dropped: it may hold half a reply).
    fn give_back(&self, con: redis::Connection) {
        let mut pool = lock(&self.pool);
        if pool.pid == std::process::id() && pool.idle.len() < self.config.pool_size {
            pool.idle.push(con);
        }
    }

    fn lookup(&self, key: &str) -> Result<Option<UserStorageRecord>, String> {
        if self.down_until_ms.load(Ordering::Relaxed) > self.now_ms() {
            return Err(format!(
                "Redis at {} failed recently; retrying within {RETRY_INTERVAL:?}",
                self.info.addr
            ));
        }
        let reply: Option<Vec<u8>> = match self.run(|con| redis::cmd("GET").arg(key).query(con)) {
            Ok(r) => r,
            Err(e) => {
                self.failed("GET", &e);
                return Err(format!("Redis GET {key}: {e}"));
            }
        };
        self.succeeded();
        let Some(bytes) = reply else {
            return Ok(None);
        };
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("Redis key {key} does not hold a JSON record: {e}"))?;
        Ok(UserStorageRecord::from_json(&value))
    }

    /// The queue of this process (a forked child drops the parent's: those are the parent's to send).
    fn queue(&self) -> MutexGuard<'_, Queue> {
        let mut q = lock(&self.queue);
        let pid = std::process::id();
        if q.pid != pid {
            *q = Queue {
                pid,
                ..Queue::default()
            };
            self.queued.store(0, Ordering::Relaxed);
        }
        q
    }
}

impl UserStorage for RedisUserStorage {
    fn get(&self, user_id: &str, campaign_key: &str) -> Result<Option<UserStorageRecord>, String> {
        let sh = &self.shared;
        let key = redis_key(&sh.config.key_prefix, campaign_key, user_id);
        if sh.queued.load(Ordering::Relaxed) > 0 {
            if let Some(p) = sh.queue().writes.get(&key) {
                Stats::add(&sh.stats.reads, 1);
                Stats::add(&sh.stats.hits, 1);
                return Ok(Some(p.record.clone()));
            }
        }
        sh.stats.read(sh.lookup(&key))
    }

    fn set(&self, record: &UserStorageRecord) -> Result<(), String> {
        let sh = &self.shared;
        let key = redis_key(&sh.config.key_prefix, &record.campaign_key, &record.user_id);
        let value = redis_value(record);
        let mut q = sh.queue();
        if q.closed {
            Stats::add(&sh.stats.writes_dropped, 1);
            return Err("Redis user storage is closed".to_string());
        }
        if !q.writes.contains_key(&key) && q.writes.len() >= sh.config.max_pending_writes {
            Stats::add(&sh.stats.writes_dropped, 1);
            return Err(format!(
                "{} writes already wait for Redis at {}: record of user {} dropped",
                q.writes.len(),
                sh.info.addr,
                record.user_id
            ));
        }
        Stats::add(&sh.stats.writes, 1);
        q.next_seq += 1;
        let seq = q.next_seq;
        q.writes.insert(
            key,
            Pending {
                record: record.clone(),
                value,
                seq,
                attempts: 0,
                not_before: Instant::now(),
            },
        );
        sh.queued.store(q.writes.len(), Ordering::Relaxed);
        let pid = q.pid;
        if q.writer_pid != Some(pid) {
            let shared = self.shared.clone();
            let started = std::thread::Builder::new()
                .name("vwo-redis-writer".into())
                .spawn(move || writer(shared));
            match started {
                Ok(_) => q.writer_pid = Some(pid),
                Err(e) => {
                    return Err(format!("could not start the Redis writer thread: {e}"));
                }
            }
        }
        drop(q);
        sh.changed.notify_all();
        Ok(())
    }

    fn flush(&self, timeout: Duration) -> bool {
        let sh = &self.shared;
        let deadline = Instant::now() + timeout;
        let mut q = sh.queue();
        // Queued writes waiting for a backoff go now: a flush means "try everything once more".
        let now = Instant::now();
        for p in q.writes.values_mut() {
            p.not_before = p.not_before.min(now);
        }
        sh.changed.notify_all();
        loop {
            if q.writes.is_empty() && q.in_flight == 0 {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || q.writer_pid != Some(q.pid) {
                return false;
            }
            q = match sh.changed.wait_timeout(q, left) {
                Ok((g, _)) => g,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    fn counters(&self) -> Option<StorageCounters> {
        let sh = &self.shared;
        let q = sh.queue();
        Some(sh.stats.snapshot((q.writes.len() + q.in_flight) as u64))
    }
}

impl Drop for RedisUserStorage {
    /// Gives queued writes a last, short chance, then stops the writer (what is left is dropped, counted).
    fn drop(&mut self) {
        if self.shared.queued.load(Ordering::Relaxed) > 0 {
            self.flush(self.shared.config.timeout * 3);
        }
        let mut q = self.shared.queue();
        q.closed = true;
        drop(q);
        self.shared.changed.notify_all();
    }
}

/// The writer thread: sends due queued writes as pipelined `SET`s, retries failures with backoff.
fn writer(sh: Arc<Shared>) {
    let pid = std::process::id();
    loop {
        let batch: Vec<(String, String, u64)> = {
            let mut q = lock(&sh.queue);
            loop {
                if q.pid != pid {
                    return; // forked: this thread's process is gone (never happens in the child)
                }
                if q.closed {
                    let left = q.writes.len() as u64;
                    Stats::add(&sh.stats.writes_dropped, left);
                    q.writes.clear();
                    sh.queued.store(0, Ordering::Relaxed);
                    q.writer_pid = None;
                    drop(q);
                    sh.changed.notify_all();
                    return;
                }
                let now = Instant::now();
                let due: Vec<(String, String, u64)> = q
                    .writes
                    .iter()
                    .filter(|(_, p)| p.not_before <= now)
                    .take(WRITE_BATCH)
                    .map(|(k, p)| (k.clone(), p.value.clone(), p.seq))
                    .collect();
                if !due.is_empty() {
                    q.in_flight = due.len();
                    break due;
                }
                let wait = q
                    .writes
                    .values()
                    .map(|p| p.not_before.saturating_duration_since(now))
                    .min()
                    .unwrap_or(Duration::from_secs(3600));
                q = match sh.changed.wait_timeout(q, wait) {
                    Ok((g, _)) => g,
                    Err(poisoned) => poisoned.into_inner().0,
                };
            }
        };
        let result = send(&sh, &batch);
        let mut q = lock(&sh.queue);
        q.in_flight = 0;
        match result {
            Ok(()) => {
                sh.succeeded();
                for (key, _, seq) in &batch {
                    if q.writes.get(key).is_some_and(|p| p.seq == *seq) {
                        q.writes.remove(key);
                    }
                }
                Stats::add(&sh.stats.written, batch.len() as u64);
            }
            Err(e) => {
                sh.failed("SET", &e);
                Stats::add(&sh.stats.write_errors, batch.len() as u64);
                let now = Instant::now();
                let mut dropped = 0u64;
                for (key, _, seq) in &batch {
                    let Some(p) = q.writes.get_mut(key).filter(|p| p.seq == *seq) else {
                        continue;
                    };
                    p.attempts += 1;
                    if p.attempts >= sh.config.write_attempts {
                        q.writes.remove(key);
                        dropped += 1;
                    } else {
                        let backoff = WRITE_BACKOFF
                            .0
                            .saturating_mul(1 << (p.attempts - 1).min(16))
                            .min(WRITE_BACKOFF.1);
                        p.not_before = now + backoff;
                    }
                }
                if dropped > 0 {
                    Stats::add(&sh.stats.writes_dropped, dropped);
                    sh.log(
                        LogLevel::Error,
                        &format!(
                            "user storage: {dropped} records not written to Redis at {} after {} attempts ({e})",
                            sh.info.addr, sh.config.write_attempts
                        ),
                    );
                }
            }
        }
        sh.queued.store(q.writes.len(), Ordering::Relaxed);
        drop(q);
        sh.changed.notify_all();
    }
}

/// One pipeline of `SET key value [EX ttl]`.
fn send(sh: &Shared, batch: &[(String, String, u64)]) -> Result<(), String> {
    let mut pipe = redis::pipe();
    for (key, value, _) in batch {
        let cmd = pipe.cmd("SET").arg(key).arg(value);
        if let Some(ttl) = sh.config.ttl {
            cmd.arg("EX").arg(ttl.as_secs());
        }
        cmd.ignore();
    }
    sh.run(|con| pipe.query::<()>(con))
}

/// Whether a failure is a socket call interrupted by a signal (`EINTR`).
fn interrupted(e: &redis::RedisError) -> bool {
    std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .is_some_and(|io| io.kind() == std::io::ErrorKind::Interrupted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_and_value_are_vwo_python_sdks() {
        let r = UserStorageRecord {
            user_id: "Ashley".into(),
            campaign_key: "AB_1".into(),
            variation_name: "Variation-1".into(),
            goal_identifiers: Some("g1_vwo_g2".into()),
        };
        assert_eq!(redis_key("", "AB_1", "Ashley"), "AB_1:Ashley");
        assert_eq!(
            redis_value(&r),
            r#"{"userId": "Ashley", "campaignKey": "AB_1", "variationName": "Variation-1", "goalIdentifiers": "g1_vwo_g2"}"#
        );
    }

    #[test]
    fn urls_and_bare_hosts() {
        let info = |url: &str| connection_info(&RedisStorageConfig::new(url));
        assert_eq!(
            info("localhost").unwrap().addr.to_string(),
            "localhost:6379"
        );
        assert_eq!(
            info("10.0.0.1:7000").unwrap().addr.to_string(),
            "10.0.0.1:7000"
        );
        assert_eq!(info("redis://h:1/3").unwrap().redis.db, 3);
        assert!(info("http://h").is_err());
        let mut c = RedisStorageConfig::new("redis://a:b@h");
        c.username = Some("u".into());
        let i = connection_info(&c).unwrap();
        assert_eq!(i.redis.username.as_deref(), Some("u"));
        assert_eq!(i.redis.password.as_deref(), Some("b"));
    }
}
