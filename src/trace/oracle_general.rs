//! libCacheSim's `oracleGeneral` binary format: fixed 24-byte little-endian
//! records, one request each, no header.
//!
//! ```text
//! struct { u32 time_s; u64 obj_id; u32 obj_size; i64 next_access_vtime; }
//! e.g. 10 00 00 00 | 2a 00 00 00 00 00 00 00 | 00 04 00 00 | ff ff ff ff ff ff ff ff
//!      t = 16 s      object 42                  1024 bytes    never again (-1)
//! ```
//!
//! Every record is a read of object `obj_id` in database 0 (with
//! read-through, a miss fills `obj_size`, or the object's last known size
//! when the record says 0). Times are made relative to the first record. The
//! key's name is the id in decimal (its length and what class rules match);
//! `next_access_vtime` (the oracle's future knowledge) is ignored. A trailing
//! partial record is malformed (lenient) or an error naming its byte offset
//! (strict).

use super::sink::{Sink, Skip};

/// Bytes in one oracleGeneral record.
pub const RECORD: usize = 24;

/// Parses oracleGeneral records.
#[derive(Default)]
pub(crate) struct OracleParser;

impl OracleParser {
    /// Fetches, ahead of a record's parse, the interner's slot for its
    /// object (`far`, some records ahead) and then, once that slot is in the
    /// cache, the object's facts (`near`, half as far).
    #[inline]
    pub(crate) fn prefetch(far: &[u8], near: &[u8], sink: &Sink) {
        let id = |rec: &[u8]| {
            let mut b = [0u8; 8];
            b.copy_from_slice(rec.get(4..12)?);
            Some(u64::from_le_bytes(b))
        };
        if let Some(n) = id(far) {
            sink.prefetch_number(0, n);
        }
        if let Some(n) = id(near) {
            sink.prefetch_number_meta(0, n);
        }
    }

    /// Parses one whole record, queueing its read.
    pub(crate) fn parse(&mut self, rec: &[u8], sink: &mut Sink) -> Result<(), Skip> {
        let Some(rec) = rec.get(..RECORD) else {
            return Err(Skip::Malformed("short record".into()));
        };
        let u32_at = |i: usize| u32::from_le_bytes([rec[i], rec[i + 1], rec[i + 2], rec[i + 3]]);
        let time_s = u32_at(0);
        let mut id = [0u8; 8];
        id.copy_from_slice(&rec[4..12]);
        let obj_id = u64::from_le_bytes(id);
        let obj_size = u32_at(12);
        let t = sink.time_us(time_s as u64 * 1_000_000);
        let key = sink.key_number(0, obj_id)?;
        let cmd = sink.read(key, Some(obj_size));
        sink.note_len(key, obj_size);
        sink.push(t, key, cmd);
        Ok(())
    }
}

/// One record's bytes (for tests and tools that write the format).
pub fn oracle_general_record(
    time_s: u32,
    obj_id: u64,
    obj_size: u32,
    next_access_vtime: i64,
) -> [u8; RECORD] {
    let mut r = [0u8; RECORD];
    r[0..4].copy_from_slice(&time_s.to_le_bytes());
    r[4..12].copy_from_slice(&obj_id.to_le_bytes());
    r[12..16].copy_from_slice(&obj_size.to_le_bytes());
    r[16..24].copy_from_slice(&next_access_vtime.to_le_bytes());
    r
}
