//! The embedded user storage: an LMDB environment (through `heed`) in a directory, for the processes of
//! one machine. Why LMDB (docs/STORAGE.md has the comparison): readers never block and never wait for a
//! writer; a lookup is a read transaction on a memory map (well under a microsecond); LMDB's lock file
//! makes it safe for several processes at once; a commit is durable (fsync) and the copy-on-write B-tree
//! never leaves a half-written record after a crash.
//!
//! One environment per directory per process: every client of the process opening the same directory
//! shares it (a process-wide registry keyed by the canonical path), as LMDB requires.
//!
//! Keys: `0x01, len(campaign) as u16 BE, campaign, user` (unambiguous, unlike `campaign:user`), or, when
//! longer than LMDB's 511-byte key limit, `0x02` + murmur3-x64-128 of the same bytes. Values: `0x01`
//! then the four record fields, each a u32 LE length and UTF-8 bytes (`goalIdentifiers` absent: length
//! `u32::MAX`). A lookup checks the record's user and campaign against the request.
//!
//! Fork: an LMDB environment may not be used in a forked child, so a child's first lookup or write (or
//! launch) closes the inherited copy and opens the environment again for itself.

use super::config::FileStorageConfig;
use super::{Stats, StorageCounters, UserStorage, UserStorageRecord};
use crate::{Error, ErrorKind};
use arc_swap::ArcSwapOption;
use heed::types::Bytes;
use heed::{Database, Env, EnvOpenOptions};
use once_cell::sync::Lazy;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// LMDB's default largest key.
const MAX_KEY: usize = 511;
/// Reader slots of the lock file: one per thread that reads, across all processes.
const MAX_READERS: u32 = 4096;
const KEY_PLAIN: u8 = 1;
const KEY_HASHED: u8 = 2;
const VALUE_V1: u8 = 1;

/// The environment as opened by one process.
struct Opened {
    pid: u32,
    env: Env,
    db: Database<Bytes, Bytes>,
}

/// One directory's store, shared by the clients of this process.
struct Shared {
    path: PathBuf,
    max_size_mb: usize,
    /// `None` only while being reopened (after a fork) or dropped.
    opened: ArcSwapOption<Opened>,
}

static REGISTRY: Lazy<Mutex<HashMap<PathBuf, Weak<Shared>>>> =
    Lazy::new(|| Mutex::new(HashMap::new()));

fn registry() -> MutexGuard<'static, HashMap<PathBuf, Weak<Shared>>> {
    match REGISTRY.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Close the environment while holding the registry, so a concurrent open of the same path
        // does not meet heed's "already open" error in between.
        let mut reg = registry();
        if reg.get(&self.path).is_some_and(|w| w.strong_count() == 0) {
            reg.remove(&self.path);
        }
        self.opened.store(None);
    }
}

impl Shared {
    /// Opens the environment for this process (after a fork: closes the parent's copy first, which
    /// LMDB allows — only the child's reader slots, none, are released — and heed requires).
    /// Called with the registry held.
    fn open_for_this_process(&self) -> Result<(), String> {
        let pid = std::process::id();
        if self.opened.load().as_ref().is_some_and(|o| o.pid == pid) {
            return Ok(());
        }
        self.opened.store(None);
        let mut attempts = 0;
        let env = loop {
            // LMDB maps the file: a page past a cut-short file's end would crash the process (SIGBUS)
            // on first touch, so the file is checked with plain reads first.
            check_data_file(&self.path.join("data.mdb"))?;
            match open_env(&self.path, self.max_size_mb) {
                Ok(env) => break env,
                // Another client of this process may be closing this environment right now.
                Err(heed::Error::EnvAlreadyOpened) if attempts < 200 => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(e) => return Err(e.to_string()),
            }
        };
        // Reader slots left by processes that died (crashed) are freed here.
        env.clear_stale_readers().map_err(|e| e.to_string())?;
        let mut wtxn = env.write_txn().map_err(|e| e.to_string())?;
        let db: Database<Bytes, Bytes> = env
            .create_database(&mut wtxn, None)
            .map_err(|e| e.to_string())?;
        wtxn.commit().map_err(|e| e.to_string())?;
        {
            let rtxn = env.read_txn().map_err(|e| e.to_string())?;
            db.first(&rtxn).map_err(|e| e.to_string())?;
        }
        self.opened.store(Some(Arc::new(Opened { pid, env, db })));
        Ok(())
    }
}

/// The embedded file store (see the module documentation).
pub struct FileUserStorage {
    shared: Arc<Shared>,
    stats: Stats,
}

impl std::fmt::Debug for FileUserStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileUserStorage")
            .field("path", &self.shared.path)
            .finish()
    }
}

fn open_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Storage,
        format!("user storage file {}: cannot open it: {e}", path.display()),
    )
}

/// Opens (or creates) the LMDB environment in `dir`.
#[allow(unsafe_code)]
fn open_env(dir: &Path, max_size_mb: usize) -> Result<Env, heed::Error> {
    let page = 4096usize;
    let size = max_size_mb.saturating_mul(1 << 20) / page * page;
    let mut options = EnvOpenOptions::new();
    options
        .map_size(size.max(page * 64))
        .max_readers(MAX_READERS)
        .max_dbs(0);
    // SAFETY: heed's contract for the memory map: the environment is opened once per process (the
    // registry above guarantees it: every client of the process shares this one), the files are only
    // changed through LMDB (its lock file serialises writers across processes), no unsafe flag
    // (NO_SYNC, NO_LOCK, WRITE_MAP) is set, and the data file was checked not to be cut short
    // (`check_data_file`). Files on a network filesystem are not supported (docs/STORAGE.md).
    unsafe { options.open(dir) }
}

impl FileUserStorage {
    /// Opens the store in `config.path` (a directory, created when missing). Fails with an
    /// [`ErrorKind::Storage`] error naming the path when it is not a directory, cannot be read or
    /// written, or holds a data file that is not an LMDB environment or is cut short (corrupt).
    pub fn open(config: &FileStorageConfig) -> Result<FileUserStorage, Error> {
        let dir = &config.path;
        std::fs::create_dir_all(dir).map_err(|e| open_error(dir, e))?;
        let canonical = dir.canonicalize().map_err(|e| open_error(dir, e))?;
        let mut reg = registry();
        let shared = match reg.get(&canonical).and_then(Weak::upgrade) {
            Some(shared) => shared,
            None => {
                let shared = Arc::new(Shared {
                    path: canonical.clone(),
                    max_size_mb: config.max_size_mb,
                    opened: ArcSwapOption::empty(),
                });
                reg.insert(canonical, Arc::downgrade(&shared));
                shared
            }
        };
        let opened = shared.open_for_this_process();
        drop(reg);
        opened.map_err(|e| open_error(dir, e))?;
        Ok(FileUserStorage {
            shared,
            stats: Stats::default(),
        })
    }

    /// Runs `f` on this process's environment (reopened after a fork). Holds an arc-swap guard, not
    /// a reference count: concurrent lookups write no shared cache line.
    fn with_opened<R>(&self, f: impl FnOnce(&Opened) -> Result<R, String>) -> Result<R, String> {
        {
            let guard = self.shared.opened.load();
            if let Some(o) = guard.as_deref() {
                if o.pid == std::process::id() {
                    return f(o);
                }
            }
        }
        let reg = registry();
        let reopened = self.shared.open_for_this_process();
        drop(reg);
        reopened.map_err(|e| {
            format!(
                "user storage file {}: cannot reopen it in this process: {e}",
                self.shared.path.display()
            )
        })?;
        let guard = self.shared.opened.load();
        match guard.as_deref() {
            Some(o) => f(o),
            None => Err("user storage file is closed".to_string()),
        }
    }

    fn lookup(
        &self,
        user_id: &str,
        campaign_key: &str,
    ) -> Result<Option<UserStorageRecord>, String> {
        let key = key(user_id, campaign_key);
        let found = self.with_opened(|o| {
            let rtxn = o.env.read_txn().map_err(|e| self.failure("read", e))?;
            let bytes = o.db.get(&rtxn, &key).map_err(|e| self.failure("read", e))?;
            Ok(bytes.map(decode))
        })?;
        let Some(decoded) = found else {
            return Ok(None);
        };
        let record = decoded.ok_or_else(|| {
            format!(
                "user storage file {}: unreadable record of user {user_id} in campaign {campaign_key}",
                self.shared.path.display()
            )
        })?;
        // A hashed key could (in theory) collide: the record must be the one asked for.
        Ok((record.user_id == user_id && record.campaign_key == campaign_key).then_some(record))
    }

    fn failure(&self, what: &str, e: heed::Error) -> String {
        format!(
            "user storage file {}: {what} failed: {e}",
            self.shared.path.display()
        )
    }
}

impl UserStorage for FileUserStorage {
    fn get(&self, user_id: &str, campaign_key: &str) -> Result<Option<UserStorageRecord>, String> {
        self.stats.read(self.lookup(user_id, campaign_key))
    }

    /// Commits the record durably (fsync) before returning `Ok`.
    fn set(&self, record: &UserStorageRecord) -> Result<(), String> {
        Stats::add(&self.stats.writes, 1);
        let key = key(&record.user_id, &record.campaign_key);
        let value = encode(record);
        let result = self.with_opened(|o| {
            let mut wtxn = o.env.write_txn().map_err(|e| self.failure("write", e))?;
            o.db.put(&mut wtxn, &key, &value)
                .map_err(|e| self.failure("write", e))?;
            wtxn.commit().map_err(|e| self.failure("commit", e))
        });
        match &result {
            Ok(()) => Stats::add(&self.stats.written, 1),
            Err(_) => {
                Stats::add(&self.stats.write_errors, 1);
                Stats::add(&self.stats.writes_dropped, 1);
            }
        }
        result
    }

    fn counters(&self) -> Option<StorageCounters> {
        Some(self.stats.snapshot(0))
    }
}

/// Checks, with plain reads, that LMDB's data file can be mapped safely: a valid meta page, and every
/// page the newest meta's trees reach through their branch pages (leaves included, overflow pages of
/// records over ~2 KB not) lies inside the file. A missing or empty file is a new store.
#[cfg(all(target_pointer_width = "64", target_endian = "little", unix))]
fn check_data_file(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::FileExt;
    const HDR: usize = 16; // page header: pgno u64, pad u16, flags u16, lower u16, upper u16
    const META_LEN: usize = HDR + 136;
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    if len == 0 {
        return Ok(());
    }
    let u16_at = |b: &[u8], o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
    let u32_at = |b: &[u8], o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    let u64_at = |b: &[u8], o: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[o..o + 8]);
        u64::from_le_bytes(a)
    };
    let not_lmdb = || "not an LMDB data file (corrupt)".to_string();
    let mut meta0 = [0u8; META_LEN];
    f.read_exact_at(&mut meta0, 0).map_err(|_| not_lmdb())?;
    // mm_psize is the free DB's md_pad (meta offset 24).
    let psize = u64::from(u32_at(&meta0, HDR + 24));
    if !(512..=65536).contains(&psize) || !psize.is_power_of_two() {
        return Err(not_lmdb());
    }
    let mut meta1 = [0u8; META_LEN];
    let metas: Vec<&[u8]> = if f.read_exact_at(&mut meta1, psize).is_ok() {
        vec![&meta0[..], &meta1[..]]
    } else {
        vec![&meta0[..]]
    };
    // The newest valid meta (magic and version), as LMDB picks it.
    let meta = metas
        .into_iter()
        .filter(|m| u32_at(m, HDR) == 0xBEEF_C0DE && u32_at(m, HDR + 4) == 1)
        .max_by_key(|m| u64_at(m, HDR + 128))
        .ok_or_else(not_lmdb)?;
    let pages = len / psize;
    let cut = |pgno: u64| {
        format!(
            "the data file is cut short or corrupt: page {pgno} is referenced but the file holds {pages} pages of {psize} bytes"
        )
    };
    let mut page = vec![0u8; usize::try_from(psize).map_err(|e| e.to_string())?];
    // Roots of the free-page DB and the main DB (md_root at +40 in each 48-byte MDB_db).
    for db in 0..2 {
        let root = u64_at(meta, HDR + 24 + db * 48 + 40);
        if root == u64::MAX {
            continue; // P_INVALID: empty tree
        }
        let mut stack = vec![root];
        let mut visited = 0u64;
        while let Some(pgno) = stack.pop() {
            if pgno >= pages {
                return Err(cut(pgno));
            }
            visited += 1;
            if visited > pages {
                return Err(not_lmdb()); // a cycle: not a tree
            }
            f.read_exact_at(&mut page, pgno * psize)
                .map_err(|e| e.to_string())?;
            let flags = u16_at(&page, 10);
            if flags & 0x01 == 0 {
                continue; // a leaf (or overflow) page: in the file, nothing below to follow
            }
            let lower = usize::from(u16_at(&page, 12));
            if lower < HDR || lower > page.len() {
                return Err(not_lmdb());
            }
            for i in 0..(lower - HDR) / 2 {
                let node = usize::from(u16_at(&page, HDR + 2 * i));
                if node + 8 > page.len() {
                    return Err(not_lmdb());
                }
                // NODEPGNO: mn_lo | mn_hi << 16 | mn_flags << 32.
                let child = u64::from(u16_at(&page, node))
                    | u64::from(u16_at(&page, node + 2)) << 16
                    | u64::from(u16_at(&page, node + 4)) << 32;
                stack.push(child);
            }
        }
    }
    Ok(())
}

#[cfg(not(all(target_pointer_width = "64", target_endian = "little", unix)))]
fn check_data_file(_path: &Path) -> Result<(), String> {
    Ok(())
}

fn key(user_id: &str, campaign_key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(3 + campaign_key.len() + user_id.len());
    k.push(KEY_PLAIN);
    let clen = u16::try_from(campaign_key.len()).unwrap_or(u16::MAX);
    k.extend_from_slice(&clen.to_be_bytes());
    k.extend_from_slice(campaign_key.as_bytes());
    k.extend_from_slice(user_id.as_bytes());
    if k.len() <= MAX_KEY && campaign_key.len() <= usize::from(u16::MAX) {
        return k;
    }
    let mut reader = &k[1..];
    let h = murmur3::murmur3_x64_128(&mut reader, 0).unwrap_or(0);
    let mut hashed = Vec::with_capacity(17);
    hashed.push(KEY_HASHED);
    hashed.extend_from_slice(&h.to_be_bytes());
    hashed
}

fn encode(r: &UserStorageRecord) -> Vec<u8> {
    let goals = r.goal_identifiers.as_deref();
    let mut v = Vec::with_capacity(
        17 + r.user_id.len()
            + r.campaign_key.len()
            + r.variation_name.len()
            + goals.map_or(0, str::len),
    );
    v.push(VALUE_V1);
    for field in [
        Some(r.user_id.as_str()),
        Some(r.campaign_key.as_str()),
        Some(r.variation_name.as_str()),
        goals,
    ] {
        match field {
            Some(s) => {
                v.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_le_bytes());
                v.extend_from_slice(s.as_bytes());
            }
            None => v.extend_from_slice(&u32::MAX.to_le_bytes()),
        }
    }
    v
}

fn decode(bytes: &[u8]) -> Option<UserStorageRecord> {
    let (&version, mut rest) = bytes.split_first()?;
    if version != VALUE_V1 {
        return None;
    }
    let mut field = || -> Option<Option<String>> {
        let (len, tail) = rest.split_at_checked(4)?;
        let len = u32::from_le_bytes(len.try_into().ok()?);
        if len == u32::MAX {
            rest = tail;
            return Some(None);
        }
        let (s, tail) = tail.split_at_checked(usize::try_from(len).ok()?)?;
        rest = tail;
        Some(Some(std::str::from_utf8(s).ok()?.to_string()))
    };
    let user_id = field()??;
    let campaign_key = field()??;
    let variation_name = field()??;
    let goal_identifiers = field()?;
    Some(UserStorageRecord {
        user_id,
        campaign_key,
        variation_name,
        goal_identifiers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let mut r = UserStorageRecord {
            user_id: "ü".into(),
            campaign_key: "c".into(),
            variation_name: "v".into(),
            goal_identifiers: None,
        };
        assert_eq!(decode(&encode(&r)), Some(r.clone()));
        r.goal_identifiers = Some(String::new());
        assert_eq!(decode(&encode(&r)), Some(r.clone()));
        assert_eq!(decode(&encode(&r)[..5]), None);
        assert_ne!(key("a:b", "c"), key("b", "c:a"));
        assert_eq!(key(&"x".repeat(600), "c").len(), 17);
    }
}
