//! The built-in Redis user storage against a real `redis-server` the tests start on 127.0.0.1: sticky
//! assignments across a client restart and across processes, goal de-duplication across processes,
//! Redis killed and restarted mid-run, records written by vwo-python-sdk's own Redis storage.
//! `make test` installs redis-server (tools/deps.sh); without it these tests fail unless `VWO_SKIP_REDIS=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod storage_support;

use serde_json::Value;
use std::time::{Duration, Instant};
use storage_support::*;
use vwo::{RedisStorageConfig, TrackCampaigns, UserStorageConfig};

fn redis_config(server: &RedisServer) -> RedisStorageConfig {
    RedisStorageConfig::new(server.url())
}

fn storage(config: &RedisStorageConfig) -> UserStorageConfig {
    UserStorageConfig::Redis(config.clone())
}

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user-{i}")).collect()
}

#[test]
fn sticky_across_a_client_restart_without_repeat_impressions() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let config = redis_config(&server);
    let (client, events) = launch(&settings((50, 50)), storage(&config));
    let first: Vec<String> = users(40)
        .iter()
        .map(|u| client.activate("ab", u, None).unwrap())
        .collect();
    assert_eq!(events.get(), 40);
    assert!(first.iter().any(|v| v == "Variation-1") && first.iter().any(|v| v == "Control"));
    client.close(Duration::from_secs(5));
    assert_eq!(client.storage_counters().unwrap().pending, 0);
    drop(client);
    assert_eq!(
        server.get("ab:user-0").unwrap(),
        format!(
            r#"{{"userId": "user-0", "campaignKey": "ab", "variationName": "{}"}}"#,
            first[0]
        )
    );

    // A new client whose settings now send everyone to Control keeps every stored assignment.
    let (client, events) = launch(&settings((100, 0)), storage(&config));
    for (u, v) in users(40).iter().zip(&first) {
        assert_eq!(
            client.activate("ab", u, None).as_deref(),
            Some(v.as_str()),
            "user {u}"
        );
        assert_eq!(
            client.get_variation_name("ab", u, None).as_deref(),
            Some(v.as_str())
        );
    }
    assert_eq!(events.get(), 0, "returning users get no second impression");
    // A user never seen is bucketed with the new weights.
    assert_eq!(
        client.activate("ab", "new-user", None).as_deref(),
        Some("Control")
    );
    let c = client.storage_counters().unwrap();
    assert_eq!(c.read_errors, 0);
    assert!(c.hits >= 80, "{c:?}");
}

/// Child role: activates users (offset by `VWO_USERS_FROM`) and tracks `CUSTOM` for the first ten,
/// printing `user variation track-result`.
fn redis_child(role: &str) {
    let url = std::env::var("VWO_REDIS_URL").unwrap();
    let from: usize = std::env::var("VWO_USERS_FROM").unwrap().parse().unwrap();
    let (client, _) = launch(
        &settings((50, 50)),
        UserStorageConfig::Redis(RedisStorageConfig::new(url)),
    );
    for i in from..from + 200 {
        let u = format!("user-{i}");
        let v = client.activate("ab", &u, None).unwrap();
        let tracked = if i < from + 10 {
            let r = client
                .track(TrackCampaigns::One("ab"), &u, "CUSTOM", None)
                .unwrap();
            r[0].1.to_string()
        } else {
            "-".into()
        };
        report(&format!("{u} {v} {tracked}"));
    }
    assert!(
        client.flush_storage(Duration::from_secs(10)),
        "{role}: writes left"
    );
}

#[test]
fn two_processes_share_one_redis() {
    if let Some(role) = child_role() {
        return redis_child(&role);
    }
    let Some(server) = RedisServer::start() else {
        return;
    };
    let test = "two_processes_share_one_redis";
    // Two writer processes at once, on different users: nothing lost.
    let a = spawn_child(
        test,
        "a",
        &[
            ("VWO_REDIS_URL", server.url()),
            ("VWO_USERS_FROM", "0".into()),
        ],
    );
    let b = spawn_child(
        test,
        "b",
        &[
            ("VWO_REDIS_URL", server.url()),
            ("VWO_USERS_FROM", "200".into()),
        ],
    );
    let mut seen: Vec<(String, String, String)> = child_output(a)
        .into_iter()
        .chain(child_output(b))
        .map(|l| {
            let p: Vec<&str> = l.split(' ').collect();
            (p[0].to_string(), p[1].to_string(), p[2].to_string())
        })
        .collect();
    seen.sort();
    assert_eq!(seen.len(), 400);
    assert_eq!(server.command(&["DBSIZE"]).as_deref(), Some(":400"));
    assert!(seen.iter().filter(|s| s.2 == "true").count() == 20);

    // This process, with weights that would now send everyone to Variation-1, sees the children's
    // assignments and does not count their goals twice.
    let (client, events) = launch(
        &settings((0, 100)),
        UserStorageConfig::Redis(RedisStorageConfig::new(server.url())),
    );
    for (u, v, tracked) in &seen {
        assert_eq!(
            client.get_variation_name("ab", u, None).as_deref(),
            Some(v.as_str()),
            "{u}"
        );
        let again = client
            .track(TrackCampaigns::One("ab"), u, "CUSTOM", None)
            .unwrap();
        assert_eq!(
            again[0].1,
            tracked == "-",
            "user {u}: goal tracked in the child: {tracked}"
        );
    }
    assert_eq!(
        events.get(),
        380,
        "one goal event per user not tracked before"
    );
    client.close(Duration::from_secs(5));
    let record: Value = serde_json::from_str(&server.get("ab:user-0").unwrap()).unwrap();
    assert_eq!(record["goalIdentifiers"], "CUSTOM");
}

#[test]
fn redis_killed_mid_run_then_restarted() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let mut config = redis_config(&server);
    config.timeout = Duration::from_millis(100);
    let (client, _) = launch(&settings((50, 50)), storage(&config));
    for u in users(10) {
        client.activate("ab", &u, None).unwrap();
    }
    assert!(client.flush_storage(Duration::from_secs(5)));
    server.stop();

    // Decisions go on, each bounded by the timeout, for new and (from this process's memory of
    // pending writes or by bucketing) returning users alike.
    let mut slowest = Duration::ZERO;
    let mut down: Vec<(String, String)> = Vec::new();
    for i in 100..160 {
        let u = format!("user-{i}");
        let t = Instant::now();
        let v = client
            .activate("ab", &u, None)
            .expect("a decision while Redis is down");
        slowest = slowest.max(t.elapsed());
        down.push((u, v));
    }
    assert!(
        slowest < Duration::from_millis(1500),
        "a decision took {slowest:?}"
    );
    let c = client.storage_counters().unwrap();
    assert!(c.read_errors > 0, "{c:?}");
    assert!(c.pending > 0, "{c:?}");

    // Redis comes back (empty: no persistence): the queued writes land, within the retry limits.
    std::thread::sleep(Duration::from_millis(300));
    server.restart();
    assert!(
        client.flush_storage(Duration::from_secs(10)),
        "{:?}",
        client.storage_counters()
    );
    for (u, v) in &down {
        let stored: Value = serde_json::from_str(&server.get(&format!("ab:{u}")).unwrap()).unwrap();
        assert_eq!(stored["variationName"], v.as_str());
    }
    let c = client.storage_counters().unwrap();
    assert!(
        c.write_errors > 0 && c.writes_dropped == 0 && c.pending == 0,
        "{c:?}"
    );
    // Lookups work again.
    assert_eq!(
        client.get_variation_name("ab", "user-100", None),
        Some(down[0].1.clone())
    );
}

#[test]
fn writes_given_up_after_the_attempt_limit_are_counted() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let mut config = redis_config(&server);
    config.write_attempts = 2;
    server.stop();
    let (client, _) = launch(&settings((50, 50)), storage(&config));
    assert!(client.activate("ab", "u", None).is_some());
    assert!(!client.flush_storage(Duration::from_millis(50)));
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.storage_counters().unwrap().writes_dropped == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let c = client.storage_counters().unwrap();
    assert_eq!(
        (c.writes_dropped, c.pending, c.write_errors),
        (1, 0, 2),
        "{c:?}"
    );
}

#[test]
fn key_prefix_and_ttl() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let mut config = redis_config(&server);
    config.key_prefix = "vwo:".into();
    config.ttl = Some(Duration::from_secs(600));
    let (client, _) = launch(&settings((50, 50)), storage(&config));
    client.activate("ab", "Ashley", None).unwrap();
    assert!(client.flush_storage(Duration::from_secs(5)));
    assert!(server.get("vwo:ab:Ashley").is_some());
    let ttl: i64 = server.command(&["TTL", "vwo:ab:Ashley"]).unwrap()[1..]
        .parse()
        .unwrap();
    assert!((1..=600).contains(&ttl), "ttl {ttl}");
}

/// Records vwo-python-sdk 1.68.2's RedisUserStorage wrote (captured once, see tests/vectors/SOURCES.md).
#[test]
fn reads_and_writes_vwo_python_sdk_records() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/storage/python_redis_records.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let records = fixture["records"].as_array().unwrap();
    for r in records {
        assert_eq!(
            server
                .command(&[
                    "SET",
                    r["key"].as_str().unwrap(),
                    r["value"].as_str().unwrap()
                ])
                .as_deref(),
            Some("+OK")
        );
    }
    // Weights flipped: only the stored records can give the Python SDK's answers.
    let mut settings: Value = fixture["settings"].clone();
    for c in settings["campaigns"].as_array_mut().unwrap() {
        c["variations"][0]["weight"] = 0.into();
        c["variations"][1]["weight"] = 100.into();
    }
    let (client, events) = launch(&settings.to_string(), storage(&redis_config(&server)));
    for a in fixture["activations"].as_array().unwrap() {
        let (campaign, user) = (a["campaign"].as_str().unwrap(), a["user"].as_str().unwrap());
        assert_eq!(
            client.activate(campaign, user, None).as_deref(),
            a["variation"].as_str(),
            "{campaign}/{user}"
        );
    }
    assert_eq!(
        events.get(),
        0,
        "all users were already tracked by the Python SDK"
    );
    for t in fixture["tracked"].as_array().unwrap() {
        let user = t["user"].as_str().unwrap();
        let r = client
            .track(TrackCampaigns::One("ab"), user, "CUSTOM", None)
            .unwrap();
        assert!(!r[0].1, "goal of {user} already counted by the Python SDK");
    }
    client.close(Duration::from_secs(5));
    drop(client);

    // Written by libvwo into an empty Redis: byte for byte what the Python SDK wrote.
    assert_eq!(server.command(&["FLUSHDB"]).as_deref(), Some("+OK"));
    let (client, _) = launch(
        &fixture["settings"].to_string(),
        storage(&redis_config(&server)),
    );
    for a in fixture["activations"].as_array().unwrap() {
        client.activate(
            a["campaign"].as_str().unwrap(),
            a["user"].as_str().unwrap(),
            None,
        );
    }
    for t in fixture["tracked"].as_array().unwrap() {
        client.track(
            TrackCampaigns::One("ab"),
            t["user"].as_str().unwrap(),
            "CUSTOM",
            None,
        );
    }
    assert!(client.flush_storage(Duration::from_secs(5)));
    for r in records {
        assert_eq!(
            server.get(r["key"].as_str().unwrap()).as_deref(),
            r["value"].as_str(),
            "{}",
            r["key"]
        );
    }
}

/// One command of a RESP client (`*N` then N bulk strings), or None at the end of the connection.
fn read_command(r: &mut impl std::io::BufRead) -> Option<Vec<String>> {
    let mut line = String::new();
    r.read_line(&mut line).ok().filter(|&n| n > 0)?;
    let n: usize = line.trim().strip_prefix('*')?.parse().ok()?;
    let mut args = Vec::with_capacity(n);
    for _ in 0..n {
        line.clear();
        r.read_line(&mut line).ok()?;
        let len: usize = line.trim().strip_prefix('$')?.parse().ok()?;
        let mut data = vec![0; len + 2];
        r.read_exact(&mut data).ok()?;
        data.truncate(len);
        args.push(String::from_utf8(data).ok()?);
    }
    Some(args)
}

extern "C" fn ignore_signal(_: libc::c_int) {}

/// A signal that lands while a lookup waits for Redis's reply can fail the socket read with EINTR even
/// under SA_RESTART (signal(7): socket reads with a timeout set; Go's runtime sends signals to every
/// thread). Such a lookup is not failed: its GET is sent again on a new connection. A fake Redis on
/// 127.0.0.1 holds the first reply of each round for 300 ms while the reading thread is signalled. The
/// kernel may also restart the read (the reply then arrives on the first connection), so the test runs
/// rounds until one was interrupted, and every round must answer the lookup.
#[test]
fn a_lookup_interrupted_by_a_signal_is_retried() {
    use std::io::{BufReader, Write};
    use std::os::unix::thread::JoinHandleExt;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{mpsc, Arc, Mutex};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let delay_next = Arc::new(AtomicBool::new(false));
    let gets = Arc::new(AtomicUsize::new(0));
    let (waiting_tx, waiting_rx) = mpsc::channel::<()>();
    let waiting_tx = Arc::new(Mutex::new(waiting_tx));
    {
        let (delay_next, gets) = (delay_next.clone(), gets.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let stream = stream.unwrap();
                let (delay_next, gets, waiting_tx) =
                    (delay_next.clone(), gets.clone(), waiting_tx.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut writer = stream;
                    while let Some(cmd) = read_command(&mut reader) {
                        if cmd[0].eq_ignore_ascii_case("GET") {
                            gets.fetch_add(1, Ordering::SeqCst);
                            if delay_next.swap(false, Ordering::SeqCst) {
                                waiting_tx.lock().unwrap().send(()).unwrap();
                                std::thread::sleep(Duration::from_millis(300));
                            }
                            let _ = writer.write_all(b"$-1\r\n");
                        } else {
                            let _ = writer.write_all(b"+OK\r\n");
                        }
                    }
                });
            }
        });
    }

    // Go's handlers ask for restarts (SA_RESTART); so does this one.
    // SAFETY: installs a handler that does nothing for SIGUSR1, which nothing else in this test binary uses.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = ignore_signal as *const () as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(
            libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()),
            0
        );
    }
    let mut config = RedisStorageConfig::new(format!("redis://127.0.0.1:{port}/0"));
    config.timeout = Duration::from_secs(3);
    let logger = Arc::new(vwo::log::StderrLogger);
    let store =
        Arc::new(vwo::RedisUserStorage::open(config, logger, vwo::LogLevel::Error).unwrap());
    let mut interrupted_rounds = 0;
    for round in 0..20 {
        let before = gets.load(Ordering::SeqCst);
        delay_next.store(true, Ordering::SeqCst);
        let s = store.clone();
        let lookup = std::thread::spawn(move || vwo::UserStorage::get(&*s, "user-1", "ab"));
        waiting_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        std::thread::sleep(Duration::from_millis(50)); // the reader is blocked in recv by now
                                                       // SAFETY: the thread is alive (joined below) and SIGUSR1 has the handler installed above.
        assert_eq!(
            unsafe { libc::pthread_kill(lookup.as_pthread_t(), libc::SIGUSR1) },
            0
        );
        assert_eq!(lookup.join().unwrap(), Ok(None), "round {round}");
        if gets.load(Ordering::SeqCst) - before == 2 {
            interrupted_rounds += 1;
            if interrupted_rounds == 3 {
                return;
            }
        }
    }
    panic!("only {interrupted_rounds} of 20 signalled lookups were interrupted: the retry was not exercised");
}
