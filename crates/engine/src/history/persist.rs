//! The long history on disk: one file, `history.bin` in the data directory,
//! written to a temporary name, fsynced and renamed over the old one (so a
//! crash mid-write leaves the previous file whole), then the directory is
//! fsynced.
//!
//! Layout, little-endian: the magic `BNCLHIST`, a u32 version, the u64
//! length of the body, the body, and a CRC-32 of the body. The body: the
//! time written (i64 ms), a u32 count of containers, and per container its
//! host, identity and id (u16 length + UTF-8), last seen (i64 ms), newest
//! event (i64 ns), per tier its bucket (i64 ms), bucket count (u32),
//! newest bucket (i64) and the buckets, 20 bytes each, oldest first; then
//! a u16 count of markers, each a kind (u8), a time (i64 ms) and an exit
//! code (u8 flag + i64).
//!
//! A file that is truncated, corrupt, from a newer version or unreadable
//! is reported in one log line, moved aside (never deleted), and Binnacle
//! starts with an empty history.

use std::io::Write;
use std::path::{Path, PathBuf};

use wire::{ContainerId, HostName, Marker, MarkerKind};

use super::tier::{Agg, Tier};
use super::{Container, History, TIERS};

const MAGIC: &[u8; 8] = b"BNCLHIST";
pub const VERSION: u32 = 1;
pub const FILE_NAME: &str = "history.bin";

const KINDS: [MarkerKind; 9] = [
    MarkerKind::Start,
    MarkerKind::Stop,
    MarkerKind::Restart,
    MarkerKind::Oom,
    MarkerKind::Pause,
    MarkerKind::Unpause,
    MarkerKind::Removed,
    MarkerKind::Recreated,
    MarkerKind::ServerRestart,
];

/// Why a history file was not loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read it: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a Binnacle history file")]
    NotHistory,
    #[error("written by a newer Binnacle (format {0}, this one reads up to {VERSION})")]
    Newer(u32),
    #[error("truncated")]
    Truncated,
    #[error("corrupt (checksum mismatch)")]
    Checksum,
    #[error("corrupt: {0}")]
    Corrupt(&'static str),
}

/// What [`load`] did.
#[derive(Debug)]
pub enum Loaded {
    /// No file yet.
    Nothing,
    /// The histories of this many containers came back.
    Containers(usize),
    /// The file was bad: moved to `moved_to`, history starts empty.
    MovedAside { error: LoadError, moved_to: Option<PathBuf> },
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    let b = &s.as_bytes()[..s.len().min(u16::MAX as usize)];
    out.extend_from_slice(&(b.len() as u16).to_le_bytes());
    out.extend_from_slice(b);
}

impl History {
    /// The whole history as the file's bytes.
    /// The history's lock is taken once per container (a fraction of a
    /// millisecond each), never for the whole snapshot: samples keep coming.
    pub fn encode(&self, now_ms: i64) -> Vec<u8> {
        let keys: Vec<_> = self.lock().containers.keys().cloned().collect();
        let per_container: usize = TIERS.iter().map(|(_, n)| n * 20 + 20).sum::<usize>() + 200;
        let mut body = Vec::with_capacity(16 + keys.len() * per_container);
        body.extend_from_slice(&now_ms.to_le_bytes());
        body.extend_from_slice(&0u32.to_le_bytes()); // the count, written below
        let mut count = 0u32;
        for key in keys {
            let inner = self.lock();
            let Some(c) = inner.containers.get(&key) else { continue }; // gone meanwhile
            count += 1;
            put_str(&mut body, c.host.as_str());
            put_str(&mut body, &c.identity);
            put_str(&mut body, c.id.as_str());
            body.extend_from_slice(&c.last_seen_ms.to_le_bytes());
            body.extend_from_slice(&c.last_event_nanos.to_le_bytes());
            for t in &c.tiers {
                body.extend_from_slice(&t.resolution_ms.to_le_bytes());
                body.extend_from_slice(&(t.len() as u32).to_le_bytes());
                match t.snapshot() {
                    Some((newest, aggs)) => {
                        body.extend_from_slice(&newest.to_le_bytes());
                        for a in aggs {
                            body.extend_from_slice(&a.to_bytes());
                        }
                    }
                    None => {
                        body.extend_from_slice(&i64::MIN.to_le_bytes());
                        body.resize(body.len() + t.len() * 20, 0);
                    }
                }
            }
            let markers = c.markers.len().min(u16::MAX as usize);
            body.extend_from_slice(&(markers as u16).to_le_bytes());
            for m in c.markers.iter().take(markers) {
                body.push(KINDS.iter().position(|k| *k == m.kind).unwrap_or(0) as u8);
                body.extend_from_slice(&m.t_ms.to_le_bytes());
                body.push(m.exit_code.is_some() as u8);
                body.extend_from_slice(&m.exit_code.unwrap_or(0).to_le_bytes());
            }
        }
        body[8..12].copy_from_slice(&count.to_le_bytes());
        let mut out = Vec::with_capacity(body.len() + 24);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        out
    }

    /// Replaces the history with the file's; nothing changes on an error.
    pub fn decode(&self, bytes: &[u8]) -> Result<usize, LoadError> {
        if bytes.len() < 20 {
            return Err(if MAGIC.starts_with(&bytes[..bytes.len().min(8)]) {
                LoadError::Truncated
            } else {
                LoadError::NotHistory
            });
        }
        if &bytes[..8] != MAGIC {
            return Err(LoadError::NotHistory);
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
        if version > VERSION {
            return Err(LoadError::Newer(version));
        }
        if version == 0 {
            return Err(LoadError::Corrupt("format 0"));
        }
        let len = u64::from_le_bytes(bytes[12..20].try_into().unwrap_or_default());
        let rest = &bytes[20..];
        if (rest.len() as u64) < len.saturating_add(4) {
            return Err(LoadError::Truncated);
        }
        let (body, crc) = rest.split_at(len as usize);
        if crc.len() != 4 {
            return Err(LoadError::Corrupt("bytes after the checksum"));
        }
        if crc32fast::hash(body).to_le_bytes() != crc[..4] {
            return Err(LoadError::Checksum);
        }
        let mut containers = parse_body(body)?;
        // Fewer allowed now than the file holds: the most recently seen.
        containers.sort_by_key(|c| std::cmp::Reverse(c.last_seen_ms));
        containers.truncate(self.config().max_containers.max(1));
        let n = containers.len();
        let mut inner = self.lock();
        inner.containers.clear();
        inner.ids.clear();
        for c in containers {
            if !c.identity.starts_with("id:") {
                inner.ids.insert((c.host.clone(), c.id.clone()), c.identity.clone());
            }
            inner.containers.insert((c.host.clone(), c.identity.clone()), c);
        }
        Ok(n)
    }

    /// Writes the file atomically: temporary name, fsync, rename, fsync of
    /// the directory.
    pub fn save(&self, dir: &Path, now_ms: i64) -> std::io::Result<usize> {
        let bytes = self.encode(now_ms);
        let tmp = dir.join(format!("{FILE_NAME}.tmp"));
        {
            // Container names are in it: readable by Binnacle's user only.
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, dir.join(FILE_NAME))?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(bytes.len())
    }

    /// Loads the file from `dir`, if there is one, drops what is past
    /// retention, and marks the restart. A bad file is moved aside.
    pub fn load(&self, dir: &Path, now_ms: i64) -> Loaded {
        let path = dir.join(FILE_NAME);
        let result = match std::fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Nothing,
            Err(e) => Err(LoadError::Io(e)),
            Ok(bytes) => self.decode(&bytes),
        };
        match result {
            Ok(n) => {
                self.expire(now_ms);
                self.mark_restart(now_ms);
                Loaded::Containers(n)
            }
            Err(error) => {
                let moved_to = dir.join(format!("{FILE_NAME}.bad-{}", now_ms / 1000));
                let moved_to = std::fs::rename(&path, &moved_to).ok().map(|_| moved_to);
                Loaded::MovedAside { error, moved_to }
            }
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], LoadError> {
        if self.b.len() < n {
            return Err(LoadError::Corrupt("a record runs past the end"));
        }
        let (head, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, LoadError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, LoadError> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().unwrap_or_default()))
    }
    fn u32(&mut self) -> Result<u32, LoadError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap_or_default()))
    }
    fn i64(&mut self) -> Result<i64, LoadError> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into().unwrap_or_default()))
    }
    fn str(&mut self) -> Result<&'a str, LoadError> {
        let n = self.u16()? as usize;
        std::str::from_utf8(self.take(n)?).map_err(|_| LoadError::Corrupt("a name is not UTF-8"))
    }
}

fn parse_body(body: &[u8]) -> Result<Vec<Container>, LoadError> {
    let mut r = Reader { b: body };
    let _written_ms = r.i64()?;
    let count = r.u32()? as usize;
    let mut out = Vec::with_capacity(count.min(10_000));
    for _ in 0..count {
        let host = HostName::parse(r.str()?).map_err(|_| LoadError::Corrupt("a host name"))?;
        let identity = r.str()?.to_string();
        let id = ContainerId::parse(r.str()?).map_err(|_| LoadError::Corrupt("a container id"))?;
        let last_seen_ms = r.i64()?;
        let mut c = Container::new(host, identity, id, last_seen_ms);
        c.last_event_nanos = r.i64()?;
        for (i, (res, len)) in TIERS.iter().enumerate() {
            let (file_res, file_len) = (r.i64()?, r.u32()? as usize);
            let newest = r.i64()?;
            if file_res != *res || file_len != *len {
                return Err(LoadError::Corrupt("a tier's bucket or length"));
            }
            let raw = r.take(len * 20)?;
            if newest == i64::MIN {
                continue;
            }
            // Bucket indices of times from 1970 to far beyond any clock.
            if !(0..=(1i64 << 50)).contains(&newest) {
                return Err(LoadError::Corrupt("a tier's newest bucket"));
            }
            let aggs: Vec<Agg> = raw.chunks_exact(20).map(Agg::from_bytes).collect();
            let mut tier = Tier::new(*res, *len);
            tier.restore(newest, &aggs);
            c.tiers[i] = tier;
        }
        for _ in 0..r.u16()? {
            let kind = *KINDS.get(r.u8()? as usize).ok_or(LoadError::Corrupt("a marker's kind"))?;
            let t_ms = r.i64()?;
            let has_code = r.u8()? != 0;
            let code = r.i64()?;
            c.markers.push_back(Marker { kind, t_ms, before_seq: 0, exit_code: has_code.then_some(code) });
            if c.markers.len() > super::MAX_MARKERS {
                c.markers.pop_front();
            }
        }
        out.push(c);
    }
    if !r.b.is_empty() {
        return Err(LoadError::Corrupt("bytes after the last container"));
    }
    Ok(out)
}
