//! How the client's events leave it: through libvwo's [`Dispatcher`] (its own thread, retries, batches
//! on size and time, optional spool) or through a host's [`EventSink`] (each request handed over on
//! the caller's thread; batches built here when full or on flush). The API code only says "deliver this
//! request" or "queue this batch event".

use super::options::{BatchEventsConfig, EventSink};
use crate::events::{
    self, BatchConfig, CloseReport, Collector, DeliveryCounters, Dispatcher, DispatcherConfig,
    EventContext, EventRequest, FlushReport, FullPolicy, HttpTransport, Outgoing, RenderedEvent,
    Transport, TransportConfig,
};
use crate::log::{LogLevel, Logger};
use crate::Error;
use arc_swap::ArcSwap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Delivery settings of [`crate::LaunchOptions::delivery`]. The defaults suit a production server.
#[derive(Clone)]
pub struct DeliveryOptions {
    /// Time to establish a connection (default 5 s).
    pub connect_timeout: Duration,
    /// Time for a whole request (default 10 s).
    pub timeout: Duration,
    /// Proxy URL for every request (default: the `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` variables).
    pub proxy: Option<String>,
    /// Events waiting in memory at most (default 10,000).
    pub queue_capacity: usize,
    /// What an API call does when the queue is full (default: wait up to 100 ms, then drop and count).
    pub when_full: FullPolicy,
    /// Attempts per request, the first included, when given (default: not counted; `max_retry_time`
    /// bounds the retries).
    pub max_attempts: Option<u32>,
    /// No new attempt of a request starts later than this after its first (default 10 min). Retries
    /// back off exponentially from 200 ms to at most 5 s (with jitter), so delivery resumes within
    /// seconds of the collector's return; meanwhile events wait in the queue (`queue_capacity`, past
    /// which new ones are dropped and counted). `close` still returns within its timeout: what is
    /// unsent then is counted failed (or stays in the spool).
    pub max_retry_time: Duration,
    /// Keep accepted events on disk here until delivered, and resend what a previous process left
    /// (default: none). One client at a time per directory: a launch on a directory another client
    /// (of this process or another) holds fails with an options error naming it.
    pub spool_dir: Option<PathBuf>,
    /// How long closing or dropping the client waits for delivery (default 5 s).
    pub close_timeout: Duration,
    /// How long `flush_events` waits (default 10 s).
    pub flush_timeout: Duration,
    /// Replaces the HTTP transport (tests, custom gateways). Settings fetches use it too.
    pub transport: Option<Arc<dyn Transport>>,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        DeliveryOptions {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            proxy: None,
            queue_capacity: 10_000,
            when_full: FullPolicy::Block(Duration::from_millis(100)),
            max_attempts: None,
            max_retry_time: Duration::from_secs(600),
            spool_dir: None,
            close_timeout: Duration::from_secs(5),
            flush_timeout: Duration::from_secs(10),
            transport: None,
        }
    }
}

impl std::fmt::Debug for DeliveryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("proxy", &self.proxy)
            .field("queue_capacity", &self.queue_capacity)
            .field("max_attempts", &self.max_attempts)
            .field("max_retry_time", &self.max_retry_time)
            .field("spool_dir", &self.spool_dir)
            .field("close_timeout", &self.close_timeout)
            .field("flush_timeout", &self.flush_timeout)
            .finish()
    }
}

impl DeliveryOptions {
    /// The transport these options describe.
    pub(crate) fn transport(&self) -> Result<Arc<dyn Transport>, Error> {
        if let Some(t) = &self.transport {
            return Ok(t.clone());
        }
        let config = TransportConfig {
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            proxy: self.proxy.clone(),
            ..TransportConfig::default()
        };
        Ok(Arc::new(HttpTransport::new(config)?))
    }
}

/// Batch events queued for a host sink.
pub(crate) struct SinkBatch {
    config: BatchEventsConfig,
    queue: Mutex<Vec<(Arc<EventContext>, RenderedEvent)>>,
}

pub(crate) enum Delivery {
    Dispatcher {
        dispatcher: Dispatcher,
        flush_timeout: Duration,
    },
    Sink {
        sink: Arc<dyn EventSink>,
        batch: Option<SinkBatch>,
        /// Where the sink is told each request goes (the dispatcher keeps its own).
        collector: ArcSwap<Collector>,
    },
}

impl Delivery {
    pub(crate) fn dispatcher(
        options: &DeliveryOptions,
        collector: Collector,
        transport: Arc<dyn Transport>,
        batch: Option<&BatchEventsConfig>,
        logger: Arc<dyn Logger>,
        log_level: LogLevel,
        development_mode: bool,
    ) -> Result<Delivery, Error> {
        let mut config = DispatcherConfig::new(transport);
        config.collector = collector;
        config.batch = batch.map(|b| BatchConfig {
            events_per_request: b.events_per_request,
            request_time_interval: Duration::from_secs_f64(b.request_time_interval),
            flush_callback: b.flush_callback.clone(),
        });
        config.queue_capacity = options.queue_capacity;
        config.when_full = options.when_full;
        config.max_attempts = options.max_attempts;
        config.max_retry_time = options.max_retry_time;
        config.spool_dir = options.spool_dir.clone();
        config.close_timeout = options.close_timeout;
        config.logger = logger;
        config.log_level = log_level;
        config.development_mode = development_mode;
        Ok(Delivery::Dispatcher {
            dispatcher: Dispatcher::new(config)?,
            flush_timeout: options.flush_timeout,
        })
    }

    pub(crate) fn sink(
        sink: Arc<dyn EventSink>,
        collector: Collector,
        batch: Option<&BatchEventsConfig>,
    ) -> Delivery {
        Delivery::Sink {
            sink,
            collector: ArcSwap::from_pointee(collector),
            batch: batch.map(|config| SinkBatch {
                config: config.clone(),
                queue: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Where requests go from now on (new settings may bring another collection prefix).
    pub(crate) fn set_collector(&self, collector: Collector) {
        match self {
            Delivery::Dispatcher { dispatcher, .. } => dispatcher.set_collector(collector),
            Delivery::Sink { collector: c, .. } => {
                if **c.load() != collector {
                    c.store(Arc::new(collector));
                }
            }
        }
    }

    /// Hands one request over. An error means it was not accepted (and was counted, for the dispatcher).
    pub(crate) fn deliver(&self, request: EventRequest) -> Result<(), Error> {
        match self {
            Delivery::Dispatcher { dispatcher, .. } => {
                dispatcher.submit(Outgoing::Request(request))
            }
            Delivery::Sink {
                sink, collector, ..
            } => sink.send(&collector.load().url(&request), &request),
        }
    }

    /// Queues one batch event built for `ctx`.
    pub(crate) fn enqueue(
        &self,
        ctx: &Arc<EventContext>,
        event: RenderedEvent,
    ) -> Result<(), Error> {
        match self {
            Delivery::Dispatcher { dispatcher, .. } => dispatcher.submit(Outgoing::BatchEvent {
                ctx: ctx.clone(),
                event,
            }),
            Delivery::Sink {
                sink,
                batch,
                collector,
            } => {
                let Some(batch) = batch else {
                    // Batching is off: a batch event goes out as a batch of one.
                    let request = events::batch_request(ctx, &[event]);
                    return sink.send(&collector.load().url(&request), &request);
                };
                let full = {
                    let mut q = match batch.queue.lock() {
                        Ok(q) => q,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                    q.push((ctx.clone(), event));
                    if q.len() >= batch.config.events_per_request {
                        Some(std::mem::take(&mut *q))
                    } else {
                        None
                    }
                };
                match full {
                    Some(events) => {
                        send_sink_batches(sink.as_ref(), &collector.load(), batch, events)
                    }
                    None => Ok(()),
                }
            }
        }
    }

    /// Sends what is queued and waits for delivery up to `timeout` (the default flush timeout when
    /// `None`). For a host sink, queued batches are handed over and the report is `None`.
    pub(crate) fn flush(&self, timeout: Option<Duration>) -> Option<FlushReport> {
        match self {
            Delivery::Dispatcher {
                dispatcher,
                flush_timeout,
            } => Some(dispatcher.flush(timeout.unwrap_or(*flush_timeout))),
            Delivery::Sink {
                sink,
                batch,
                collector,
            } => {
                if let Some(batch) = batch {
                    let events = match batch.queue.lock() {
                        Ok(mut q) => std::mem::take(&mut *q),
                        Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
                    };
                    if !events.is_empty() {
                        let _ = send_sink_batches(sink.as_ref(), &collector.load(), batch, events);
                    }
                }
                None
            }
        }
    }

    pub(crate) fn close(&self, timeout: Duration) -> Option<CloseReport> {
        match self {
            Delivery::Dispatcher { dispatcher, .. } => Some(dispatcher.close(timeout)),
            Delivery::Sink { .. } => {
                self.flush(None);
                None
            }
        }
    }

    pub(crate) fn counters(&self) -> Option<DeliveryCounters> {
        match self {
            Delivery::Dispatcher { dispatcher, .. } => Some(dispatcher.counters()),
            Delivery::Sink { .. } => None,
        }
    }

    pub(crate) fn is_dispatcher(&self) -> bool {
        matches!(self, Delivery::Dispatcher { .. })
    }
}

/// Sends queued events to a host sink as batch POSTs, one per run of events built for the same
/// settings snapshot, and reports each batch to the flush callback.
fn send_sink_batches(
    sink: &dyn EventSink,
    collector: &Collector,
    batch: &SinkBatch,
    events: Vec<(Arc<EventContext>, RenderedEvent)>,
) -> Result<(), Error> {
    let mut outcome = Ok(());
    let mut start = 0;
    while start < events.len() {
        let ctx = &events[start].0;
        let end = events[start..]
            .iter()
            .position(|(c, _)| !Arc::ptr_eq(c, ctx))
            .map_or(events.len(), |n| start + n);
        let run: Vec<RenderedEvent> = events[start..end].iter().map(|(_, e)| e.clone()).collect();
        let request = events::batch_request(ctx, &run);
        let sent = sink.send(&collector.url(&request), &request);
        if let Some(cb) = &batch.config.flush_callback {
            cb(sent.as_ref().err(), &run);
        }
        if sent.is_err() {
            outcome = sent;
        }
        start = end;
    }
    outcome
}
