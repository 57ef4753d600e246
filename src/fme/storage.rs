//! The FME storage connector (`FME_SPEC.md` §6): the trait a host (or a built-in store) implements, the
//! record the reference reads and writes, and the per-call session the decision reads through (one read
//! per key and user in a call, kept in step with the call's own writes).

use std::cell::RefCell;

use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

use crate::settings::Id;
use crate::Error;

/// A storage connector: `get(feature_key, user_id)` returns the record last `set` for that pair (a JSON
/// object), or `None`; `set(record)` stores a record (its `featureKey` and `userId` say under what).
/// Called on the API caller's thread, with no libvwo lock held. Errors are logged and read as "no
/// record" (`get`) or dropped (`set`), as the reference does.
pub trait FlagStorage: Send + Sync {
    /// The stored record of `(feature_key, user_id)`.
    fn get(&self, feature_key: &str, user_id: &str) -> Result<Option<Value>, Error>;
    /// Stores `record` (keys in the reference's order, absent values `null`).
    fn set(&self, record: &Map<String, Value>) -> Result<(), Error>;
}

/// The fields of a stored record that decisions read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredFlag {
    /// `rolloutId`.
    pub rollout_id: Option<Value>,
    /// `rolloutKey`.
    pub rollout_key: Option<String>,
    /// `rolloutVariationId`.
    pub rollout_variation_id: Option<Value>,
    /// `experimentId`.
    pub experiment_id: Option<Value>,
    /// `experimentKey`.
    pub experiment_key: Option<String>,
    /// `experimentVariationId`.
    pub experiment_variation_id: Option<Value>,
    /// `isInHoldoutId` (or the legacy `holdoutGroupId`).
    pub in_holdout: Vec<Value>,
    /// `notInHoldoutId`.
    pub not_in_holdout: Vec<Value>,
}

fn truthy(v: &Value) -> Option<Value> {
    crate::python::py_truthy(v).then(|| v.clone())
}

impl StoredFlag {
    /// Reads a record as the reference does (any JSON object; other values are "no record").
    pub fn from_value(v: &Value) -> Option<StoredFlag> {
        let o = v.as_object()?;
        let list = |k: &str| match o.get(k) {
            Some(Value::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        let mut in_holdout = list("isInHoldoutId");
        if in_holdout.is_empty() {
            in_holdout = list("holdoutGroupId");
        }
        Some(StoredFlag {
            rollout_id: o.get("rolloutId").and_then(truthy),
            rollout_key: o
                .get("rolloutKey")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            rollout_variation_id: o.get("rolloutVariationId").and_then(truthy),
            experiment_id: o.get("experimentId").and_then(truthy),
            experiment_key: o
                .get("experimentKey")
                .and_then(Value::as_str)
                .map(str::to_owned),
            experiment_variation_id: o
                .get("experimentVariationId")
                .filter(|v| !v.is_null())
                .cloned(),
            in_holdout,
            not_in_holdout: list("notInHoldoutId"),
        })
    }
}

/// A record to write, in the reference's key order.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// `rolloutId`, `rolloutKey`, `rolloutVariationId`.
    pub rollout: Option<(Value, String, Value)>,
    /// `experimentId`, `experimentKey`, `experimentVariationId`.
    pub experiment: Option<(Value, String, Value)>,
    /// `isInHoldoutId` (`null` when `None`).
    pub in_holdout: Option<Vec<Value>>,
    /// `notInHoldoutId` (`null` when `None`).
    pub not_in_holdout: Option<Vec<Value>>,
}

impl Record {
    /// The record's JSON object for `(feature_key, user_id)`.
    pub fn to_map(&self, feature_key: &str, user_id: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("featureKey".into(), Value::from(feature_key));
        m.insert("userId".into(), Value::from(user_id));
        let (rid, rkey, rvid) = match &self.rollout {
            Some((a, b, c)) => (a.clone(), Value::from(b.as_str()), c.clone()),
            None => (Value::Null, Value::Null, Value::Null),
        };
        m.insert("rolloutId".into(), rid);
        m.insert("rolloutKey".into(), rkey);
        m.insert("rolloutVariationId".into(), rvid);
        let (eid, ekey, evid) = match &self.experiment {
            Some((a, b, c)) => (a.clone(), Value::from(b.as_str()), c.clone()),
            None => (Value::Null, Value::Null, Value::Null),
        };
        m.insert("experimentId".into(), eid);
        m.insert("experimentKey".into(), ekey);
        m.insert("experimentVariationId".into(), evid);
        m.insert(
            "isInHoldoutId".into(),
            self.in_holdout.clone().map_or(Value::Null, Value::Array),
        );
        m.insert(
            "notInHoldoutId".into(),
            self.not_in_holdout
                .clone()
                .map_or(Value::Null, Value::Array),
        );
        m
    }
}

/// An id as the record holds it.
pub fn id_json(id: &Id) -> Value {
    id.to_json()
}

/// The storage as one call sees it: reads are made once per key and kept; the call's own writes
/// replace what it read. Without a connector every read is "no record" and writes go nowhere.
pub struct StorageSession<'a> {
    store: Option<&'a dyn FlagStorage>,
    user_id: &'a str,
    on_error: Box<dyn Fn(&str) + 'a>,
    cache: RefCell<FxHashMap<String, Option<StoredFlag>>>,
}

impl<'a> StorageSession<'a> {
    /// A session of `user_id` over `store`; `on_error` logs a connector failure.
    pub fn new(
        store: Option<&'a dyn FlagStorage>,
        user_id: &'a str,
        on_error: impl Fn(&str) + 'a,
    ) -> StorageSession<'a> {
        StorageSession {
            store,
            user_id,
            on_error: Box::new(on_error),
            cache: RefCell::new(FxHashMap::default()),
        }
    }

    /// A session that has no connector.
    pub fn none() -> StorageSession<'static> {
        StorageSession {
            store: None,
            user_id: "",
            on_error: Box::new(|_| {}),
            cache: RefCell::new(FxHashMap::default()),
        }
    }

    /// Whether a connector is attached.
    pub fn is_active(&self) -> bool {
        self.store.is_some()
    }

    /// The user the session reads and writes for.
    pub fn user_id(&self) -> &str {
        self.user_id
    }

    /// The record of `key` for this user.
    pub fn get(&self, key: &str) -> Option<StoredFlag> {
        let store = self.store?;
        if let Some(hit) = self.cache.borrow().get(key) {
            return hit.clone();
        }
        let got = match store.get(key, self.user_id) {
            Ok(v) => v.as_ref().and_then(StoredFlag::from_value),
            Err(e) => {
                (self.on_error)(&format!("Error reading data from storage: {}", e.message()));
                None
            }
        };
        self.cache.borrow_mut().insert(key.to_owned(), got.clone());
        got
    }

    /// Whether a record of `key` exists for this user (`featureId` segments).
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Writes `record` under `key` (rejected, as the reference rejects it, when the key or user is
    /// empty or the record is inconsistent).
    pub fn set(&self, key: &str, record: &Record) {
        let Some(store) = self.store else {
            return;
        };
        let rejected = key.is_empty()
            || self.user_id.is_empty()
            || (record.rollout.is_some() && record.experiment.is_none() && {
                matches!(&record.rollout, Some((_, _, v)) if v.is_null())
            });
        if rejected {
            (self.on_error)("Error storing data in storage: invalid record");
            return;
        }
        let map = record.to_map(key, self.user_id);
        if let Err(e) = store.set(&map) {
            (self.on_error)(&format!("Error storing data in storage: {}", e.message()));
        }
        if let Some(parsed) = StoredFlag::from_value(&Value::Object(map)) {
            self.cache.borrow_mut().insert(key.to_owned(), Some(parsed));
        }
    }
}
