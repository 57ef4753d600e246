//! User storage: the trait a host implements to remember which variation each user got (and which goals
//! they converted on), and the built-in stores: bounded process memory ([`MemoryUserStorage`]), an
//! embedded LMDB file for one machine ([`FileUserStorage`]) and Redis for a fleet ([`RedisUserStorage`]).
//! Records follow vwo-python-sdk's shape (`userId`, `campaignKey`, `variationName`, `goalIdentifiers`
//! joined with `_vwo_`). This module decides nothing: the client calls `get` before bucketing and `set`
//! after it (spec §6); a store only keeps records, counts what it did and reports failures as `Err`.

mod config;
mod file;
mod redis;

pub use config::{FileStorageConfig, RedisStorageConfig, UserStorageConfig};
pub use file::FileUserStorage;
pub use redis::RedisUserStorage;

use serde_json::{Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Separator of the goal identifiers in [`UserStorageRecord::goal_identifiers`].
pub const GOAL_SEPARATOR: &str = "_vwo_";

/// What user storage keeps for one user in one campaign.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserStorageRecord {
    /// The user id.
    pub user_id: String,
    /// The campaign key.
    pub campaign_key: String,
    /// The variation the user got.
    pub variation_name: String,
    /// Goals already converted, joined with `_vwo_`.
    pub goal_identifiers: Option<String>,
}

impl UserStorageRecord {
    /// Whether `goal` is among the converted goals.
    pub fn has_goal(&self, goal: &str) -> bool {
        self.goal_identifiers
            .as_deref()
            .is_some_and(|g| g.split(GOAL_SEPARATOR).any(|x| x == goal))
    }

    /// The record as vwo-python-sdk's dict: `{"userId", "campaignKey", "variationName"[, "goalIdentifiers"]}`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("userId".into(), Value::from(self.user_id.as_str()));
        m.insert(
            "campaignKey".into(),
            Value::from(self.campaign_key.as_str()),
        );
        m.insert(
            "variationName".into(),
            Value::from(self.variation_name.as_str()),
        );
        if let Some(g) = &self.goal_identifiers {
            m.insert("goalIdentifiers".into(), Value::from(g.as_str()));
        }
        Value::Object(m)
    }

    /// Reads a record from vwo-python-sdk's dict shape. Missing string fields read as empty; `None` when
    /// the value is not an object or is an empty one (Python treats an empty dict as "nothing stored").
    pub fn from_json(value: &Value) -> Option<UserStorageRecord> {
        let m = value.as_object().filter(|m| !m.is_empty())?;
        let text = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        Some(UserStorageRecord {
            user_id: text("userId"),
            campaign_key: text("campaignKey"),
            variation_name: text("variationName"),
            goal_identifiers: m
                .get("goalIdentifiers")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }
}

/// A user storage. Calls come from the threads that call the APIs, concurrently; libvwo holds no lock of
/// its own while calling. An `Err` is logged and treated as "nothing stored" (get) or ignored (set), as
/// vwo-python-sdk does.
pub trait UserStorage: Send + Sync {
    /// The record of `user_id` in `campaign_key`, if any.
    fn get(&self, user_id: &str, campaign_key: &str) -> Result<Option<UserStorageRecord>, String>;
    /// Saves a record (replacing the one of the same user and campaign).
    fn set(&self, record: &UserStorageRecord) -> Result<(), String>;
    /// Waits up to `timeout` for writes accepted before the call to reach the store; `true` when
    /// nothing is left pending. Stores that write synchronously have nothing to wait for.
    fn flush(&self, timeout: Duration) -> bool {
        let _ = timeout;
        true
    }
    /// What the store did since it was opened; `None` for stores that do not count (host callbacks).
    fn counters(&self) -> Option<StorageCounters> {
        None
    }
}

/// What a built-in store did since it was opened. Failures never fail a decision: a failed lookup is
/// a decision without a stored record, a failed write is retried (Redis) or reported to the caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StorageCounters {
    /// Lookups asked of the store.
    pub reads: u64,
    /// Lookups that found a record.
    pub hits: u64,
    /// Lookups that failed (timeout, connection refused, unreadable record): decided as "nothing stored".
    pub read_errors: u64,
    /// Records accepted for writing.
    pub writes: u64,
    /// Records the store acknowledged (Redis replied OK; the file store committed to disk).
    pub written: u64,
    /// Write attempts that failed (each failed attempt of a retried write counts).
    pub write_errors: u64,
    /// Writes given up: retries exhausted, too many pending writes, or refused by the store.
    pub writes_dropped: u64,
    /// Writes accepted and not yet acknowledged nor given up.
    pub pending: u64,
    /// Records evicted to stay within the memory store's `max_entries`.
    pub evicted: u64,
}

/// The counters a store updates from many threads.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) reads: AtomicU64,
    pub(crate) hits: AtomicU64,
    pub(crate) read_errors: AtomicU64,
    pub(crate) writes: AtomicU64,
    pub(crate) written: AtomicU64,
    pub(crate) write_errors: AtomicU64,
    pub(crate) writes_dropped: AtomicU64,
    pub(crate) evicted: AtomicU64,
}

impl Stats {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, pending: u64) -> StorageCounters {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StorageCounters {
            reads: get(&self.reads),
            hits: get(&self.hits),
            read_errors: get(&self.read_errors),
            writes: get(&self.writes),
            written: get(&self.written),
            write_errors: get(&self.write_errors),
            writes_dropped: get(&self.writes_dropped),
            pending,
            evicted: get(&self.evicted),
        }
    }

    /// Counts a lookup's outcome and passes it on.
    pub(crate) fn read<T>(&self, result: Result<Option<T>, String>) -> Result<Option<T>, String> {
        Stats::add(&self.reads, 1);
        match &result {
            Ok(Some(_)) => Stats::add(&self.hits, 1),
            Ok(None) => {}
            Err(_) => Stats::add(&self.read_errors, 1),
        }
        result
    }
}

/// Shards of the memory store: decisions on many threads rarely wait for the same lock.
const MEMORY_SHARDS: usize = 16;

#[derive(Debug, Default)]
struct MemoryShard {
    records: HashMap<(String, String), UserStorageRecord>,
    /// Keys in insertion order: the oldest is evicted first when the shard is full.
    order: VecDeque<(String, String)>,
}

/// A user storage in process memory, for a single server or for tests. Optionally bounded: past
/// `max_entries` records the oldest-inserted ones are evicted (and counted), so those users may be
/// bucketed afresh — size it above the number of (user, campaign) pairs that must stay sticky.
#[derive(Debug)]
pub struct MemoryUserStorage {
    shards: Vec<Mutex<MemoryShard>>,
    /// Per shard; `usize::MAX` when unbounded.
    shard_capacity: usize,
    stats: Stats,
}

impl Default for MemoryUserStorage {
    fn default() -> Self {
        MemoryUserStorage::with_max_entries(None)
    }
}

impl MemoryUserStorage {
    /// An empty, unbounded store.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store holding at most `max_entries` records (`None`: unbounded). The bound is kept per
    /// shard (each holds `max_entries / shards`, with one shard per 64 records up to 16 shards), so the
    /// store never holds more than `max_entries` and may evict slightly before when keys hash unevenly.
    pub fn with_max_entries(max_entries: Option<usize>) -> Self {
        let (shards, shard_capacity) = match max_entries {
            Some(n) => {
                let shards = (n / 64).clamp(1, MEMORY_SHARDS);
                (shards, (n / shards).max(1))
            }
            None => (MEMORY_SHARDS, usize::MAX),
        };
        MemoryUserStorage {
            shards: (0..shards)
                .map(|_| Mutex::new(MemoryShard::default()))
                .collect(),
            shard_capacity,
            stats: Stats::default(),
        }
    }

    fn shard(&self, user_id: &str, campaign_key: &str) -> &Mutex<MemoryShard> {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        user_id.hash(&mut h);
        campaign_key.hash(&mut h);
        // The high bits of FxHash are the well-mixed ones.
        &self.shards[(h.finish() >> 60) as usize % self.shards.len()]
    }

    /// Every record, sorted by user id then campaign key.
    pub fn records(&self) -> Vec<UserStorageRecord> {
        let mut all = Vec::new();
        for shard in &self.shards {
            let shard = match shard.lock() {
                Ok(m) => m,
                Err(poisoned) => poisoned.into_inner(),
            };
            all.extend(shard.records.values().cloned());
        }
        all.sort_by(|a, b| (&a.user_id, &a.campaign_key).cmp(&(&b.user_id, &b.campaign_key)));
        all
    }
}

impl UserStorage for MemoryUserStorage {
    fn get(&self, user_id: &str, campaign_key: &str) -> Result<Option<UserStorageRecord>, String> {
        let result = self
            .shard(user_id, campaign_key)
            .lock()
            .map_err(|_| "user storage lock poisoned".to_string())
            .map(|shard| {
                shard
                    .records
                    .get(&(user_id.to_string(), campaign_key.to_string()))
                    .cloned()
            });
        self.stats.read(result)
    }

    fn set(&self, record: &UserStorageRecord) -> Result<(), String> {
        Stats::add(&self.stats.writes, 1);
        let mut shard = self
            .shard(&record.user_id, &record.campaign_key)
            .lock()
            .map_err(|_| "user storage lock poisoned".to_string())?;
        let key = (record.user_id.clone(), record.campaign_key.clone());
        if let Some(old) = shard.records.get_mut(&key) {
            *old = record.clone();
        } else {
            while shard.records.len() >= self.shard_capacity {
                let Some(oldest) = shard.order.pop_front() else {
                    break;
                };
                shard.records.remove(&oldest);
                Stats::add(&self.stats.evicted, 1);
            }
            shard.order.push_back(key.clone());
            shard.records.insert(key, record.clone());
        }
        Stats::add(&self.stats.written, 1);
        Ok(())
    }

    fn counters(&self) -> Option<StorageCounters> {
        Some(self.stats.snapshot(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(user: &str, campaign: &str) -> UserStorageRecord {
        UserStorageRecord {
            user_id: user.into(),
            campaign_key: campaign.into(),
            variation_name: "Control".into(),
            goal_identifiers: None,
        }
    }

    #[test]
    fn memory_store_is_bounded_and_evicts_oldest_first() {
        let s = MemoryUserStorage::with_max_entries(Some(MEMORY_SHARDS * 2));
        for i in 0..1000 {
            s.set(&record(&format!("u{i}"), "c")).unwrap();
        }
        assert!(s.records().len() <= MEMORY_SHARDS * 2);
        assert!(s.get("u999", "c").unwrap().is_some());
        assert!(s.get("u0", "c").unwrap().is_none());
        let c = s.counters().unwrap();
        assert_eq!(c.writes, 1000);
        assert_eq!(c.evicted as usize, 1000 - s.records().len());
        // Updating a stored record neither grows nor evicts.
        let mut r = record("u999", "c");
        r.goal_identifiers = Some("g".into());
        s.set(&r).unwrap();
        assert_eq!(s.get("u999", "c").unwrap(), Some(r));
        assert_eq!(s.counters().unwrap().evicted, c.evicted);
    }

    #[test]
    fn memory_store_never_holds_more_than_max_entries() {
        for max in [1, 2, 5, 63, 64, 100, 1000, 1500, 5000] {
            let s = MemoryUserStorage::with_max_entries(Some(max));
            for i in 0..(3 * max + 10) {
                s.set(&record(&format!("u{i}"), "c")).unwrap();
            }
            let held = s.records().len();
            assert!(held <= max, "max {max}: {held} held");
            // small bounds are exact (one shard); large ones lose at most a little to uneven hashing
            assert!(held * 10 >= max * 7, "max {max}: only {held} held");
        }
        let s = MemoryUserStorage::with_max_entries(Some(2));
        for i in 0..5 {
            s.set(&record(&format!("u{i}"), "c")).unwrap();
        }
        assert_eq!(s.counters().unwrap().evicted, 3);
        assert!(s.get("u4", "c").unwrap().is_some() && s.get("u3", "c").unwrap().is_some());
    }
}
