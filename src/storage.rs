//! User storage: the trait a host implements to remember which variation each user got (and which goals
//! they converted on), and the built-in in-memory store. Records follow vwo-python-sdk's shape
//! (`userId`, `campaignKey`, `variationName`, `goalIdentifiers` joined with `_vwo_`).

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;

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
}

/// A user storage in process memory, for a single server or for tests.
#[derive(Debug, Default)]
pub struct MemoryUserStorage {
    records: Mutex<HashMap<(String, String), UserStorageRecord>>,
}

impl MemoryUserStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every record, sorted by user id then campaign key.
    pub fn records(&self) -> Vec<UserStorageRecord> {
        let map = match self.records.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut all: Vec<_> = map.values().cloned().collect();
        all.sort_by(|a, b| (&a.user_id, &a.campaign_key).cmp(&(&b.user_id, &b.campaign_key)));
        all
    }
}

impl UserStorage for MemoryUserStorage {
    fn get(&self, user_id: &str, campaign_key: &str) -> Result<Option<UserStorageRecord>, String> {
        let map = self
            .records
            .lock()
            .map_err(|_| "user storage lock poisoned".to_string())?;
        Ok(map
            .get(&(user_id.to_string(), campaign_key.to_string()))
            .cloned())
    }

    fn set(&self, record: &UserStorageRecord) -> Result<(), String> {
        let mut map = self
            .records
            .lock()
            .map_err(|_| "user storage lock poisoned".to_string())?;
        map.insert(
            (record.user_id.clone(), record.campaign_key.clone()),
            record.clone(),
        );
        Ok(())
    }
}
