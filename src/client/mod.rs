//! The client: the public APIs (activate, track, …) with vwo-python-sdk's validation and failure values,
//! and their effects — user storage writes, the integrations hook, logging, and building events for the
//! event sink. It owns an atomically swappable settings snapshot: decisions read an immutable snapshot
//! and never wait for a settings refresh.

macro_rules! log_at {
    ($inner:expr, $level:expr, $($arg:tt)*) => {
        if $level >= $inner.log_level {
            $inner.logger.log($level, &format!($($arg)*));
        }
    };
}

mod delivery;
mod options;
mod refresh;
mod variables;

pub use delivery::DeliveryOptions;
pub use options::{
    BatchEventsConfig, CallOptions, Clock, EventSink, FlushCallback, GoalTypeToTrack,
    IntegrationsHook, LaunchOptions, RandomSource, SystemClock, ThreadRandom,
};
pub use refresh::{get_settings_answer, get_settings_file, get_settings_file_with};

use crate::decision::{self, Api, Decision, Reason};
use crate::events::{
    self, CloseReport, Collector, DeliveryCounters, EventContext, EventRequest, FlushReport, Stamp,
    Transport, Visitor,
};
use crate::log::{LogLevel, Logger, StderrLogger};
use crate::settings::{Campaign, CampaignType, GoalType, Id, Settings, Variation};
use crate::storage::{StorageCounters, UserStorage, UserStorageRecord, GOAL_SEPARATOR};
use crate::Error;
use arc_swap::ArcSwap;
pub(crate) use delivery::Delivery;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// The SDK name sent on the wire (`sdk`, `vwo_sdkName`).
pub const SDK_NAME: &str = "libvwo";
/// The library version sent on the wire (`sdk-v`, `vwo_sdkVersion`).
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");
/// VWO's collector.
pub const DEFAULT_BASE_URL: &str = "https://dev.visualwebsiteoptimizer.com";

/// Which campaigns a `track` call converts.
#[derive(Debug, Clone, Copy)]
pub enum TrackCampaigns<'a> {
    /// One campaign key.
    One(&'a str),
    /// A list of campaign keys.
    List(&'a [&'a str]),
    /// Every running campaign that has the goal.
    All,
}

/// Result of `track`: `(campaign key, converted)` per selected campaign, in selection order.
pub type TrackResult = Vec<(String, bool)>;

/// A settings snapshot and what is derived from it for events.
struct Snapshot {
    settings: Settings,
    events: Arc<EventContext>,
}

struct Inner {
    snapshot: ArcSwap<Snapshot>,
    storage: Option<Arc<dyn UserStorage>>,
    logger: Arc<dyn Logger>,
    log_level: LogLevel,
    development_mode: bool,
    goal_type_to_track: GoalTypeToTrack,
    should_track_returning_user: bool,
    batching: bool,
    integrations: Option<Arc<dyn IntegrationsHook>>,
    delivery: Delivery,
    transport: OnceLock<Arc<dyn Transport>>,
    delivery_options: DeliveryOptions,
    polling: Mutex<Option<refresh::Poller>>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
    sdk_name: String,
    base_url: String,
    usage_stats: Vec<(&'static str, String)>,
    opted_out: AtomicBool,
}

/// A VWO client. Cheap to clone (clones share everything); `Send + Sync`: call it from any thread.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

static EMPTY_MAP: once_cell::sync::Lazy<Map<String, Value>> = once_cell::sync::Lazy::new(Map::new);
/// The options of a call given none.
pub(crate) static NO_OPTIONS: once_cell::sync::Lazy<CallOptions> =
    once_cell::sync::Lazy::new(CallOptions::default);

impl Client {
    /// Launches a client from a settings JSON text. Fails with an [`ErrorKind::InvalidSettings`] error
    /// naming the JSON path when the settings are invalid, or [`ErrorKind::InvalidOptions`] for options.
    pub fn launch(settings_json: &str, options: LaunchOptions) -> Result<Client, Error> {
        let settings = Settings::from_json(settings_json)?;
        if let Some(batch) = &options.batch_events {
            batch.validate()?;
        }
        let log_level = options.log_level.unwrap_or(LogLevel::Error);
        let custom_logger = options.logger_is_custom.unwrap_or(options.logger.is_some());
        let logger: Arc<dyn Logger> = options.logger.unwrap_or_else(|| Arc::new(StderrLogger));
        // The host's storage wins over a built-in one: the host asked for both, and its own code is the
        // more specific choice. Said at WARNING so the ignored option does not go unnoticed.
        let user_storage = match (options.user_storage, &options.user_storage_config) {
            (Some(host), Some(_)) => {
                if LogLevel::Warning >= log_level {
                    logger.log(
                        LogLevel::Warning,
                        "launch: the host's user storage (callbacks) takes precedence; the userStorage option is ignored",
                    );
                }
                Some(host)
            }
            (Some(host), None) => Some(host),
            (None, Some(config)) => Some(config.open(logger.clone(), log_level)?),
            (None, None) => None,
        };
        let sdk_name = match options.sdk_name_suffix.as_deref() {
            Some(s) if !s.is_empty() => format!("{SDK_NAME}-{s}"),
            _ => SDK_NAME.to_string(),
        };
        // Usage stats as vwo-python-sdk computes them at launch (none in development mode).
        let mut usage_stats: Vec<(&'static str, String)> = Vec::new();
        if !options.development_mode {
            let flags = [
                ("eb", options.batch_events.is_some()),
                ("ig", options.integrations.is_some()),
                ("ss", user_storage.is_some()),
                ("cl", custom_logger),
                (
                    "ll",
                    options
                        .log_level_is_custom
                        .unwrap_or(options.log_level.is_some()),
                ),
                ("gt", options.goal_type_to_track.is_some()),
            ];
            usage_stats.extend(
                flags
                    .iter()
                    .filter(|(_, on)| *on)
                    .map(|(k, _)| (*k, "1".to_string())),
            );
            if !usage_stats.is_empty() {
                usage_stats.push(("_l", "1".to_string()));
            }
        }
        let base_url = options
            .base_url
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let delivery_options = options.delivery.clone();
        let transport = OnceLock::new();
        let collector = Collector::new(&base_url, settings.collection_prefix.as_deref());
        let delivery = match options.event_sink {
            Some(sink) => Delivery::sink(sink, collector, options.batch_events.as_ref()),
            None => {
                let t = delivery_options.transport()?;
                let _ = transport.set(t.clone());
                Delivery::dispatcher(
                    &delivery_options,
                    collector,
                    t,
                    options.batch_events.as_ref(),
                    logger.clone(),
                    log_level,
                    options.development_mode,
                )?
            }
        };
        let snapshot = snapshot_of(settings, &sdk_name, &usage_stats);
        let inner = Inner {
            snapshot: ArcSwap::from_pointee(snapshot),
            storage: user_storage,
            logger,
            log_level,
            development_mode: options.development_mode,
            goal_type_to_track: options.goal_type_to_track.unwrap_or_default(),
            should_track_returning_user: options.should_track_returning_user,
            batching: options.batch_events.is_some(),
            integrations: options.integrations,
            delivery,
            transport,
            delivery_options,
            polling: Mutex::new(None),
            clock: options.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            random: options.random.unwrap_or_else(|| Arc::new(ThreadRandom)),
            sdk_name,
            base_url,
            usage_stats,
            opted_out: AtomicBool::new(false),
        };
        inner.log_launch(custom_logger);
        let client = Client {
            inner: Arc::new(inner),
        };
        if let Some(interval) = options.polling_interval {
            client.start_polling(interval)?;
        }
        Ok(client)
    }

    /// Replaces the settings atomically. Decisions in flight finish on the old snapshot; an invalid
    /// settings text leaves the current settings in place and returns the error.
    pub fn replace_settings(&self, settings_json: &str) -> Result<(), Error> {
        let settings = Settings::from_json(settings_json)?;
        let collector = Collector::new(&self.inner.base_url, settings.collection_prefix.as_deref());
        self.inner
            .snapshot
            .store(Arc::new(self.inner.snapshot_of(settings)));
        // Events still queued or spooled go to the new settings' collector too.
        self.inner.delivery.set_collector(collector);
        log_at!(self.inner, LogLevel::Info, "settings replaced");
        Ok(())
    }

    /// The JSON text of the current settings.
    pub fn settings_json(&self) -> String {
        self.inner.snapshot.load().settings.source.clone()
    }

    /// The current settings snapshot.
    pub fn with_settings<R>(&self, f: impl FnOnce(&Settings) -> R) -> R {
        f(&self.inner.snapshot.load().settings)
    }

    /// `activate`: decides the variation of a VISUAL_AB campaign and sends an impression the first time.
    /// `None` when the user gets no variation or the call is invalid (logged).
    pub fn activate(
        &self,
        campaign_key: &str,
        user_id: &str,
        options: Option<&CallOptions>,
    ) -> Option<String> {
        self.activate_with(campaign_key, user_id, options, |name| {
            name.map(str::to_owned)
        })
    }

    /// [`Client::activate`] handing the variation name to `f` without allocating (for bindings that
    /// copy it into their own memory).
    pub fn activate_with<R>(
        &self,
        campaign_key: &str,
        user_id: &str,
        options: Option<&CallOptions>,
        f: impl FnOnce(Option<&str>) -> R,
    ) -> R {
        let inner = &*self.inner;
        let options = options.unwrap_or(&NO_OPTIONS);
        let snapshot = inner.snapshot.load();
        let decided = inner.api_decision(
            &snapshot.settings,
            Api::Activate,
            campaign_key,
            user_id,
            options,
            &[CampaignType::VisualAb],
        );
        let Some((campaign, decision, variation)) = decided else {
            return f(None);
        };
        inner
            .impression_unless_tracked(&snapshot, campaign, &decision, variation, user_id, options);
        f(Some(&variation.name))
    }

    /// `get_variation_name`: the variation of a VISUAL_AB or FEATURE_TEST campaign, no event.
    pub fn get_variation_name(
        &self,
        campaign_key: &str,
        user_id: &str,
        options: Option<&CallOptions>,
    ) -> Option<String> {
        self.get_variation_name_with(campaign_key, user_id, options, |name| {
            name.map(str::to_owned)
        })
    }

    /// [`Client::get_variation_name`] handing the variation name to `f` without allocating.
    pub fn get_variation_name_with<R>(
        &self,
        campaign_key: &str,
        user_id: &str,
        options: Option<&CallOptions>,
        f: impl FnOnce(Option<&str>) -> R,
    ) -> R {
        let inner = &*self.inner;
        let options = options.unwrap_or(&NO_OPTIONS);
        let snapshot = inner.snapshot.load();
        let decided = inner.api_decision(
            &snapshot.settings,
            Api::GetVariationName,
            campaign_key,
            user_id,
            options,
            &[CampaignType::VisualAb, CampaignType::FeatureTest],
        );
        f(decided.map(|(_, _, v)| &*v.name))
    }

    /// `is_feature_enabled`: whether the feature of a FEATURE_TEST or FEATURE_ROLLOUT campaign is on for
    /// the user; sends an impression the first time.
    pub fn is_feature_enabled(
        &self,
        campaign_key: &str,
        user_id: &str,
        options: Option<&CallOptions>,
    ) -> bool {
        let inner = &*self.inner;
        let options = options.unwrap_or(&NO_OPTIONS);
        let snapshot = inner.snapshot.load();
        let decided = inner.api_decision(
            &snapshot.settings,
            Api::IsFeatureEnabled,
            campaign_key,
            user_id,
            options,
            &[CampaignType::FeatureTest, CampaignType::FeatureRollout],
        );
        let Some((campaign, decision, variation)) = decided else {
            return false;
        };
        inner
            .impression_unless_tracked(&snapshot, campaign, &decision, variation, user_id, options);
        let enabled = campaign.kind == CampaignType::FeatureRollout || variation.is_feature_enabled;
        log_at!(
            inner,
            LogLevel::Info,
            "[is_feature_enabled] feature {} is {} for user {user_id}",
            campaign.key,
            if enabled { "enabled" } else { "disabled" }
        );
        enabled
    }

    /// `get_feature_variable_value`: the value of a feature variable for the user, cast to its declared
    /// type as vwo-python-sdk casts it. `None` when not found or not castable.
    pub fn get_feature_variable_value(
        &self,
        campaign_key: &str,
        variable_key: &str,
        user_id: &str,
        options: Option<&CallOptions>,
    ) -> Option<Value> {
        let inner = &*self.inner;
        let options = options.unwrap_or(&NO_OPTIONS);
        if variable_key.is_empty() {
            log_at!(
                inner,
                LogLevel::Error,
                "[get_feature_variable_value] variable_key must be a non-empty string"
            );
            return None;
        }
        let snapshot = inner.snapshot.load();
        let (campaign, _, variation) = inner.api_decision(
            &snapshot.settings,
            Api::GetFeatureVariableValue,
            campaign_key,
            user_id,
            options,
            &[CampaignType::FeatureTest, CampaignType::FeatureRollout],
        )?;
        let variables = if campaign.kind == CampaignType::FeatureRollout {
            &campaign.variables
        } else if variation.is_feature_enabled {
            &variation.variables
        } else {
            // A disabled variation of a feature test serves the control's values.
            &campaign
                .variations
                .iter()
                .find(|v| v.id.is_one())?
                .variables
        };
        let Some(variable) = variables.iter().find(|v| v.key == variable_key) else {
            log_at!(
                inner,
                LogLevel::Error,
                "[get_feature_variable_value] variable {variable_key} not found in campaign {}",
                campaign.key
            );
            return None;
        };
        let value = variables::cast(&variable.kind, &variable.value);
        if value.is_none() {
            log_at!(inner, LogLevel::Error, "[get_feature_variable_value] value of variable {variable_key} cannot be cast to {}", variable.kind);
        }
        value
    }

    /// `track`: converts `goal_identifier` for the user in the selected campaigns. `None` when the call
    /// is invalid or (single key) the campaign does not exist, is not running or lacks the goal.
    pub fn track(
        &self,
        campaigns: TrackCampaigns<'_>,
        user_id: &str,
        goal_identifier: &str,
        options: Option<&CallOptions>,
    ) -> Option<TrackResult> {
        let options = options.unwrap_or(&NO_OPTIONS);
        self.track_with_revenue(
            campaigns,
            user_id,
            goal_identifier,
            options,
            options.revenue_value.as_ref(),
        )
    }

    /// [`Client::track`] with the revenue given apart from the other options (`options.revenue_value`
    /// is not read): the C ABI finds a profile's options in its cache and adds each call's revenue.
    pub(crate) fn track_with_revenue(
        &self,
        campaigns: TrackCampaigns<'_>,
        user_id: &str,
        goal_identifier: &str,
        options: &CallOptions,
        revenue: Option<&Value>,
    ) -> Option<TrackResult> {
        let inner = &*self.inner;
        if inner.opted_out() {
            return None;
        }
        if user_id.is_empty() || goal_identifier.is_empty() {
            log_at!(
                inner,
                LogLevel::Error,
                "[track] user_id and goal_identifier must be non-empty strings"
            );
            return None;
        }
        if let Some(r) = revenue {
            if !(r.is_number() || r.is_string() || r.is_boolean()) {
                log_at!(
                    inner,
                    LogLevel::Error,
                    "[track] revenue_value must be a number, string or boolean"
                );
                return None;
            }
        }
        let goal_type = options
            .goal_type_to_track
            .unwrap_or(inner.goal_type_to_track);
        let snapshot = inner.snapshot.load();
        let settings = &snapshot.settings;

        // Selection (spec §1.7, Python; policy D2 for "all").
        let mut selected: Vec<&Campaign> = Vec::new();
        match campaigns {
            TrackCampaigns::One(key) => {
                let c = inner.running_campaign(settings, Api::Track, key)?;
                if c.goal(goal_identifier).is_none() {
                    log_at!(
                        inner,
                        LogLevel::Error,
                        "[track] goal {goal_identifier} not found in campaign {key}"
                    );
                    return None;
                }
                selected.push(c);
            }
            TrackCampaigns::List(keys) => {
                for key in keys {
                    if let Some(c) = settings.campaign(key).filter(|c| c.is_running()) {
                        if !selected.iter().any(|s| std::ptr::eq(*s, c)) {
                            selected.push(c);
                        }
                    }
                }
            }
            TrackCampaigns::All => {
                selected.extend(
                    settings
                        .campaigns
                        .iter()
                        .filter(|c| c.is_running() && c.goal(goal_identifier).is_some()),
                );
            }
        }
        if selected.is_empty() {
            log_at!(
                inner,
                LogLevel::Error,
                "[track] no running campaign to track goal {goal_identifier} in"
            );
            // vwo-python-sdk answers a list naming no running campaign (or an empty one) with {}, and
            // the "all campaigns" form with None.
            return matches!(campaigns, TrackCampaigns::List(_)).then(Vec::new);
        }

        let arch = settings.is_event_arch_enabled && !inner.batching;
        let mut result: TrackResult = Vec::with_capacity(selected.len());
        let mut metrics: Vec<(Id, Id)> = Vec::new();
        let mut revenue_props: Vec<(String, Value)> = Vec::new();
        let mut uuid: Option<String> = None;
        for campaign in selected {
            let tracked = inner.track_one(
                &snapshot,
                campaign,
                user_id,
                goal_identifier,
                goal_type,
                options,
                revenue,
                arch,
                &mut uuid,
                &mut metrics,
                &mut revenue_props,
            );
            result.push((campaign.key.clone(), tracked));
        }
        if arch && !metrics.is_empty() {
            let uuid = uuid.get_or_insert_with(|| {
                events::visitor_uuid_in(&settings.visitor_namespace, user_id)
            });
            let visitor = Visitor {
                uuid,
                user_agent: options.user_agent.as_deref(),
                user_ip: options.user_ip_address.as_deref(),
            };
            let request = events::arch_goal(
                &snapshot.events,
                &visitor,
                goal_identifier,
                &metrics,
                &revenue_props,
                options.event_properties.as_ref(),
                inner.stamp(),
            );
            inner.deliver(request);
        }
        Some(result)
    }

    /// `push` of one custom dimension. Key and value at most 255 characters.
    pub fn push(&self, tag_key: &str, tag_value: &str, user_id: &str) -> bool {
        let inner = &*self.inner;
        if inner.opted_out() {
            return false;
        }
        if tag_key.is_empty()
            || tag_value.is_empty()
            || user_id.is_empty()
            || tag_key.chars().count() > 255
            || tag_value.chars().count() > 255
        {
            log_at!(inner, LogLevel::Error, "[push] tag_key, tag_value and user_id must be non-empty strings, tag_key and tag_value at most 255 characters");
            return false;
        }
        inner.push_dimensions(&[(tag_key.to_string(), Value::from(tag_value))], user_id)
    }

    /// `push` of several custom dimensions at once (vwo-python-sdk's `push(custom_dimension_map, user_id)`).
    pub fn push_map(&self, dimensions: &Map<String, Value>, user_id: &str) -> bool {
        let inner = &*self.inner;
        if inner.opted_out() {
            return false;
        }
        if user_id.is_empty() || dimensions.is_empty() {
            log_at!(
                inner,
                LogLevel::Error,
                "[push] user_id must be a non-empty string and the map non-empty"
            );
            return false;
        }
        let dims: Vec<(String, Value)> = dimensions
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        inner.push_dimensions(&dims, user_id)
    }

    /// `set_opt_out`: from now on every API returns its failure value and nothing is sent. Events queued
    /// for batching are flushed first.
    pub fn set_opt_out(&self) -> bool {
        self.flush_events();
        self.inner.opted_out.store(true, Ordering::SeqCst);
        log_at!(
            self.inner,
            LogLevel::Info,
            "opted out: every API returns its failure value from now on"
        );
        true
    }

    /// Whether [`Client::set_opt_out`] was called.
    pub fn is_opted_out(&self) -> bool {
        self.inner.opted_out()
    }

    /// `flush_events`: sends every queued event now and waits until everything accepted before the call
    /// is delivered or has definitively failed, or the flush timeout of [`DeliveryOptions`] passes (see
    /// [`Client::flush`] for the report). Returns whether event batching is on, as vwo-python-sdk does.
    pub fn flush_events(&self) -> bool {
        if let Some(report) = self.inner.delivery.flush(None) {
            if !report.completed {
                log_at!(
                    self.inner,
                    LogLevel::Warning,
                    "flush_events: {} events still undelivered after {:?}",
                    report.outstanding,
                    report.waited
                );
            }
        }
        self.inner.batching
    }

    /// Sends every queued event and waits up to `timeout` for everything accepted before the call to be
    /// delivered or definitively failed. `None` when events go to a host [`EventSink`] (queued batches
    /// are handed to it).
    pub fn flush(&self, timeout: Duration) -> Option<FlushReport> {
        self.inner.delivery.flush(Some(timeout))
    }

    /// Stops settings polling, flushes with a bound of `timeout` and stops the event thread. API calls
    /// keep deciding afterwards, but their events are refused (and counted as dropped). Dropping the
    /// last clone of a client closes it with [`DeliveryOptions::close_timeout`].
    pub fn close(&self, timeout: Duration) -> Option<CloseReport> {
        self.stop_polling();
        let started = std::time::Instant::now();
        if let Some(storage) = &self.inner.storage {
            if !storage.flush(timeout) {
                log_at!(
                    self.inner,
                    LogLevel::Warning,
                    "close: user storage writes still pending after {timeout:?}"
                );
            }
        }
        self.inner
            .delivery
            .close(timeout.saturating_sub(started.elapsed()))
    }

    /// Waits up to `timeout` for user-storage writes accepted before the call to reach the store (the
    /// Redis store writes in the background); `true` when none is left pending, or without storage.
    pub fn flush_storage(&self, timeout: Duration) -> bool {
        self.inner.storage.as_ref().is_none_or(|s| s.flush(timeout))
    }

    /// What the user storage did since launch (lookups, hits, failures, writes, retries, drops);
    /// `None` without a user storage or with a host storage that does not count.
    pub fn storage_counters(&self) -> Option<StorageCounters> {
        self.inner.storage.as_ref().and_then(|s| s.counters())
    }

    /// Delivery counters (accepted, delivered, retried, failed, dropped, spooled, in flight); `None` when
    /// events go to a host [`EventSink`].
    pub fn delivery_counters(&self) -> Option<DeliveryCounters> {
        self.inner.delivery.counters()
    }
}

impl Inner {
    fn snapshot_of(&self, settings: Settings) -> Snapshot {
        snapshot_of(settings, &self.sdk_name, &self.usage_stats)
    }

    /// The messages of a successful launch, at vwo-python-sdk 1.68.2's levels and in its order (the
    /// texts are libvwo's): the custom logger (DEBUG), valid arguments and settings (DEBUG), each
    /// variation's bucket range (INFO, one per variation of every campaign), the settings processed
    /// (DEBUG), development mode (DEBUG) and the client ready (DEBUG).
    fn log_launch(&self, custom_logger: bool) {
        if LogLevel::Info < self.log_level {
            return;
        }
        let snapshot = self.snapshot.load();
        let campaigns = &snapshot.settings.campaigns;
        if custom_logger {
            log_at!(self, LogLevel::Debug, "[launch] custom logger used");
        }
        log_at!(
            self,
            LogLevel::Debug,
            "[launch] launch arguments and settings file are valid"
        );
        for c in campaigns {
            for v in &c.variations {
                log_at!(
                    self,
                    LogLevel::Info,
                    "[launch] campaign {}: variation {} with weight {} has the bucket range {} - {}",
                    c.key,
                    v.name,
                    v.weight,
                    v.range_start,
                    v.range_end
                );
            }
        }
        log_at!(
            self,
            LogLevel::Debug,
            "[launch] settings file processed: {} campaigns",
            campaigns.len()
        );
        if self.development_mode {
            log_at!(
                self,
                LogLevel::Debug,
                "[launch] development mode is on: no event is sent"
            );
        }
        log_at!(self, LogLevel::Debug, "[launch] SDK initialized");
    }

    fn opted_out(&self) -> bool {
        self.opted_out.load(Ordering::Relaxed)
    }

    fn running_campaign<'s>(
        &self,
        settings: &'s Settings,
        api: Api,
        key: &str,
    ) -> Option<&'s Campaign> {
        match settings.campaign(key) {
            None => {
                log_at!(
                    self,
                    LogLevel::Error,
                    "[{}] campaign {key} not found in settings",
                    api.as_str()
                );
                None
            }
            Some(c) if !c.is_running() => {
                log_at!(
                    self,
                    LogLevel::Error,
                    "[{}] campaign {key} is not RUNNING (status {})",
                    api.as_str(),
                    c.status
                );
                None
            }
            Some(c) => Some(c),
        }
    }

    /// Common validation: opt-out, non-empty key and user, campaign found, running, of an accepted type.
    fn api_campaign<'s>(
        &self,
        settings: &'s Settings,
        api: Api,
        campaign_key: &str,
        user_id: &str,
        types: &[CampaignType],
    ) -> Option<&'s Campaign> {
        if self.opted_out() {
            return None;
        }
        if campaign_key.is_empty() || user_id.is_empty() {
            log_at!(
                self,
                LogLevel::Error,
                "[{}] campaign_key and user_id must be non-empty strings",
                api.as_str()
            );
            return None;
        }
        let campaign = self.running_campaign(settings, api, campaign_key)?;
        if !types.contains(&campaign.kind) {
            log_at!(
                self,
                LogLevel::Error,
                "[{}] API is not valid for campaign {campaign_key} of type {} for user {user_id}",
                api.as_str(),
                campaign.kind.as_str()
            );
            return None;
        }
        Some(campaign)
    }

    /// The common path of the deciding APIs: validation, the campaign (running, of a type in `types`),
    /// the multi-armed-bandit check for the APIs that activate, and the decision. `None` when any step
    /// fails (logged) or no variation was decided.
    #[allow(clippy::type_complexity)]
    fn api_decision<'s>(
        &self,
        settings: &'s Settings,
        api: Api,
        campaign_key: &str,
        user_id: &str,
        options: &CallOptions,
        types: &[CampaignType],
    ) -> Option<(&'s Campaign, Decision<'s>, &'s Variation)> {
        let campaign = self.api_campaign(settings, api, campaign_key, user_id, types)?;
        if matches!(api, Api::Activate | Api::IsFeatureEnabled) && !self.mab_ok(campaign, api) {
            return None;
        }
        let decision = self.decide(settings, campaign, user_id, options, api, None);
        let variation = decision.variation?;
        Some((campaign, decision, variation))
    }

    /// The impression of an activating API, unless user storage says the user was already tracked
    /// (a whitelisted user always gets one), as vwo-python-sdk does.
    fn impression_unless_tracked(
        &self,
        snapshot: &Snapshot,
        campaign: &Campaign,
        decision: &Decision<'_>,
        variation: &Variation,
        user_id: &str,
        options: &CallOptions,
    ) {
        if decision.stored.is_none() || decision.reason == Reason::Whitelisted {
            self.send_impression(snapshot, campaign, variation, user_id, options);
        } else {
            log_at!(
                self,
                LogLevel::Info,
                "user {user_id} was already tracked in campaign {}: no impression sent",
                campaign.key
            );
        }
    }

    fn mab_ok(&self, campaign: &Campaign, api: Api) -> bool {
        if campaign.is_mab && self.storage.is_none() {
            log_at!(
                self,
                LogLevel::Error,
                "[{}] campaign {} is a multi-armed bandit and needs a user storage",
                api.as_str(),
                campaign.key
            );
            return false;
        }
        true
    }

    /// Runs a decision, logs it, writes user storage after a fresh bucketing and fires the hook.
    fn decide<'s>(
        &self,
        settings: &'s Settings,
        campaign: &'s Campaign,
        user_id: &str,
        options: &CallOptions,
        api: Api,
        goal_identifier: Option<&str>,
    ) -> Decision<'s> {
        let custom_variables = options.custom_variables.as_ref().unwrap_or(&EMPTY_MAP);
        let vt = options
            .variation_targeting_variables
            .as_ref()
            .unwrap_or(&EMPTY_MAP);
        let decision = decision::decide(&decision::Input {
            settings,
            campaign,
            user_id,
            custom_variables,
            variation_targeting_variables: vt,
            api,
            storage: self.storage.as_deref(),
        });
        if let Some(e) = &decision.storage_error {
            log_at!(
                self,
                LogLevel::Error,
                "[{}] user storage failed for user {user_id}: {e}",
                api.as_str()
            );
        }
        log_at!(
            self,
            LogLevel::Info,
            "[{}] user {user_id} in campaign {}: {} ({})",
            api.as_str(),
            campaign.key,
            decision
                .variation
                .map(|v| &*v.name)
                .unwrap_or("no variation"),
            decision.reason.as_str()
        );
        let Some(variation) = decision.variation else {
            return decision;
        };
        // A track call for a stored user whose goal was already converted fires no hook (its decision is
        // "none"); that call skips the storage write here and handles it itself.
        if decision.reason == Reason::Bucketed {
            if let Some(storage) = &self.storage {
                let record = UserStorageRecord {
                    user_id: user_id.to_string(),
                    campaign_key: campaign.key.clone(),
                    variation_name: variation.name.to_string(),
                    goal_identifiers: None,
                };
                if let Err(e) = storage.set(&record) {
                    log_at!(
                        self,
                        LogLevel::Error,
                        "[{}] user storage set failed for user {user_id}: {e}",
                        api.as_str()
                    );
                }
            }
        }
        if api != Api::Track || decision.reason != Reason::FromStorage {
            self.fire_hook(
                settings,
                campaign,
                variation,
                &decision,
                user_id,
                options,
                api,
                goal_identifier,
            );
        }
        decision
    }

    #[allow(clippy::too_many_arguments)]
    fn fire_hook(
        &self,
        settings: &Settings,
        campaign: &Campaign,
        variation: &Variation,
        decision: &Decision<'_>,
        user_id: &str,
        options: &CallOptions,
        api: Api,
        goal_identifier: Option<&str>,
    ) {
        let Some(hook) = &self.integrations else {
            return;
        };
        // Keys and their order as vwo-python-sdk's hook payload.
        let mut p = Map::new();
        p.insert("campaign_id".into(), campaign.id.to_json());
        p.insert(
            "campaign_name".into(),
            campaign
                .name
                .as_deref()
                .map(Value::from)
                .unwrap_or(Value::Null),
        );
        p.insert("campaign_key".into(), Value::from(campaign.key.as_str()));
        p.insert("campaign_type".into(), Value::from(campaign.kind.as_str()));
        p.insert(
            "custom_variables".into(),
            options
                .custom_variables
                .clone()
                .map(Value::Object)
                .unwrap_or(Value::Null),
        );
        p.insert("event".into(), Value::from("CAMPAIGN_DECISION"));
        p.insert(
            "goal_identifier".into(),
            goal_identifier.map(Value::from).unwrap_or(Value::Null),
        );
        p.insert(
            "is_forced_variation_enabled".into(),
            Value::from(campaign.is_forced_variation_enabled),
        );
        p.insert("sdk_version".into(), Value::from(SDK_VERSION));
        p.insert("source".into(), Value::from(api.as_str()));
        p.insert("user_id".into(), Value::from(user_id));
        let vt = options.variation_targeting_variables.clone().map(|mut vt| {
            if campaign.is_forced_variation_enabled {
                vt.insert("_vwo_user_id".into(), Value::from(user_id));
            }
            Value::Object(vt)
        });
        p.insert(
            "variation_targeting_variables".into(),
            vt.unwrap_or(Value::Null),
        );
        p.insert(
            "vwo_user_id".into(),
            Value::from(events::visitor_uuid_in(
                &settings.visitor_namespace,
                user_id,
            )),
        );
        if let Some(group) = decision.group {
            p.insert("group_id".into(), group.id.to_json());
            p.insert(
                "group_name".into(),
                group
                    .name
                    .as_deref()
                    .map(Value::from)
                    .unwrap_or(Value::Null),
            );
            p.insert("group_algo".into(), Value::from(group.et));
        }
        p.insert(
            "from_user_storage_service".into(),
            Value::from(decision.reason == Reason::FromStorage),
        );
        p.insert(
            "is_user_whitelisted".into(),
            Value::from(decision.reason == Reason::Whitelisted),
        );
        match campaign.kind {
            CampaignType::FeatureRollout => {
                p.insert("is_feature_enabled".into(), Value::from(true));
            }
            CampaignType::FeatureTest => {
                p.insert(
                    "is_feature_enabled".into(),
                    Value::from(variation.is_feature_enabled),
                );
                p.insert("variation_id".into(), variation.id.to_json());
                p.insert("variation_name".into(), Value::from(&*variation.name));
            }
            _ => {
                p.insert("variation_id".into(), variation.id.to_json());
                p.insert("variation_name".into(), Value::from(&*variation.name));
            }
        }
        hook.on_decision(&p);
    }

    fn stamp(&self) -> Stamp {
        Stamp {
            random: self.random.random(),
            unix_ms: self.clock.unix_ms(),
        }
    }

    /// Whether API calls build events: always outside development mode; in development mode only when
    /// libvwo's dispatcher will log them at DEBUG (a host sink gets nothing in development mode).
    fn sends_events(&self) -> bool {
        !self.development_mode
            || (self.delivery.is_dispatcher() && self.log_level <= LogLevel::Debug)
    }

    fn deliver(&self, request: EventRequest) {
        if let Err(e) = self.delivery.deliver(request) {
            log_at!(
                self,
                LogLevel::Error,
                "event not accepted for delivery: {e}"
            );
        }
    }

    fn enqueue(&self, snapshot: &Snapshot, event: events::RenderedEvent) {
        if let Err(e) = self.delivery.enqueue(&snapshot.events, event) {
            log_at!(
                self,
                LogLevel::Error,
                "batch event not accepted for delivery: {e}"
            );
        }
    }

    fn send_impression(
        &self,
        snapshot: &Snapshot,
        campaign: &Campaign,
        variation: &Variation,
        user_id: &str,
        options: &CallOptions,
    ) {
        if !self.sends_events() {
            return;
        }
        let uuid = events::visitor_uuid_in(&snapshot.settings.visitor_namespace, user_id);
        let visitor = Visitor {
            uuid: &uuid,
            user_agent: options.user_agent.as_deref(),
            user_ip: options.user_ip_address.as_deref(),
        };
        let stamp = self.stamp();
        if self.batching {
            self.enqueue(
                snapshot,
                events::batch_track_user(&visitor, &campaign.id, &variation.id, stamp),
            );
        } else if snapshot.settings.is_event_arch_enabled {
            let request = events::arch_variation_shown(
                &snapshot.events,
                &visitor,
                &campaign.id,
                &variation.id,
                options.custom_properties.as_ref(),
                stamp,
            );
            self.deliver(request);
        } else {
            self.deliver(events::track_user(
                &snapshot.events,
                &visitor,
                &campaign.id,
                &variation.id,
                stamp,
            ));
        }
    }

    /// One campaign of a `track` call (spec §1.5–1.7, §6.2, §7.4–7.6). Returns whether it converted.
    #[allow(clippy::too_many_arguments)]
    fn track_one(
        &self,
        snapshot: &Snapshot,
        campaign: &Campaign,
        user_id: &str,
        goal_identifier: &str,
        goal_type: GoalTypeToTrack,
        options: &CallOptions,
        revenue: Option<&Value>,
        arch: bool,
        uuid: &mut Option<String>,
        metrics: &mut Vec<(Id, Id)>,
        revenue_props: &mut Vec<(String, Value)>,
    ) -> bool {
        let settings = &snapshot.settings;
        if campaign.kind == CampaignType::FeatureRollout {
            log_at!(
                self,
                LogLevel::Error,
                "[track] API is not valid for campaign {} of type FEATURE_ROLLOUT",
                campaign.key
            );
            return false;
        }
        let Some(goal) = campaign.goal(goal_identifier) else {
            log_at!(
                self,
                LogLevel::Error,
                "[track] goal {goal_identifier} not found in campaign {}",
                campaign.key
            );
            return false;
        };
        let type_ok = match goal_type {
            GoalTypeToTrack::All => true,
            GoalTypeToTrack::Custom => goal.kind == GoalType::Custom,
            GoalTypeToTrack::Revenue => goal.kind == GoalType::Revenue,
        };
        if !type_ok {
            log_at!(
                self,
                LogLevel::Error,
                "[track] goal {goal_identifier} of campaign {} is not of the type to track",
                campaign.key
            );
            return false;
        }
        // The revenue of a revenue goal: the call's revenue_value, or (event architecture) the goal's
        // revenue property in event_properties.
        let revenue_prop_value = goal
            .revenue_prop
            .as_deref()
            .and_then(|p| options.event_properties.as_ref()?.get(p));
        // Python accepts a revenue only when it is truthy (`val is not None and bool(val)`): 0 and ""
        // are no revenue.
        let has_revenue = revenue.is_some_and(is_truthy);
        if goal.kind == GoalType::Revenue && !has_revenue {
            let ok = if settings.is_event_arch_enabled {
                if goal.mca == Some(-1.0) {
                    goal.revenue_prop.is_none() || revenue_prop_value.is_some()
                } else {
                    revenue_prop_value.is_some()
                }
            } else {
                false
            };
            if !ok {
                log_at!(
                    self,
                    LogLevel::Error,
                    "[track] revenue goal {goal_identifier} of campaign {} needs a revenue_value",
                    campaign.key
                );
                return false;
            }
        }
        if !self.mab_ok(campaign, Api::Track) {
            return false;
        }
        let decision = self.decide(
            settings,
            campaign,
            user_id,
            options,
            Api::Track,
            Some(goal_identifier),
        );
        let Some(variation) = decision.variation else {
            return false;
        };
        if decision.reason == Reason::FromStorage {
            let Some(mut record) = decision.stored.clone() else {
                return false;
            };
            let repeatable = goal.mca == Some(-1.0) || goal.has_props;
            if record.has_goal(goal_identifier) {
                if !repeatable && !self.should_track_returning_user_for(options) {
                    log_at!(self, LogLevel::Info, "[track] goal {goal_identifier} of campaign {} was already tracked for user {user_id}", campaign.key);
                    return false;
                }
            } else {
                record.goal_identifiers = Some(match record.goal_identifiers.take() {
                    Some(g) if !g.is_empty() => format!("{g}{GOAL_SEPARATOR}{goal_identifier}"),
                    _ => goal_identifier.to_string(),
                });
                if let Some(storage) = &self.storage {
                    if let Err(e) = storage.set(&record) {
                        log_at!(
                            self,
                            LogLevel::Error,
                            "[track] user storage set failed for user {user_id}: {e}"
                        );
                    }
                }
            }
            self.fire_hook(
                settings,
                campaign,
                variation,
                &decision,
                user_id,
                options,
                Api::Track,
                Some(goal_identifier),
            );
        }
        if !self.sends_events() {
            return true;
        }
        if arch {
            metrics.push((campaign.id.clone(), goal.id.clone()));
            if let (Some(prop), Some(r)) = (&goal.revenue_prop, revenue) {
                if is_truthy(r) && !revenue_props.iter().any(|(k, _)| k == prop) {
                    revenue_props.push((prop.clone(), r.clone()));
                }
            }
            return true;
        }
        let uuid = uuid
            .get_or_insert_with(|| events::visitor_uuid_in(&settings.visitor_namespace, user_id));
        let visitor = Visitor {
            uuid,
            user_agent: options.user_agent.as_deref(),
            user_ip: options.user_ip_address.as_deref(),
        };
        let revenue = if goal.kind == GoalType::Revenue {
            revenue.or(revenue_prop_value)
        } else {
            None
        };
        let stamp = self.stamp();
        if self.batching {
            self.enqueue(
                snapshot,
                events::batch_track_goal(
                    &visitor,
                    &campaign.id,
                    &variation.id,
                    &goal.id,
                    revenue,
                    stamp,
                ),
            );
        } else {
            self.deliver(events::track_goal(
                &snapshot.events,
                &visitor,
                &campaign.id,
                &variation.id,
                &goal.id,
                revenue,
                stamp,
            ));
        }
        true
    }

    fn should_track_returning_user_for(&self, options: &CallOptions) -> bool {
        options
            .should_track_returning_user
            .unwrap_or(self.should_track_returning_user)
    }

    fn push_dimensions(&self, dims: &[(String, Value)], user_id: &str) -> bool {
        if !self.sends_events() {
            return true;
        }
        let snapshot = self.snapshot.load();
        let uuid = events::visitor_uuid_in(&snapshot.settings.visitor_namespace, user_id);
        let visitor = Visitor {
            uuid: &uuid,
            user_agent: None,
            user_ip: None,
        };
        if self.batching {
            for (k, v) in dims {
                self.enqueue(&snapshot, events::batch_push(&visitor, k, v, self.stamp()));
            }
        } else if snapshot.settings.is_event_arch_enabled {
            self.deliver(events::arch_push(
                &snapshot.events,
                &visitor,
                dims,
                self.stamp(),
            ));
        } else {
            for (k, v) in dims {
                self.deliver(events::push(&snapshot.events, &visitor, k, v, self.stamp()));
            }
        }
        true
    }
}

fn snapshot_of(
    settings: Settings,
    sdk_name: &str,
    usage_stats: &[(&'static str, String)],
) -> Snapshot {
    let events = EventContext {
        account_id: settings.account_id.clone(),
        sdk_key: settings.sdk_key.clone(),
        sdk_name: sdk_name.to_string(),
        sdk_version: SDK_VERSION.to_string(),
        usage_stats: usage_stats.to_vec(),
        shape: crate::events::BatchShape::V1,
    };
    Snapshot {
        settings,
        events: Arc::new(events),
    }
}

/// Python truthiness of a JSON value.
fn is_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let snapshot = self.inner.snapshot.load();
        f.debug_struct("Client")
            .field("account_id", &snapshot.settings.account_id_text)
            .field("campaigns", &snapshot.settings.campaigns.len())
            .field("development_mode", &self.inner.development_mode)
            .finish()
    }
}

const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Client>();
};
