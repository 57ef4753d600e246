//! The dispatcher: API calls hand it events ([`Dispatcher::submit`], a bounded in-memory queue, never a
//! network wait), and its one background thread sends them: requests one by one in order, batch events
//! as `/server-side/batch-events` POSTs. It retries what can succeed later, splits batches the server
//! finds too large, reports every batch to the flush callback, counts every outcome, and, with a spool
//! directory, keeps every accepted event on disk until its fate is settled.
//!
//! It owns the queue, the thread and the retry policy. It must not build wire formats (that is
//! [`super::wire`]) nor speak HTTP (that is [`super::transport`]).
//!
//! Fork: the thread belongs to the process that started it. A forked child that uses the dispatcher
//! gets a fresh, empty one (and no spool): what was queued before the fork is the parent's to send.

use super::spool::{Spool, SpoolTicket};
use super::transport::{Transport, TransportError};
use super::wire::{
    batch_request, Collector, EventContext, EventRequest, HttpMethod, RenderedEvent,
};
use crate::client::FlushCallback;
use crate::error::{Error, ErrorKind};
use crate::log::{LogLevel, Logger, StderrLogger};
use arc_swap::ArcSwap;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One thing to deliver.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// A request sent on its own (legacy GET, event-architecture POST), in submission order.
    Request(EventRequest),
    /// One event of a `/server-side/batch-events` POST, built with `ctx` (events of different
    /// contexts never share a batch).
    BatchEvent {
        /// The client and settings the event was built for.
        ctx: Arc<EventContext>,
        /// The event (`batch_track_user` and friends).
        event: RenderedEvent,
    },
}

/// What `submit` does when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FullPolicy {
    /// Wait up to this long for room, then drop the event.
    Block(Duration),
    /// Drop the event at once.
    DropNewest,
}

/// Batching of [`Outgoing::BatchEvent`]s.
#[derive(Clone)]
pub struct BatchConfig {
    /// A batch is sent as soon as it holds this many events.
    pub events_per_request: usize,
    /// A partly filled batch is sent this long after its first event was queued (Python's one-shot
    /// timer).
    pub request_time_interval: Duration,
    /// Called on the dispatcher thread after each batch is settled: `(None, events)` when delivered,
    /// `(Some(error), events)` when it failed, once per batch however many pieces a 413 split it into
    /// (a batch whose pieces ended differently: `(None, delivered)`, then `(Some(error), failed)`). No
    /// libvwo lock is held; a panic is caught and logged.
    pub flush_callback: Option<FlushCallback>,
}

impl std::fmt::Debug for BatchConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchConfig")
            .field("events_per_request", &self.events_per_request)
            .field("request_time_interval", &self.request_time_interval)
            .field("flush_callback", &self.flush_callback.is_some())
            .finish()
    }
}

/// Configuration of a [`Dispatcher`]. [`DispatcherConfig::new`] gives the defaults.
#[derive(Clone)]
pub struct DispatcherConfig {
    /// Sends the requests.
    pub transport: Arc<dyn Transport>,
    /// Where requests go (default VWO's collector, no prefix): each request's URL is this collector's
    /// base URL and prefix with the request's path and query, resolved when it is sent (an event
    /// recovered from the spool goes to this dispatcher's collector, not to the one of the process
    /// that spooled it). [`Dispatcher::set_collector`] changes it.
    pub collector: Collector,
    /// Batching of batch events; without it a batch event is sent as a batch of one.
    pub batch: Option<BatchConfig>,
    /// Events waiting in memory at most (default 10,000).
    pub queue_capacity: usize,
    /// What `submit` does when the queue is full (default: wait 100 ms, then drop).
    pub when_full: FullPolicy,
    /// Attempts per request, the first included, when given (default: no count; the retry time
    /// bounds the retries).
    pub max_attempts: Option<u32>,
    /// No new attempt starts later than this after the first (default 10 min): the retry budget is
    /// a time, so that an outage of minutes loses nothing. While one request waits out an outage,
    /// the events behind it wait in the queue, whose capacity bounds the memory used (past it,
    /// `submit` drops, counted).
    pub max_retry_time: Duration,
    /// Backoff before attempt n+1 is `backoff_base · 2^(n-1)`, capped, with jitter (default 200 ms).
    pub backoff_base: Duration,
    /// The largest backoff (default 5 s: delivery resumes within 2.5–5 s of the collector's return);
    /// a longer `Retry-After` (seconds or HTTP date) is honoured all the same.
    pub backoff_cap: Duration,
    /// Keep accepted events on disk here until settled (default none).
    pub spool_dir: Option<PathBuf>,
    /// The spool's size bound on disk (default 64 MiB); past it events are dropped.
    pub spool_max_bytes: u64,
    /// How long dropping the dispatcher waits for delivery (default 5 s).
    pub close_timeout: Duration,
    /// Receives the dispatcher's messages.
    pub logger: Arc<dyn Logger>,
    /// Messages below this level are not built (default ERROR).
    pub log_level: LogLevel,
    /// Send nothing; log at DEBUG what would have been sent; count it delivered.
    pub development_mode: bool,
}

impl DispatcherConfig {
    /// The defaults, sending through `transport`.
    pub fn new(transport: Arc<dyn Transport>) -> DispatcherConfig {
        DispatcherConfig {
            transport,
            collector: Collector::default(),
            batch: None,
            queue_capacity: 10_000,
            when_full: FullPolicy::Block(Duration::from_millis(100)),
            max_attempts: None,
            max_retry_time: Duration::from_secs(600),
            backoff_base: Duration::from_millis(200),
            backoff_cap: Duration::from_secs(5),
            spool_dir: None,
            spool_max_bytes: 64 * 1024 * 1024,
            close_timeout: Duration::from_secs(5),
            logger: Arc::new(StderrLogger),
            log_level: LogLevel::Error,
            development_mode: false,
        }
    }
}

/// A snapshot of the delivery counters (events, not requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeliveryCounters {
    /// Events `submit` accepted.
    pub accepted: u64,
    /// Events found unacknowledged in the spool at start (sent again: possible duplicates).
    pub recovered: u64,
    /// Events the server acknowledged with a 2xx (or development mode swallowed).
    pub delivered: u64,
    /// Re-sends after a failed attempt, counted per event.
    pub retried: u64,
    /// Events that failed for good (rejected, retries exhausted, or still unsent at close).
    pub failed: u64,
    /// Events `submit` refused (queue full, spool full, closed).
    pub dropped: u64,
    /// Events written to the spool.
    pub spooled: u64,
    /// Events accepted or recovered and not yet delivered or failed.
    pub in_flight: u64,
}

/// What [`Dispatcher::flush`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushReport {
    /// Everything submitted before the call was delivered or failed for good.
    pub completed: bool,
    /// Events submitted before the call whose fate was still open when it returned.
    pub outstanding: u64,
    /// The time the call took.
    pub waited: Duration,
    /// The counters when it returned.
    pub counters: DeliveryCounters,
}

/// What [`Dispatcher::close`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseReport {
    /// The flush that preceded the stop.
    pub flush: FlushReport,
    /// The thread has ended (false: it is still inside a request and ends on its own).
    pub stopped: bool,
}

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    recovered: AtomicU64,
    delivered: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    spooled: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> DeliveryCounters {
        let get = |a: &AtomicU64| a.load(Ordering::Acquire);
        let delivered = get(&self.delivered);
        let failed = get(&self.failed);
        let accepted = get(&self.accepted);
        let recovered = get(&self.recovered);
        DeliveryCounters {
            accepted,
            recovered,
            delivered,
            retried: get(&self.retried),
            failed,
            dropped: get(&self.dropped),
            spooled: get(&self.spooled),
            in_flight: (accepted + recovered).saturating_sub(delivered + failed),
        }
    }

    fn add(a: &AtomicU64, n: u64) {
        a.fetch_add(n, Ordering::AcqRel);
    }
}

struct Item {
    seq: u64,
    out: Outgoing,
    ticket: Option<SpoolTicket>,
}

struct Queue {
    items: VecDeque<Item>,
    /// The last sequence number given out.
    next_seq: u64,
    /// Every item with a sequence number up to this one is settled.
    done_seq: u64,
    /// A flush wants everything up to here settled, partly filled batches included.
    flush_target: u64,
    /// Items the thread took from the queue and has not yet sent or put into a batch: they count
    /// against the capacity like queued ones.
    held: usize,
    /// The thread waits for work (a submit must wake it).
    worker_waiting: bool,
    /// While the thread waits, the queue length at which a submit of a batch event wakes it: the
    /// events that fill its partly filled batch (1 when it has none). A request sent on its own, a
    /// flush, a full queue, the batch timer and `close` wake it whatever this says. Waking it for each
    /// event would cost a futex wake-up and a context switch per event.
    wake_at: usize,
    /// `close` was called: finish the current attempt and give up the rest.
    stop: bool,
    /// The thread has ended.
    exited: bool,
}

/// Everything one process's dispatcher owns.
struct Shared {
    pid: u32,
    config: DispatcherConfig,
    /// Where requests go now (starts as `config.collector`).
    collector: ArcSwap<Collector>,
    queue: Mutex<Queue>,
    /// The thread waits here for work (and sleeps its backoffs here, woken early by `close`).
    work: Condvar,
    /// `submit` waits here for room.
    space: Condvar,
    /// `flush` and `close` wait here.
    done: Condvar,
    counters: Counters,
    spool: Option<Spool>,
    started: AtomicBool,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Events recovered from the spool, sent before anything else.
    replay: Mutex<Vec<Item>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log(&self, level: LogLevel, message: impl FnOnce() -> String) {
        if level >= self.config.log_level {
            self.config.logger.log(level, &message());
        }
    }

    fn new(config: DispatcherConfig, spool: Option<Spool>, replay: Vec<Item>) -> Shared {
        let n = replay.len() as u64;
        let counters = Counters::default();
        counters.recovered.store(n, Ordering::Release);
        Shared {
            pid: std::process::id(),
            collector: ArcSwap::from_pointee(config.collector.clone()),
            queue: Mutex::new(Queue {
                items: VecDeque::with_capacity(config.queue_capacity.min(1024)),
                next_seq: n,
                done_seq: 0,
                flush_target: 0,
                held: 0,
                worker_waiting: false,
                wake_at: 1,
                stop: false,
                exited: false,
            }),
            config,
            work: Condvar::new(),
            space: Condvar::new(),
            done: Condvar::new(),
            counters,
            spool,
            started: AtomicBool::new(false),
            thread: Mutex::new(None),
            replay: Mutex::new(replay),
        }
    }

    /// Starts the thread unless it runs (or ran).
    fn ensure_started(self: &Arc<Self>) -> Result<(), Error> {
        if self.started.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut slot = self.thread.lock().unwrap_or_else(|p| p.into_inner());
        if self.started.load(Ordering::Acquire) {
            return Ok(());
        }
        let me = Arc::clone(self);
        let handle = std::thread::Builder::new()
            .name("vwo-dispatcher".into())
            .spawn(move || Worker::new(me).run())
            .map_err(|e| {
                Error::new(
                    ErrorKind::Internal,
                    format!("cannot start the event dispatcher thread: {e}"),
                )
            })?;
        *slot = Some(handle);
        self.started.store(true, Ordering::Release);
        Ok(())
    }

    fn drop_event(&self, ticket: Option<SpoolTicket>, why: &str) -> Error {
        if let (Some(spool), Some(t)) = (&self.spool, ticket) {
            spool.ack(&[t]);
        }
        let n = self.counters.dropped.fetch_add(1, Ordering::AcqRel) + 1;
        // Every drop is counted; the log is thinned under a flood (1st, 2nd, 4th, … and every 10,000th).
        if n.is_power_of_two() || n % 10_000 == 0 {
            self.log(LogLevel::Error, || {
                format!("event dropped: {why} ({n} dropped so far)")
            });
        }
        Error::new(ErrorKind::Internal, format!("event dropped: {why}"))
    }
}

/// Delivers events on its own thread. Cheap to share behind an `Arc`; every method takes `&self`.
pub struct Dispatcher {
    shared: ArcSwap<Shared>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("counters", &self.counters())
            .finish()
    }
}

impl Dispatcher {
    /// Creates the dispatcher. With a spool directory it opens the spool (and holds the directory
    /// until closed or dropped) and, if it holds unacknowledged events, starts the thread at once to
    /// send them first. Fails only when the spool cannot be opened, or (an
    /// [`ErrorKind::InvalidOptions`] error naming the directory) when another dispatcher, of this
    /// process or another, holds the directory.
    pub fn new(config: DispatcherConfig) -> Result<Dispatcher, Error> {
        let (spool, replay) = match &config.spool_dir {
            Some(dir) => {
                let (spool, recovered) = Spool::open(dir, config.spool_max_bytes)?;
                let replay: Vec<Item> = recovered
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| Item {
                        seq: i as u64 + 1,
                        out: r.outgoing,
                        ticket: Some(r.ticket),
                    })
                    .collect();
                (Some(spool), replay)
            }
            None => (None, Vec::new()),
        };
        let n = replay.len();
        let shared = Arc::new(Shared::new(config, spool, replay));
        if n > 0 {
            shared.log(LogLevel::Info, || {
                format!("sending {n} events left unacknowledged in the spool")
            });
            shared.ensure_started()?;
        }
        Ok(Dispatcher {
            shared: ArcSwap::new(shared),
        })
    }

    /// This process's state: after a fork, the child replaces the parent's (leaked, never touched:
    /// its locks may have been held by threads that do not exist here) with a fresh one.
    fn shared(&self) -> Arc<Shared> {
        let cur = self.shared.load_full();
        if cur.pid == std::process::id() {
            return cur;
        }
        let mut config = cur.config.clone();
        config.collector = Collector::clone(&cur.collector.load());
        if let Some(t) = config.transport.for_forked_child() {
            config.transport = t;
        }
        if let Some(spool) = &cur.spool {
            // The child's copy of the lock's descriptor would keep the directory locked after the
            // parent is gone.
            spool.release_in_forked_child();
        }
        if config.spool_dir.take().is_some() {
            // Two processes appending to one spool would corrupt it; the parent keeps it.
            config.logger.log(
                LogLevel::Warning,
                "forked process: events of this process are not spooled (the spool belongs to the parent)",
            );
        }
        let fresh = Arc::new(Shared::new(config, None, Vec::new()));
        let prev = self.shared.compare_and_swap(&cur, Arc::clone(&fresh));
        if Arc::ptr_eq(&prev, &cur) {
            std::mem::forget(cur);
            fresh
        } else {
            // Another thread of the child replaced it first.
            self.shared.load_full()
        }
    }

    /// Queues `out` for delivery. Never waits on the network: at most the [`FullPolicy::Block`] bound
    /// when the queue is full (plus one unsynced `write(2)` with a spool). An `Err` means the event was
    /// dropped; it is counted and logged.
    pub fn submit(&self, out: Outgoing) -> Result<(), Error> {
        let sh = self.shared();
        if let Err(e) = sh.ensure_started() {
            return Err(sh.drop_event(None, &e.to_string()));
        }
        let ticket = match &sh.spool {
            Some(spool) => match spool.append(&out) {
                Ok(t) => Some(t),
                Err(e) => return Err(sh.drop_event(None, &e.to_string())),
            },
            None => None,
        };
        let capacity = sh.config.queue_capacity.max(1);
        let mut q = sh.lock();
        if q.stop {
            drop(q);
            return Err(sh.drop_event(ticket, "the dispatcher is closed"));
        }
        if q.items.len() + q.held >= capacity {
            match sh.config.when_full {
                FullPolicy::DropNewest => {}
                FullPolicy::Block(bound) => {
                    if std::mem::replace(&mut q.worker_waiting, false) {
                        sh.work.notify_one();
                    }
                    let deadline = Instant::now() + bound;
                    q = wait_while_until(&sh.space, q, deadline, |q| {
                        q.items.len() + q.held >= capacity && !q.stop
                    });
                }
            }
            if q.items.len() + q.held >= capacity || q.stop {
                drop(q);
                return Err(sh.drop_event(ticket, "the event queue is full"));
            }
        }
        q.next_seq += 1;
        let seq = q.next_seq;
        let urgent = matches!(out, Outgoing::Request(_));
        q.items.push_back(Item { seq, out, ticket });
        Counters::add(&sh.counters.accepted, 1);
        if ticket.is_some() {
            Counters::add(&sh.counters.spooled, 1);
        }
        let wake = q.worker_waiting && (urgent || q.items.len() >= q.wake_at);
        if wake {
            q.worker_waiting = false;
        }
        drop(q);
        if wake {
            sh.work.notify_one();
        }
        Ok(())
    }

    /// Waits until everything submitted before the call is delivered or failed for good (partly filled
    /// batches are sent now), or `timeout` passes.
    pub fn flush(&self, timeout: Duration) -> FlushReport {
        let start = Instant::now();
        let sh = self.shared();
        let deadline = start + timeout;
        let mut q = sh.lock();
        let target = q.next_seq;
        // After `close`, what is left is being given up: nothing to wait for.
        if q.done_seq < target && !q.exited && !q.stop {
            q.flush_target = q.flush_target.max(target);
            q.worker_waiting = false;
            sh.work.notify_all();
            q = wait_while_until(&sh.done, q, deadline, |q| {
                q.done_seq < target && !q.exited && !q.stop
            });
        }
        let outstanding = target.saturating_sub(q.done_seq);
        drop(q);
        FlushReport {
            completed: outstanding == 0,
            outstanding,
            waited: start.elapsed(),
            counters: sh.counters.snapshot(),
        }
    }

    /// Flushes for at most `timeout`, then stops the thread: what is still unsent is counted failed
    /// (and stays in the spool, if any, for the next start). Later submits are dropped. Returns within
    /// `timeout` plus a few milliseconds even when a request is stuck in the network (the thread then
    /// ends after it, on its own).
    pub fn close(&self, timeout: Duration) -> CloseReport {
        let start = Instant::now();
        let sh = self.shared();
        let flush = self.flush(timeout);
        let grace = timeout
            .saturating_sub(start.elapsed())
            .max(Duration::from_millis(20));
        let mut q = sh.lock();
        // A second close (or the drop after a close) does not wait for the thread again.
        let deadline = if q.stop {
            Instant::now()
        } else {
            Instant::now() + grace
        };
        q.stop = true;
        sh.work.notify_all();
        sh.space.notify_all();
        if !sh.started.load(Ordering::Acquire) {
            q.exited = true;
        }
        q = wait_while_until(&sh.done, q, deadline, |q| !q.exited);
        let stopped = q.exited;
        drop(q);
        if stopped {
            let handle = sh.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(h) = handle {
                let _ = h.join();
            }
            if let Some(spool) = &sh.spool {
                // Releases the directory for the next dispatcher (the thread did, if it ran).
                spool.close();
            }
        }
        CloseReport { flush, stopped }
    }

    /// Sends every request from now on (retries of the one in flight included, queued and spooled
    /// events too) to `collector`: a client calls it when new settings bring another collection
    /// prefix.
    pub fn set_collector(&self, collector: Collector) {
        let sh = self.shared();
        if **sh.collector.load() != collector {
            sh.collector.store(Arc::new(collector));
        }
    }

    /// Where requests go now.
    pub fn collector(&self) -> Collector {
        Collector::clone(&self.shared.load().collector.load())
    }

    /// The delivery counters now.
    pub fn counters(&self) -> DeliveryCounters {
        self.shared.load().counters.snapshot()
    }
}

/// Waits on `cv` while `keep_waiting` holds, until `deadline` (a poisoned lock is taken over, as
/// everywhere in the dispatcher). Returns the guard whatever ended the wait.
fn wait_while_until<'a>(
    cv: &Condvar,
    q: MutexGuard<'a, Queue>,
    deadline: Instant,
    keep_waiting: impl FnMut(&mut Queue) -> bool,
) -> MutexGuard<'a, Queue> {
    let timeout = deadline.saturating_duration_since(Instant::now());
    match cv.wait_timeout_while(q, timeout, keep_waiting) {
        Ok((q, _)) => q,
        Err(poisoned) => poisoned.into_inner().0,
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        let sh = self.shared.load();
        if sh.pid != std::process::id() {
            // A forked child dropping the parent's dispatcher: only the lock's descriptor is let go.
            if let Some(spool) = &sh.spool {
                spool.release_in_forked_child();
            }
            return;
        }
        let timeout = sh.config.close_timeout;
        drop(sh);
        let _ = self.close(timeout);
    }
}

/// Why a send did not succeed.
enum Failure {
    /// 413: the batch should be split.
    TooLarge(Error),
    /// Sending again will not help (4xx, invalid URL): settled, acknowledged in the spool.
    Permanent(Error),
    /// Attempts or time ran out on errors that may pass: failed here, left in the spool.
    Exhausted(Error),
    /// `close` interrupted the retries.
    Stopped,
}

/// What became of the events of one batch, over its pieces.
#[derive(Default)]
struct BatchOutcome {
    delivered: Vec<RenderedEvent>,
    failed: Vec<RenderedEvent>,
    /// The distinct reasons of the failed pieces, in order.
    errors: Vec<String>,
    /// `close` stopped a piece.
    stopped: bool,
}

impl BatchOutcome {
    fn fail(&mut self, error: String, events: Vec<RenderedEvent>) {
        if !self.errors.contains(&error) {
            self.errors.push(error);
        }
        self.failed.extend(events);
    }
}

struct Pending {
    ctx: Arc<EventContext>,
    seqs: Vec<u64>,
    events: Vec<RenderedEvent>,
    tickets: Vec<SpoolTicket>,
    first_at: Instant,
}

struct Worker {
    sh: Arc<Shared>,
    pending: Option<Pending>,
    /// The highest sequence number taken from the queue.
    taken: u64,
}

impl Worker {
    fn new(sh: Arc<Shared>) -> Worker {
        Worker {
            sh,
            pending: None,
            taken: 0,
        }
    }

    fn run(mut self) {
        let replay = std::mem::take(&mut *self.sh.replay.lock().unwrap_or_else(|p| p.into_inner()));
        let mut chunk: VecDeque<Item> = replay.into();
        loop {
            if !chunk.is_empty() {
                if self.process(&mut chunk).is_err() {
                    break;
                }
                continue;
            }
            // Wait for work, a flush, the batch timer, or close.
            let mut q = self.sh.lock();
            loop {
                if q.stop || !q.items.is_empty() {
                    break;
                }
                let flushing = q.flush_target > q.done_seq;
                if self.flush_wants_pending(&q) {
                    break;
                }
                if flushing {
                    // Nothing pending and nothing queued: everything taken is settled.
                    q.done_seq = q.done_seq.max(self.taken.min(q.flush_target));
                    self.sh.done.notify_all();
                    if q.flush_target <= q.done_seq {
                        continue;
                    }
                }
                let deadline = self.batch_deadline();
                let timeout = match deadline {
                    Some(d) => {
                        let now = Instant::now();
                        if now >= d {
                            break;
                        }
                        d - now
                    }
                    None => Duration::from_secs(3600),
                };
                q.worker_waiting = true;
                q.wake_at = self.wake_at();
                q = self
                    .sh
                    .work
                    .wait_timeout(q, timeout)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0);
                q.worker_waiting = false;
            }
            if q.stop {
                let rest: Vec<Item> = q.items.drain(..).collect();
                drop(q);
                self.abandon(rest);
                break;
            }
            chunk = std::mem::take(&mut q.items);
            q.held = chunk.len();
            let flushing = self.flush_wants_pending(&q);
            drop(q);
            self.sh.space.notify_all();
            if chunk.is_empty() && self.pending.is_some() {
                let due = self.batch_deadline().is_some_and(|d| Instant::now() >= d);
                if (flushing || due) && self.send_pending().is_err() {
                    break;
                }
                self.settle_watermark();
            }
        }
        // Stopped: everything still held is given up.
        let rest: Vec<Item> = chunk.into_iter().collect();
        self.abandon(rest);
        let mut q = self.sh.lock();
        let rest: Vec<Item> = q.items.drain(..).collect();
        drop(q);
        self.abandon(rest);
        if let Some(spool) = &self.sh.spool {
            // Compacted and released here, not only by `close`: when `close` stopped waiting for a
            // slow request, this is the moment the spool stops being written.
            spool.close();
        }
        let mut q = self.sh.lock();
        q.done_seq = q.next_seq;
        q.exited = true;
        self.sh.done.notify_all();
        self.sh.space.notify_all();
    }

    /// A flush waits for an event of the pending batch.
    fn flush_wants_pending(&self, q: &Queue) -> bool {
        self.pending
            .as_ref()
            .and_then(|p| p.seqs.first())
            .is_some_and(|s| *s <= q.flush_target)
    }

    /// The queue length at which a submit should wake this thread (see `Queue::wake_at`): the events
    /// that fill the pending batch, never more than the queue holds.
    fn wake_at(&self) -> usize {
        let (Some(batch), Some(p)) = (self.sh.config.batch.as_ref(), self.pending.as_ref()) else {
            return 1;
        };
        batch
            .events_per_request
            .saturating_sub(p.events.len())
            .min(self.sh.config.queue_capacity)
            .max(1)
    }

    fn batch_deadline(&self) -> Option<Instant> {
        let interval = self.sh.config.batch.as_ref()?.request_time_interval;
        self.pending.as_ref().map(|p| p.first_at + interval)
    }

    /// Sends what was taken from the queue, in order; `Err` when `close` stopped it.
    fn process(&mut self, chunk: &mut VecDeque<Item>) -> Result<(), ()> {
        if let Some(spool) = &self.sh.spool {
            if let Err(e) = spool.sync() {
                self.sh.log(LogLevel::Error, || e.to_string());
            }
        }
        let per_request = self
            .sh
            .config
            .batch
            .as_ref()
            .map_or(1, |b| b.events_per_request.max(1));
        while let Some(item) = chunk.pop_front() {
            // `taken` moves past an item only once it is settled or held in `pending`, so that a
            // watermark published meanwhile (a batch sent because the context changed) excludes it.
            let seq = item.seq;
            match item.out {
                Outgoing::Request(req) => {
                    self.set_held(chunk.len());
                    let r = self.deliver_request(&req, item.ticket);
                    self.taken = self.taken.max(seq);
                    if r.is_err() {
                        self.abandon(chunk.drain(..).collect());
                        return Err(());
                    }
                }
                Outgoing::BatchEvent { ctx, event } => {
                    let other_ctx = self
                        .pending
                        .as_ref()
                        .is_some_and(|p| !same_context(&p.ctx, &ctx));
                    if other_ctx && self.send_pending().is_err() {
                        self.abandon(chunk.drain(..).collect());
                        return Err(());
                    }
                    let p = self.pending.get_or_insert_with(|| Pending {
                        ctx,
                        seqs: Vec::with_capacity(per_request),
                        events: Vec::with_capacity(per_request),
                        tickets: Vec::new(),
                        first_at: Instant::now(),
                    });
                    p.seqs.push(seq);
                    p.events.push(event);
                    if let Some(t) = item.ticket {
                        p.tickets.push(t);
                    }
                    self.taken = self.taken.max(seq);
                    if p.events.len() >= per_request {
                        self.set_held(chunk.len());
                        if self.send_pending().is_err() {
                            self.abandon(chunk.drain(..).collect());
                            return Err(());
                        }
                    }
                }
            }
        }
        // A flush sends a partial batch only when nothing it covers is still queued: otherwise the
        // thread takes the rest of the queue first, so that batches fill as they would have.
        let flushing = {
            let q = self.sh.lock();
            self.flush_wants_pending(&q) && q.items.front().is_none_or(|it| it.seq > q.flush_target)
        };
        let due = self.batch_deadline().is_some_and(|d| Instant::now() >= d);
        if (flushing || due) && self.pending.is_some() && self.send_pending().is_err() {
            return Err(());
        }
        self.settle_watermark();
        self.set_held(0);
        Ok(())
    }

    /// Publishes how many taken items still wait in the thread's hands, and wakes blocked submits.
    fn set_held(&self, n: usize) {
        let mut q = self.sh.lock();
        if q.held != n {
            let freed = q.held > n;
            q.held = n;
            drop(q);
            if freed {
                self.sh.space.notify_all();
            }
        }
    }

    /// Publishes how far everything is settled and wakes flushes.
    fn settle_watermark(&self) {
        let mark = match &self.pending {
            Some(p) => p.seqs.first().map_or(self.taken, |s| s.saturating_sub(1)),
            None => self.taken,
        };
        let mut q = self.sh.lock();
        if mark > q.done_seq {
            q.done_seq = mark;
            self.sh.done.notify_all();
        }
    }

    fn deliver_request(&self, req: &EventRequest, ticket: Option<SpoolTicket>) -> Result<(), ()> {
        let c = &self.sh.counters;
        let result = self.send(req, 1);
        let (acked, err) = match result {
            Ok(()) => {
                Counters::add(&c.delivered, 1);
                (true, None)
            }
            Err(Failure::Stopped) => {
                self.abandon_one(ticket);
                return Err(());
            }
            Err(Failure::TooLarge(e) | Failure::Permanent(e)) => (true, Some(e)),
            Err(Failure::Exhausted(e)) => (false, Some(e)),
        };
        if let Some(e) = err {
            Counters::add(&c.failed, 1);
            self.sh.log(LogLevel::Error, || {
                format!("event not delivered: {e} ({})", req.path)
            });
        }
        if let (true, Some(spool), Some(t)) = (acked, &self.sh.spool, ticket) {
            spool.ack(&[t]);
        }
        Ok(())
    }

    fn abandon_one(&self, ticket: Option<SpoolTicket>) {
        let _ = ticket; // stays in the spool
        Counters::add(&self.sh.counters.failed, 1);
    }

    /// Sends the partly or fully filled batch; `Err` when `close` stopped it.
    fn send_pending(&mut self) -> Result<(), ()> {
        let Some(p) = self.pending.take() else {
            return Ok(());
        };
        let r = self.deliver_batch(&p.ctx, p.events, p.tickets);
        self.settle_watermark();
        r
    }

    /// Sends one batch (split into pieces on 413) and reports it to the flush callback: once, with
    /// every event of the batch, when all its pieces ended alike; twice when some pieces were
    /// delivered and others failed (first `(None, delivered)`, then `(Some(error), failed)`), so that
    /// each event is reported exactly once, with its own outcome. `Err` when `close` stopped it (the
    /// pieces not sent yet are then failed too).
    fn deliver_batch(
        &self,
        ctx: &Arc<EventContext>,
        events: Vec<RenderedEvent>,
        tickets: Vec<SpoolTicket>,
    ) -> Result<(), ()> {
        let n = events.len();
        if n == 0 {
            return Ok(());
        }
        let mut outcome = BatchOutcome::default();
        self.deliver_piece(ctx, events, tickets, &mut outcome);
        if !self.sh.config.development_mode {
            if !outcome.delivered.is_empty() {
                self.callback(None, &outcome.delivered);
            }
            if !outcome.failed.is_empty() {
                let (k, errors) = (outcome.failed.len(), outcome.errors.join("; "));
                let message = match outcome.delivered.len() {
                    0 if outcome.errors.len() == 1 => errors,
                    0 => format!(
                        "the batch of {n} events was not delivered (split after HTTP 413, its \
                         pieces failed for different reasons): {errors}"
                    ),
                    ok => format!(
                        "{k} of the batch's {n} events not delivered (split after HTTP 413; the \
                         other {ok} were delivered): {errors}"
                    ),
                };
                self.callback(
                    Some(&Error::new(ErrorKind::Internal, message)),
                    &outcome.failed,
                );
            }
        }
        if outcome.stopped {
            Err(())
        } else {
            Ok(())
        }
    }

    /// Sends one piece of a batch, splitting it in halves while the server answers 413, and adds what
    /// became of its events to `outcome`. Once `close` has stopped a piece, the pieces after it are
    /// not sent: they fail with it (and stay in the spool).
    fn deliver_piece(
        &self,
        ctx: &Arc<EventContext>,
        events: Vec<RenderedEvent>,
        tickets: Vec<SpoolTicket>,
        outcome: &mut BatchOutcome,
    ) {
        let n = events.len() as u64;
        let c = &self.sh.counters;
        if outcome.stopped {
            Counters::add(&c.failed, n);
            outcome.failed.extend(events);
            return;
        }
        let req = batch_request(ctx, &events);
        let (acked, err) = match self.send(&req, n) {
            Ok(()) => {
                Counters::add(&c.delivered, n);
                (true, None)
            }
            Err(Failure::TooLarge(e)) if events.len() > 1 => {
                self.sh.log(LogLevel::Warning, || {
                    format!("{e}: splitting the batch of {n} events in two")
                });
                let mut first = events;
                let second = first.split_off(first.len() / 2);
                // Tickets are positional only when every event has one (spool on).
                let (t1, t2) = if tickets.len() as u64 == n {
                    let mut t1 = tickets;
                    let t2 = t1.split_off(first.len());
                    (t1, t2)
                } else {
                    (Vec::new(), Vec::new())
                };
                self.deliver_piece(ctx, first, t1, outcome);
                self.deliver_piece(ctx, second, t2, outcome);
                return;
            }
            Err(Failure::Stopped) => {
                Counters::add(&c.failed, n);
                outcome.stopped = true;
                outcome.fail(
                    "the dispatcher was closed before the batch was delivered".to_owned(),
                    events,
                );
                return;
            }
            Err(Failure::TooLarge(e) | Failure::Permanent(e)) => (true, Some(e)),
            Err(Failure::Exhausted(e)) => (false, Some(e)),
        };
        if acked {
            if let Some(spool) = &self.sh.spool {
                spool.ack(&tickets);
            }
        }
        match err {
            None => outcome.delivered.extend(events),
            Some(e) => {
                Counters::add(&c.failed, n);
                self.sh.log(LogLevel::Error, || {
                    format!("batch of {n} events not delivered: {e}")
                });
                outcome.fail(e.to_string(), events);
            }
        }
    }

    fn callback(&self, err: Option<&Error>, events: &[RenderedEvent]) {
        let Some(cb) = self
            .sh
            .config
            .batch
            .as_ref()
            .and_then(|b| b.flush_callback.clone())
        else {
            return;
        };
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cb(err, events)));
        if r.is_err() {
            self.sh
                .log(LogLevel::Error, || "the flush callback panicked".to_owned());
        }
    }

    /// Items taken or queued when `close` stopped the thread: failed here, kept in the spool.
    fn abandon(&mut self, items: Vec<Item>) {
        let mut n = items.len() as u64;
        let mut batch_events = Vec::new();
        for it in items {
            if let Outgoing::BatchEvent { event, .. } = it.out {
                batch_events.push(event);
            }
        }
        if let Some(p) = self.pending.take() {
            n += p.events.len() as u64;
            batch_events.extend(p.events);
        }
        if n == 0 {
            return;
        }
        Counters::add(&self.sh.counters.failed, n);
        let kept = if self.sh.spool.is_some() {
            "; they stay in the spool for the next start"
        } else {
            ""
        };
        self.sh.log(LogLevel::Error, || {
            format!("dispatcher closed: {n} events not delivered{kept}")
        });
        if !batch_events.is_empty() {
            self.callback(
                Some(&Error::new(
                    ErrorKind::Internal,
                    "the dispatcher was closed before the batch was delivered",
                )),
                &batch_events,
            );
        }
    }

    /// Sleeps `d` unless `close` comes first (then `false`).
    fn sleep(&self, d: Duration) -> bool {
        let now = Instant::now();
        let deadline = now
            .checked_add(d)
            .unwrap_or(now + Duration::from_secs(86_400 * 365));
        let q = wait_while_until(&self.sh.work, self.sh.lock(), deadline, |q| !q.stop);
        !q.stop
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let cfg = &self.sh.config;
        let exp = cfg
            .backoff_base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let d = exp.min(cfg.backoff_cap);
        // "Equal jitter": half fixed, half random, so retries from many processes spread out.
        d / 2 + d.mul_f64(fastrand::f64() / 2.0)
    }

    /// One request with the retry policy; `events` is how many events it carries (for the counters).
    fn send(&self, req: &EventRequest, events: u64) -> Result<(), Failure> {
        let cfg = &self.sh.config;
        if cfg.development_mode {
            self.sh.log(LogLevel::Debug, || {
                let url = self.sh.collector.load().url(req);
                let method = match req.method {
                    HttpMethod::Get => "GET",
                    HttpMethod::Post => "POST",
                };
                format!(
                    "development mode, not sent: {method} {url}{}",
                    req.body
                        .as_deref()
                        .map(|b| format!(" body: {b}"))
                        .unwrap_or_default()
                )
            });
            return Ok(());
        }
        let start = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Resolved at every attempt: a settings refresh during an outage redirects the retries.
            let url = self.sh.collector.load().url(req);
            let (err, retry_after) = match cfg.transport.execute(&url, req) {
                Ok(r) if (200..300).contains(&r.status) => return Ok(()),
                Ok(r) => {
                    let e = Error::new(
                        ErrorKind::Internal,
                        format!(
                            "HTTP status {}{}",
                            r.status,
                            if r.status == 413 {
                                " (payload too large: reduce events_per_request)"
                            } else {
                                ""
                            }
                        ),
                    );
                    match r.status {
                        413 => return Err(Failure::TooLarge(e)),
                        429 | 500..=599 => (e, r.retry_after),
                        _ => return Err(Failure::Permanent(e)),
                    }
                }
                Err(e) => {
                    let transient = e.is_transient();
                    let e = Error::new(ErrorKind::Internal, transport_message(&e));
                    if !transient {
                        return Err(Failure::Permanent(e));
                    }
                    (e, None)
                }
            };
            if cfg.max_attempts.is_some_and(|max| attempt >= max.max(1)) {
                return Err(Failure::Exhausted(Error::new(
                    ErrorKind::Internal,
                    format!("{err}, after {attempt} attempts"),
                )));
            }
            let mut delay = self.backoff(attempt);
            if let Some(ra) = retry_after {
                delay = delay.max(ra);
            }
            // Saturating: a `Retry-After` may ask for up to `u64::MAX` seconds.
            if start.elapsed().saturating_add(delay) > cfg.max_retry_time {
                return Err(Failure::Exhausted(Error::new(
                    ErrorKind::Internal,
                    format!(
                        "{err}, after {attempt} attempts (the next would start after the {:?} retry limit)",
                        cfg.max_retry_time
                    ),
                )));
            }
            self.sh.log(LogLevel::Warning, || {
                format!("{err}: attempt {attempt} failed, retrying in {delay:?}")
            });
            Counters::add(&self.sh.counters.retried, events);
            if !self.sleep(delay) {
                return Err(Failure::Stopped);
            }
        }
    }
}

fn transport_message(e: &TransportError) -> String {
    e.to_string()
}

/// The same client and settings: the same `Arc`, or equal fields (contexts read back from a spool).
fn same_context(a: &Arc<EventContext>, b: &Arc<EventContext>) -> bool {
    Arc::ptr_eq(a, b)
        || (a.account_id == b.account_id
            && a.sdk_key == b.sdk_key
            && a.sdk_name == b.sdk_name
            && a.sdk_version == b.sdk_version
            && a.usage_stats == b.usage_stats)
}
