//! libvwo: the core of the VWO FullStack server-side SDK.
//!
//! A [`Client`] is launched from a settings JSON and decides, locally and in well under a microsecond,
//! which variation of a campaign a user sees — the same variation vwo-python-sdk 1.68.2 gives (see
//! `docs/COMPATIBILITY.md`). Calls that convert or expose users (activate, track, push,
//! is_feature_enabled) build VWO's wire events and hand them to an [`EventSink`].
//!
//! Data flows one way: settings JSON → [`Settings`] (compiled once) → [`decision`] (pure) → [`Client`]
//! (user storage, hooks, logs, events).
//!
//! ```
//! use vwo::{Client, LaunchOptions};
//! let settings = r#"{"accountId": 123456, "sdkKey": "abcdef", "campaigns": [{
//!     "id": 11, "key": "ab_50", "status": "RUNNING", "type": "VISUAL_AB", "percentTraffic": 50,
//!     "goals": [{"id": 201, "identifier": "CUSTOM", "type": "CUSTOM_GOAL"}],
//!     "variations": [{"id": 1, "name": "Control", "weight": 50},
//!                    {"id": 2, "name": "Variation-1", "weight": 50}]}]}"#;
//! let client = Client::launch(settings, LaunchOptions { development_mode: true, ..Default::default() })?;
//! assert_eq!(client.activate("ab_50", "Ashley", None).as_deref(), Some("Variation-1"));
//! # Ok::<(), vwo::Error>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod bucketing;
pub mod client;
pub mod decision;
pub mod error;
pub mod events;
#[allow(unsafe_code)]
pub mod ffi;
#[doc(hidden)]
pub mod fme;
pub mod log;
mod python;
pub mod segmentation;
pub mod settings;
pub mod storage;

pub use client::{
    get_settings_file, get_settings_file_with, BatchEventsConfig, CallOptions, Client,
    DeliveryOptions, EventSink, GoalTypeToTrack, IntegrationsHook, LaunchOptions, TrackCampaigns,
    TrackResult,
};
pub use error::{Error, ErrorKind};
pub use events::{DeliveryCounters, FlushReport, FullPolicy, RenderedEvent};
pub use log::{LogLevel, Logger};
pub use settings::{Id, Settings};
pub use storage::{
    FileStorageConfig, FileUserStorage, MemoryUserStorage, RedisStorageConfig, RedisUserStorage,
    StorageCounters, UserStorage, UserStorageConfig, UserStorageRecord,
};
