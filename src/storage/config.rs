//! The `userStorage` launch option: which built-in store, and its settings. The JSON is read strictly
//! (an unknown key or a wrong type is an error naming its path, e.g.
//! `options.userStorage.redis.timeoutMs: expected …`) so a binding passes it through untouched.
//! Keys may be camelCase or snake_case (`keyPrefix` or `key_prefix`).

use super::{FileUserStorage, MemoryUserStorage, RedisUserStorage, UserStorage};
use crate::error::describe_json;
use crate::log::{LogLevel, Logger};
use crate::Error;
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A built-in user storage, as the launch option `userStorage` describes it.
#[derive(Debug, Clone, PartialEq)]
pub enum UserStorageConfig {
    /// Redis: one key per (user, campaign), shared by a fleet of servers.
    Redis(RedisStorageConfig),
    /// An embedded LMDB file for the processes of one machine.
    File(FileStorageConfig),
    /// Process memory, optionally bounded.
    Memory {
        /// At most this many records (oldest evicted first); `None`: unbounded.
        max_entries: Option<usize>,
    },
}

/// Settings of the Redis store.
#[derive(Debug, Clone, PartialEq)]
pub struct RedisStorageConfig {
    /// `redis://[user:password@]host[:port][/db]`, or a bare host name (port 6379, db 0), which is what
    /// vwo-python-sdk's `redis_creds["url"]` holds.
    pub url: String,
    /// ACL user name (Redis 6+), overriding the URL's.
    pub username: Option<String>,
    /// Password, overriding the URL's.
    pub password: Option<String>,
    /// Prepended to every key. Empty by default: keys are then vwo-python-sdk's
    /// `"<campaignKey>:<userId>"`, so the two read each other's records.
    pub key_prefix: String,
    /// Expire records this long after their last write (`SET … EX`); `None`: keep them.
    pub ttl: Option<Duration>,
    /// Bound of every read and write on a connection (default 100 ms).
    pub timeout: Duration,
    /// Bound of opening a connection, handshake included (default: `timeout`).
    pub connect_timeout: Duration,
    /// Idle connections kept for reuse (default 16).
    pub pool_size: usize,
    /// Writes waiting for Redis at most; more are dropped and counted (default 100,000).
    pub max_pending_writes: usize,
    /// Attempts per write before it is given up (default 8, backing off from 100 ms to 2 s: ~9 s).
    pub write_attempts: u32,
}

impl RedisStorageConfig {
    /// The defaults for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        RedisStorageConfig {
            url: url.into(),
            username: None,
            password: None,
            key_prefix: String::new(),
            ttl: None,
            timeout: Duration::from_millis(100),
            connect_timeout: Duration::from_millis(100),
            pool_size: 16,
            max_pending_writes: 100_000,
            write_attempts: 8,
        }
    }
}

/// Settings of the embedded file store.
#[derive(Debug, Clone, PartialEq)]
pub struct FileStorageConfig {
    /// A directory (created when missing) holding the LMDB files `data.mdb` and `lock.mdb`.
    pub path: PathBuf,
    /// The largest the data file may grow to, in MiB (default 1024). Writes past it fail and are
    /// counted; the file only takes the disk space its records need.
    pub max_size_mb: usize,
}

impl FileStorageConfig {
    /// The defaults for `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStorageConfig {
            path: path.into(),
            max_size_mb: 1024,
        }
    }
}

/// `(camelCase, snake_case)` spellings of each key.
const REDIS_KEYS: &[(&str, &str)] = &[
    ("url", "url"),
    ("username", "username"),
    ("password", "password"),
    ("keyPrefix", "key_prefix"),
    ("ttlSeconds", "ttl_seconds"),
    ("timeoutMs", "timeout_ms"),
    ("connectTimeoutMs", "connect_timeout_ms"),
    ("poolSize", "pool_size"),
    ("maxPendingWrites", "max_pending_writes"),
    ("writeAttempts", "write_attempts"),
];
const FILE_KEYS: &[(&str, &str)] = &[("path", "path"), ("maxSizeMb", "max_size_mb")];
const MEMORY_KEYS: &[(&str, &str)] = &[("maxEntries", "max_entries")];
const KINDS: &[(&str, &str)] = &[("redis", "redis"), ("file", "file"), ("memory", "memory")];

/// The object at `path` with its keys resolved to their camelCase names; an unknown key or a key
/// given in both spellings is an error naming it.
fn fields<'a>(
    v: &'a Value,
    path: &str,
    known: &[(&'static str, &'static str)],
) -> Result<Vec<(&'static str, String, &'a Value)>, Error> {
    let m: &Map<String, Value> = v.as_object().ok_or_else(|| {
        Error::options(
            path,
            format_args!("expected an object, got {}", describe_json(v)),
        )
    })?;
    let mut out: Vec<(&'static str, String, &Value)> = Vec::new();
    for (k, value) in m {
        let Some((camel, _)) = known.iter().find(|(c, s)| k == c || k == s) else {
            let names: Vec<&str> = known.iter().map(|(c, _)| *c).collect();
            return Err(Error::options(
                &format!("{path}.{k}"),
                format_args!("unknown option (known: {})", names.join(", ")),
            ));
        };
        if out.iter().any(|(c, _, _)| c == camel) {
            return Err(Error::options(
                &format!("{path}.{k}"),
                "given twice (camelCase and snake_case)",
            ));
        }
        if !value.is_null() {
            out.push((camel, format!("{path}.{k}"), value));
        }
    }
    Ok(out)
}

fn string(v: &Value, path: &str) -> Result<String, Error> {
    v.as_str().map(str::to_string).ok_or_else(|| {
        Error::options(
            path,
            format_args!("expected a string, got {}", describe_json(v)),
        )
    })
}

fn positive(v: &Value, path: &str, what: &str) -> Result<u64, Error> {
    v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
        Error::options(
            path,
            format_args!("expected {what} (an integer ≥ 1), got {}", describe_json(v)),
        )
    })
}

fn small(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

impl UserStorageConfig {
    /// Reads `{"redis": {…}}`, `{"file": {…}}` or `{"memory": {…}}` (exactly one). `path` is the
    /// option's name in error messages, e.g. `options.userStorage`.
    pub fn from_json(value: &Value, path: &str) -> Result<UserStorageConfig, Error> {
        let kinds = fields(value, path, KINDS)?;
        let [(kind, kpath, v)] = kinds.as_slice() else {
            return Err(Error::options(
                path,
                "expected exactly one of \"redis\", \"file\" or \"memory\"",
            ));
        };
        match *kind {
            "redis" => Ok(UserStorageConfig::Redis(redis(v, kpath)?)),
            "file" => {
                let mut c = FileStorageConfig::new(PathBuf::new());
                let mut has_path = false;
                for (k, p, v) in fields(v, kpath, FILE_KEYS)? {
                    match k {
                        "path" => {
                            let s = string(v, &p)?;
                            if s.is_empty() {
                                return Err(Error::options(&p, "expected a non-empty path"));
                            }
                            c.path = PathBuf::from(s);
                            has_path = true;
                        }
                        _ => {
                            c.max_size_mb =
                                small(positive(v, &p, "a size in MiB")?).min(usize::MAX >> 21)
                        }
                    }
                }
                if !has_path {
                    return Err(Error::options(&format!("{kpath}.path"), "is required"));
                }
                Ok(UserStorageConfig::File(c))
            }
            _ => {
                let mut max_entries = None;
                for (_, p, v) in fields(v, kpath, MEMORY_KEYS)? {
                    max_entries = Some(small(positive(v, &p, "a number of records")?));
                }
                Ok(UserStorageConfig::Memory { max_entries })
            }
        }
    }

    /// Opens the store. The file store fails here when its file cannot be opened (unreadable,
    /// corrupt, not a directory); Redis never does: a server that is down at launch is retried on use.
    pub(crate) fn open(
        &self,
        logger: Arc<dyn Logger>,
        log_level: LogLevel,
    ) -> Result<Arc<dyn UserStorage>, Error> {
        Ok(match self {
            UserStorageConfig::Memory { max_entries } => {
                Arc::new(MemoryUserStorage::with_max_entries(*max_entries))
            }
            UserStorageConfig::File(c) => Arc::new(FileUserStorage::open(c)?),
            UserStorageConfig::Redis(c) => {
                Arc::new(RedisUserStorage::open(c.clone(), logger, log_level)?)
            }
        })
    }
}

fn redis(v: &Value, path: &str) -> Result<RedisStorageConfig, Error> {
    let mut c = RedisStorageConfig::new("");
    let mut connect_timeout = None;
    for (k, p, v) in fields(v, path, REDIS_KEYS)? {
        match k {
            "url" => c.url = string(v, &p)?,
            "username" => c.username = Some(string(v, &p)?),
            "password" => c.password = Some(string(v, &p)?),
            "keyPrefix" => c.key_prefix = string(v, &p)?,
            "ttlSeconds" => c.ttl = Some(Duration::from_secs(positive(v, &p, "seconds")?)),
            "timeoutMs" => c.timeout = Duration::from_millis(positive(v, &p, "milliseconds")?),
            "connectTimeoutMs" => {
                connect_timeout = Some(Duration::from_millis(positive(v, &p, "milliseconds")?))
            }
            "poolSize" => c.pool_size = small(positive(v, &p, "a number of connections")?),
            "maxPendingWrites" => {
                c.max_pending_writes = small(positive(v, &p, "a number of writes")?)
            }
            _ => {
                c.write_attempts =
                    u32::try_from(positive(v, &p, "a number of attempts")?).unwrap_or(u32::MAX)
            }
        }
    }
    if c.url.is_empty() {
        return Err(Error::options(
            &format!("{path}.url"),
            "is required (e.g. \"redis://127.0.0.1:6379/0\")",
        ));
    }
    c.connect_timeout = connect_timeout.unwrap_or(c.timeout);
    super::redis::connection_info(&c).map_err(|e| Error::options(&format!("{path}.url"), e))?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value) -> String {
        match UserStorageConfig::from_json(&v, "options.userStorage") {
            Ok(c) => panic!("accepted {v}: {c:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn errors_name_the_path() {
        assert_eq!(
            err(json!({"redis": {"url": "redis://h", "timeoutMs": "1"}})),
            "options.userStorage.redis.timeoutMs: expected milliseconds (an integer ≥ 1), got \"1\""
        );
        assert!(err(json!({})).starts_with("options.userStorage: expected exactly one"));
        assert!(err(json!({"redis": {"url": "x"}, "memory": {}}))
            .starts_with("options.userStorage: expected exactly one"));
        assert!(err(json!({"redis": {}})).starts_with("options.userStorage.redis.url: is required"));
        assert!(err(json!({"redis": {"url": "http://h"}}))
            .starts_with("options.userStorage.redis.url:"));
        assert!(err(json!({"file": {"path": "/x", "size": 1}}))
            .starts_with("options.userStorage.file.size: unknown option (known: path, maxSizeMb)"));
        assert!(err(json!({"file": {}})).starts_with("options.userStorage.file.path: is required"));
        assert!(err(json!({"memory": {"maxEntries": 0}}))
            .starts_with("options.userStorage.memory.maxEntries"));
        assert!(err(json!({"memory": {"maxEntries": 1, "max_entries": 2}})).contains("given twice"));
        assert!(err(json!("redis")).starts_with("options.userStorage: expected an object"));
    }

    #[test]
    fn both_spellings_parse() {
        let c = UserStorageConfig::from_json(
            &json!({"redis": {"url": "localhost", "key_prefix": "vwo:", "ttlSeconds": 60,
                               "timeout_ms": 50, "poolSize": 2, "username": "u", "password": "p"}}),
            "options.user_storage",
        )
        .unwrap();
        let UserStorageConfig::Redis(r) = c else {
            panic!("not redis")
        };
        assert_eq!(r.key_prefix, "vwo:");
        assert_eq!(r.ttl, Some(Duration::from_secs(60)));
        assert_eq!(
            (r.timeout, r.connect_timeout),
            (Duration::from_millis(50), Duration::from_millis(50))
        );
        assert_eq!(
            UserStorageConfig::from_json(&json!({"memory": {}}), "o").unwrap(),
            UserStorageConfig::Memory { max_entries: None }
        );
        assert_eq!(
            UserStorageConfig::from_json(&json!({"file": {"path": "/tmp/x", "maxSizeMb": 8}}), "o")
                .unwrap(),
            UserStorageConfig::File(FileStorageConfig {
                path: "/tmp/x".into(),
                max_size_mb: 8
            })
        );
    }
}
