//! The built-in embedded (LMDB) user storage: sticky assignments and goal de-duplication across a
//! process restart, several clients in one process, two processes writing at once, a process killed
//! mid-write (acknowledged writes survive), and clear launch errors for a corrupt or unusable store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod storage_support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Duration;
use storage_support::*;
use vwo::{
    Client, ErrorKind, FileStorageConfig, FileUserStorage, LaunchOptions, TrackCampaigns,
    UserStorage, UserStorageConfig, UserStorageRecord,
};

fn file(path: &Path) -> UserStorageConfig {
    UserStorageConfig::File(FileStorageConfig::new(path))
}

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user-{i}")).collect()
}

fn record(user: &str, variation: &str) -> UserStorageRecord {
    UserStorageRecord {
        user_id: user.into(),
        campaign_key: "ab".into(),
        variation_name: variation.into(),
        goal_identifiers: None,
    }
}

#[test]
fn sticky_across_a_process_restart_with_goal_dedup() {
    if child_role().as_deref() == Some("first-run") {
        let dir = PathBuf::from(std::env::var("VWO_STORE").unwrap());
        let (client, _) = launch(&settings((50, 50)), file(&dir));
        for u in users(50) {
            let v = client.activate("ab", &u, None).unwrap();
            let tracked = client
                .track(TrackCampaigns::One("ab"), &u, "CUSTOM", None)
                .unwrap()[0]
                .1;
            assert!(tracked);
            report(&format!("{u} {v}"));
        }
        return;
    }
    let dir = temp_dir("restart");
    let child = spawn_child(
        "sticky_across_a_process_restart_with_goal_dedup",
        "first-run",
        &[("VWO_STORE", dir.display().to_string())],
    );
    let first = child_output(child);
    assert_eq!(first.len(), 50);
    // The weights now send every new user to Control.
    let (client, events) = launch(&settings((100, 0)), file(&dir));
    let mut variation_1 = 0;
    for line in &first {
        let (u, v) = line.split_once(' ').unwrap();
        variation_1 += usize::from(v == "Variation-1");
        assert_eq!(client.activate("ab", u, None).as_deref(), Some(v), "{u}");
        let again = client
            .track(TrackCampaigns::One("ab"), u, "CUSTOM", None)
            .unwrap();
        assert!(
            !again[0].1,
            "{u}: goal already counted by the first process"
        );
    }
    assert!(variation_1 > 0);
    assert_eq!(events.get(), 0);
    let c = client.storage_counters().unwrap();
    assert_eq!((c.reads, c.hits, c.read_errors), (100, 100, 0), "{c:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn clients_of_one_process_share_the_store() {
    let dir = temp_dir("shared");
    let (a, _) = launch(&settings((50, 50)), file(&dir));
    let (b, _) = launch(&settings((100, 0)), file(&dir));
    let v = a.activate("ab", "Ashley", None).unwrap();
    assert_eq!(b.get_variation_name("ab", "Ashley", None), Some(v));
    drop(a);
    drop(b);
    // Closed and opened again in the same process.
    let (c, _) = launch(&settings((100, 0)), file(&dir));
    assert!(c.get_variation_name("ab", "Ashley", None).is_some());
    // Many threads, many clients, one directory.
    std::thread::scope(|s| {
        for t in 0..4 {
            let dir = dir.clone();
            s.spawn(move || {
                let (client, _) = launch(&settings((50, 50)), file(&dir));
                for i in 0..50 {
                    let u = format!("t{t}-{i}");
                    let v = client.activate("ab", &u, None).unwrap();
                    assert_eq!(client.get_variation_name("ab", &u, None), Some(v));
                }
            });
        }
    });
    let store = FileUserStorage::open(&FileStorageConfig::new(&dir)).unwrap();
    for t in 0..4 {
        assert!(store.get(&format!("t{t}-49"), "ab").unwrap().is_some());
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn two_processes_writing_at_once_lose_nothing() {
    if let Some(role) = child_role() {
        let dir = PathBuf::from(std::env::var("VWO_STORE").unwrap());
        let store = FileUserStorage::open(&FileStorageConfig::new(&dir)).unwrap();
        for i in 0..300 {
            store
                .set(&record(&format!("{role}-{i}"), "Control"))
                .unwrap();
            // The same key from both processes too: last writer wins, nothing torn.
            store.set(&record("shared", &role)).unwrap();
        }
        return;
    }
    let dir = temp_dir("two-writers");
    let test = "two_processes_writing_at_once_lose_nothing";
    let env = [("VWO_STORE", dir.display().to_string())];
    let a = spawn_child(test, "a", &env);
    let b = spawn_child(test, "b", &env);
    child_output(a);
    child_output(b);
    let store = FileUserStorage::open(&FileStorageConfig::new(&dir)).unwrap();
    for role in ["a", "b"] {
        for i in 0..300 {
            let u = format!("{role}-{i}");
            assert_eq!(store.get(&u, "ab").unwrap(), Some(record(&u, "Control")));
        }
    }
    let shared = store.get("shared", "ab").unwrap().unwrap();
    assert!(["a", "b"].contains(&shared.variation_name.as_str()));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn acknowledged_writes_survive_a_killed_process() {
    if child_role().as_deref() == Some("writer") {
        let dir = PathBuf::from(std::env::var("VWO_STORE").unwrap());
        let store = FileUserStorage::open(&FileStorageConfig::new(&dir)).unwrap();
        for i in 0.. {
            store.set(&record(&format!("u{i}"), "Variation-1")).unwrap();
            report(&format!("acked {i}"));
        }
        return;
    }
    let dir = temp_dir("crash");
    let mut child = spawn_child(
        "acknowledged_writes_survive_a_killed_process",
        "writer",
        &[("VWO_STORE", dir.display().to_string())],
    );
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut last = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(i) = line.find("@@ acked ") {
            last = Some(line[i + 9..].parse::<u64>().unwrap());
            if last >= Some(200) {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL, mid-write
    child.wait().unwrap();
    // Acknowledgements printed before the kill.
    for line in lines {
        let line = line.unwrap();
        if let Some(i) = line.find("@@ acked ") {
            if let Ok(n) = line[i + 9..].parse::<u64>() {
                last = Some(n); // a line cut by the kill does not parse
            }
        }
    }
    let last = last.unwrap();
    let store = FileUserStorage::open(&FileStorageConfig::new(&dir)).unwrap();
    for i in 0..=last {
        assert_eq!(
            store.get(&format!("u{i}"), "ab").unwrap(),
            Some(record(&format!("u{i}"), "Variation-1")),
            "acknowledged write {i} of {last} lost"
        );
    }
    // The store is still writable (the dead writer's lock and reader slot were released).
    store.set(&record("after", "Control")).unwrap();
    let _ = std::fs::remove_dir_all(dir);
}

fn launch_error(dir: &Path) -> vwo::Error {
    let options = LaunchOptions {
        user_storage_config: Some(file(dir)),
        ..Default::default()
    };
    match Client::launch(&settings((50, 50)), options) {
        Ok(_) => panic!("launched with a bad store at {}", dir.display()),
        Err(e) => e,
    }
}

#[test]
fn a_corrupt_or_unusable_store_fails_at_launch() {
    let dir = temp_dir("corrupt");
    std::fs::write(dir.join("data.mdb"), vec![0x5a; 64 * 1024]).unwrap();
    let e = launch_error(&dir);
    assert_eq!(e.kind(), ErrorKind::Storage);
    assert!(
        e.message().contains(&*dir.display().to_string()) && e.message().contains("cannot open"),
        "{e}"
    );

    // A store whose data file was cut short.
    let dir2 = temp_dir("truncated");
    {
        let store = FileUserStorage::open(&FileStorageConfig::new(&dir2)).unwrap();
        for i in 0..500 {
            store.set(&record(&format!("u{i}"), "Control")).unwrap();
        }
    }
    let data = dir2.join("data.mdb");
    let len = std::fs::metadata(&data).unwrap().len();
    assert!(len > 4 * 4096, "{len}");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&data)
        .unwrap()
        .set_len(3 * 4096)
        .unwrap();
    let e = launch_error(&dir2);
    assert_eq!(e.kind(), ErrorKind::Storage, "{e}");
    assert!(e.message().contains("cut short"), "{e}");

    // A data "file" that cannot be read.
    let dir3 = temp_dir("unreadable");
    std::fs::create_dir(dir3.join("data.mdb")).unwrap();
    assert_eq!(launch_error(&dir3).kind(), ErrorKind::Storage);
    let _ = std::fs::remove_dir_all(dir3);

    // A path that is a regular file, not a directory.
    let not_dir = dir.join("plain-file");
    std::fs::write(&not_dir, b"x").unwrap();
    let e = launch_error(&not_dir);
    assert_eq!(e.kind(), ErrorKind::Storage);
    assert!(e.message().contains("plain-file"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(dir2);
}

#[test]
fn memory_store_is_bounded() {
    let (client, _) = launch(
        &settings((50, 50)),
        UserStorageConfig::Memory {
            max_entries: Some(64),
        },
    );
    for u in users(1000) {
        client.activate("ab", &u, None).unwrap();
    }
    let c = client.storage_counters().unwrap();
    assert_eq!(c.writes, 1000);
    assert!(c.evicted >= 1000 - 64, "{c:?}");
    let _ = Duration::ZERO;
}
