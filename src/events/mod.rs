//! Events: the HTTP requests libvwo sends for impressions, conversions and custom dimensions, in the wire
//! format of vwo-python-sdk 1.68.2 (spec §7, policy §2), and the Python-compatible JSON and `str()`
//! renderings they need ([`pyjson`]); their delivery ([`dispatcher`]: queue, batches, retries, with an
//! optional on-disk [`spool`]) over [`transport`] (the only module that speaks HTTP), and the settings
//! fetch ([`fetch`]).

pub mod dispatcher;
pub mod fetch;
pub mod pyjson;
pub mod spool;
pub mod transport;
mod wire;

pub use dispatcher::{
    BatchConfig, CloseReport, DeliveryCounters, Dispatcher, DispatcherConfig, FlushReport,
    FullPolicy, Outgoing,
};
pub use fetch::{fetch_settings, settings_collector, settings_request};
pub use transport::{HttpTransport, Response, Transport, TransportConfig, TransportError};
pub use wire::{
    account_namespace, arch_goal, arch_push, arch_variation_shown, batch_push, batch_request,
    batch_track_goal, batch_track_user, json_list, push, quote_plus_into, track_goal, track_user,
    visitor_uuid, visitor_uuid_in, BatchShape, Collector, EventContext, EventRequest, HttpMethod,
    RenderedEvent, Stamp, Visitor, DEFAULT_BASE_URL, SYNC_VISITOR_PROP, VARIATION_SHOWN,
};
