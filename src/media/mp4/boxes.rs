//! ISO-BMFF box structure: box headers and bounds-checked field reads.
//!
//! Owns the rules for where a box starts and ends (32-bit size, 64-bit
//! `largesize`, size 0 = "to the end of the enclosing region") and the checks that
//! keep a lying size from reading past its region or allocating more than exists.
//! It knows nothing about what any particular box means; that belongs to
//! `sample_entry`, `sample_table` and `demux`.

use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;

use super::Mp4ErrorKind;

/// A four-character box or codec code such as `moov` or `avc1`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FourCc(pub [u8; 4]);

impl FourCc {
    /// Builds a code from its four ASCII bytes (`FourCc::new(b"moov")`).
    pub const fn new(code: &[u8; 4]) -> Self {
        Self(*code)
    }
}

impl fmt::Display for FourCc {
    /// Printable ASCII as is, anything else as `\xNN`, so garbage stays one readable line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &byte in &self.0 {
            if byte.is_ascii_graphic() || byte == b' ' {
                write!(f, "{}", byte as char)?;
            } else {
                write!(f, "\\x{byte:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCc({self})")
    }
}

/// Where one box lies in its source, already checked to fit inside its region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxHeader {
    /// Box type.
    pub fourcc: FourCc,
    /// Offset of the first header byte in the source.
    pub start: u64,
    /// 8 for a 32-bit size, 16 when the box uses a 64-bit `largesize`.
    pub header_len: u64,
    /// Total box size, header included (size 0 already resolved to "rest of region").
    pub size: u64,
}

impl BoxHeader {
    /// Offset of the first payload byte.
    pub fn payload_start(&self) -> u64 {
        self.start + self.header_len
    }

    /// Offset one past the last byte of the box.
    pub fn end(&self) -> u64 {
        self.start + self.size
    }
}

/// Reads the box header at the source's current position. `region_end` is the end
/// of the enclosing box (or the file length at top level); the box must fit inside it.
pub fn read_box_header<R: Read + Seek>(src: &mut R, region_end: u64) -> Result<BoxHeader, Mp4ErrorKind> {
    let start = src.stream_position()?;
    let remaining = region_end.saturating_sub(start);
    if remaining < 8 {
        return Err(Mp4ErrorKind::ShortRead {
            what: format!("box header at byte {start}"),
            needed: 8,
            remaining,
        });
    }
    let mut compact = [0u8; 8];
    src.read_exact(&mut compact)?;
    let compact_size = u32::from_be_bytes([compact[0], compact[1], compact[2], compact[3]]);
    let fourcc = FourCc([compact[4], compact[5], compact[6], compact[7]]);
    let (size, header_len) = match compact_size {
        0 => (remaining, 8),
        1 => {
            if remaining < 16 {
                return Err(Mp4ErrorKind::ShortRead {
                    what: format!("64-bit size of box '{fourcc}'"),
                    needed: 16,
                    remaining,
                });
            }
            let mut large = [0u8; 8];
            src.read_exact(&mut large)?;
            (u64::from_be_bytes(large), 16)
        }
        compact_size => (u64::from(compact_size), 8),
    };
    if size < header_len {
        return Err(Mp4ErrorKind::BoxSmallerThanHeader {
            fourcc,
            claimed: size,
            header_len,
        });
    }
    if size > remaining {
        return Err(Mp4ErrorKind::Truncated {
            fourcc,
            claimed: size,
            remaining,
        });
    }
    Ok(BoxHeader {
        fourcc,
        start,
        header_len,
        size,
    })
}

/// Headers of every box laid end to end in `region` of the source, in file order.
pub fn child_headers<R: Read + Seek>(src: &mut R, region: Range<u64>) -> Result<Vec<BoxHeader>, Mp4ErrorKind> {
    let mut headers = Vec::new();
    let mut position = region.start;
    while position < region.end {
        src.seek(SeekFrom::Start(position))?;
        let header = read_box_header(src, region.end)?;
        position = header.end();
        headers.push(header);
    }
    Ok(headers)
}

/// A box inside an in-memory parent, with its payload borrowed from the parent's bytes.
#[derive(Debug, Clone, Copy)]
pub struct ChildBox<'a> {
    /// Box type.
    pub fourcc: FourCc,
    /// Payload bytes, header excluded.
    pub payload: &'a [u8],
}

/// Splits an in-memory payload into the boxes laid end to end in it.
pub fn child_boxes(bytes: &[u8]) -> Result<Vec<ChildBox<'_>>, Mp4ErrorKind> {
    let mut cursor = std::io::Cursor::new(bytes);
    let headers = child_headers(&mut cursor, 0..bytes.len() as u64)?;
    Ok(headers
        .into_iter()
        .map(|header| ChildBox {
            fourcc: header.fourcc,
            // Both offsets were checked to lie within `bytes`, which fits in usize.
            payload: &bytes[header.payload_start() as usize..header.end() as usize],
        })
        .collect())
}

/// The payload of the first child of type `child` in the parent payload `bytes`.
pub fn require_child(parent: FourCc, bytes: &[u8], child: FourCc) -> Result<&[u8], Mp4ErrorKind> {
    child_boxes(bytes)?
        .into_iter()
        .find(|candidate| candidate.fourcc == child)
        .map(|found| found.payload)
        .ok_or(Mp4ErrorKind::MissingBox { parent, child })
}

/// Big-endian field reads over one box's payload, each checked against the bytes left.
pub struct FieldReader<'a> {
    /// The box being read, named in errors.
    fourcc: FourCc,
    /// The payload.
    bytes: &'a [u8],
    /// Offset of the next unread byte.
    position: usize,
}

impl<'a> FieldReader<'a> {
    /// Starts reading `bytes`, the payload of a box of type `fourcc`.
    pub fn new(fourcc: FourCc, bytes: &'a [u8]) -> Self {
        Self {
            fourcc,
            bytes,
            position: 0,
        }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    /// The next `len` bytes.
    pub fn take(&mut self, len: usize) -> Result<&'a [u8], Mp4ErrorKind> {
        if len > self.remaining() {
            return Err(Mp4ErrorKind::ShortRead {
                what: format!("field at byte {} of box '{}'", self.position, self.fourcc),
                needed: len as u64,
                remaining: self.remaining() as u64,
            });
        }
        let field = &self.bytes[self.position..self.position + len];
        self.position += len;
        Ok(field)
    }

    /// Skips `len` bytes of fields this reader does not need.
    pub fn skip(&mut self, len: usize) -> Result<(), Mp4ErrorKind> {
        self.take(len).map(|_| ())
    }

    /// The next byte.
    pub fn u8(&mut self) -> Result<u8, Mp4ErrorKind> {
        Ok(self.take(1)?[0])
    }

    /// The next big-endian u16.
    pub fn u16(&mut self) -> Result<u16, Mp4ErrorKind> {
        let field = self.take(2)?;
        Ok(u16::from_be_bytes([field[0], field[1]]))
    }

    /// The next big-endian u32.
    pub fn u32(&mut self) -> Result<u32, Mp4ErrorKind> {
        let field = self.take(4)?;
        Ok(u32::from_be_bytes([field[0], field[1], field[2], field[3]]))
    }

    /// The next big-endian u64.
    pub fn u64(&mut self) -> Result<u64, Mp4ErrorKind> {
        let high = self.u32()?;
        let low = self.u32()?;
        Ok((u64::from(high) << 32) | u64::from(low))
    }

    /// The version byte of a full box; the 24 flag bits are skipped.
    pub fn full_box_version(&mut self) -> Result<u8, Mp4ErrorKind> {
        let version = self.u8()?;
        self.skip(3)?;
        Ok(version)
    }

    /// Reads an entry count and checks that `count` entries of `entry_len` bytes
    /// really follow, so a lying count cannot trigger a huge allocation.
    pub fn entry_count(&mut self, entry_len: usize) -> Result<usize, Mp4ErrorKind> {
        let count = self.u32()? as usize;
        let needed = count as u64 * entry_len as u64;
        if needed > self.remaining() as u64 {
            return Err(Mp4ErrorKind::InvalidBox {
                fourcc: self.fourcc,
                detail: format!(
                    "claims {count} entries of {entry_len} bytes, only {} bytes follow",
                    self.remaining()
                ),
            });
        }
        Ok(count)
    }

    /// An error about this box's contents.
    pub fn invalid(&self, detail: String) -> Mp4ErrorKind {
        Mp4ErrorKind::InvalidBox {
            fourcc: self.fourcc,
            detail,
        }
    }
}

/// Serialises one box with a 32-bit size, for tests that hand-build containers.
#[cfg(test)]
pub(crate) fn boxed(fourcc: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut bytes = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    bytes.extend_from_slice(fourcc);
    bytes.extend_from_slice(payload);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn compact_size_header_gives_payload_bounds() {
        let bytes = boxed(b"free", &[1, 2, 3]);
        let header = read_box_header(&mut Cursor::new(&bytes), 11).unwrap();
        assert_eq!(header.fourcc, FourCc::new(b"free"));
        assert_eq!((header.start, header.header_len, header.size), (0, 8, 11));
        assert_eq!((header.payload_start(), header.end()), (8, 11));
    }

    #[test]
    fn largesize_header_is_sixteen_bytes() {
        let mut bytes = 1u32.to_be_bytes().to_vec();
        bytes.extend_from_slice(b"mdat");
        bytes.extend_from_slice(&20u64.to_be_bytes());
        bytes.extend_from_slice(&[0xAA; 4]);
        let header = read_box_header(&mut Cursor::new(&bytes), 20).unwrap();
        assert_eq!((header.header_len, header.size, header.payload_start()), (16, 20, 16));
    }

    #[test]
    fn size_zero_extends_to_region_end() {
        let mut bytes = 0u32.to_be_bytes().to_vec();
        bytes.extend_from_slice(b"mdat");
        bytes.extend_from_slice(&[0; 30]);
        let header = read_box_header(&mut Cursor::new(&bytes), 38).unwrap();
        assert_eq!(header.size, 38);
    }

    #[test]
    fn size_beyond_region_is_truncation_with_numbers() {
        let mut bytes = 5000u32.to_be_bytes().to_vec();
        bytes.extend_from_slice(b"moov");
        bytes.extend_from_slice(&[0; 112]);
        let err = read_box_header(&mut Cursor::new(&bytes), 120).unwrap_err();
        assert_eq!(err.to_string(), "truncated: box 'moov' claims 5000 bytes, 120 remain");
    }

    #[test]
    fn huge_largesize_is_truncation_not_allocation() {
        let mut bytes = 1u32.to_be_bytes().to_vec();
        bytes.extend_from_slice(b"mdat");
        bytes.extend_from_slice(&u64::MAX.to_be_bytes());
        let err = read_box_header(&mut Cursor::new(&bytes), 16).unwrap_err();
        assert!(matches!(
            err,
            Mp4ErrorKind::Truncated {
                claimed: u64::MAX,
                remaining: 16,
                ..
            }
        ));
    }

    #[test]
    fn size_smaller_than_header_is_rejected() {
        let mut bytes = 4u32.to_be_bytes().to_vec();
        bytes.extend_from_slice(b"free");
        let err = read_box_header(&mut Cursor::new(&bytes), 8).unwrap_err();
        assert!(matches!(
            err,
            Mp4ErrorKind::BoxSmallerThanHeader {
                claimed: 4,
                header_len: 8,
                ..
            }
        ));
    }

    #[test]
    fn short_header_is_a_short_read() {
        let err = read_box_header(&mut Cursor::new([0u8, 0, 0]), 3).unwrap_err();
        assert!(matches!(
            err,
            Mp4ErrorKind::ShortRead {
                needed: 8,
                remaining: 3,
                ..
            }
        ));
    }

    #[test]
    fn child_boxes_split_a_payload_and_require_child_finds_one() {
        let mut bytes = boxed(b"tkhd", &[1, 2]);
        bytes.extend(boxed(b"mdia", &[3, 4, 5]));
        let children = child_boxes(&bytes).unwrap();
        assert_eq!(children.len(), 2);
        assert_eq!(children[1].payload, &[3, 4, 5]);
        let trak = FourCc::new(b"trak");
        assert_eq!(require_child(trak, &bytes, FourCc::new(b"tkhd")).unwrap(), &[1, 2]);
        let err = require_child(trak, &bytes, FourCc::new(b"edts")).unwrap_err();
        assert_eq!(err.to_string(), "box 'trak' has no 'edts' box");
    }

    #[test]
    fn field_reader_reads_big_endian_and_refuses_overruns() {
        let bytes = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07];
        let mut reader = FieldReader::new(FourCc::new(b"stsz"), &bytes);
        assert_eq!(reader.u16().unwrap(), 0x0102);
        assert_eq!(reader.u32().unwrap(), 0x0304_0506);
        let err = reader.u16().unwrap_err();
        assert_eq!(
            err.to_string(),
            "truncated: field at byte 6 of box 'stsz' needs 2 bytes, 1 remain"
        );
    }

    #[test]
    fn lying_entry_count_is_rejected_before_allocation() {
        let bytes = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1];
        let mut reader = FieldReader::new(FourCc::new(b"stco"), &bytes);
        let err = reader.entry_count(4).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid 'stco' box: claims 4294967295 entries of 4 bytes, only 4 bytes follow"
        );
    }

    #[test]
    fn non_printable_fourcc_is_escaped() {
        assert_eq!(FourCc([0x1A, 0x45, b'a', b' ']).to_string(), "\\x1aEa ");
    }
}
