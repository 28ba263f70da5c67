//! The sample table (`stbl`) expanded into one record per sample.
//!
//! Owns turning the run-length and chunk tables (`stts`, `ctts`, `stss`,
//! `stsz`/`stz2`, `stsc`, `stco`/`co64`) into per-sample file offset, size, decode
//! time, composition offset and sync flag, checking every table against the others
//! and every sample against the file length. It also owns the orderings derived from
//! the table (presentation rank, keyframe frame indices). It does no file I/O: the
//! caller passes the `stbl` payload and the file length.

use super::boxes::{child_boxes, ChildBox, FieldReader, FourCc};
use super::sample_entry::{parse_stsd, SampleEntry};
use super::Mp4ErrorKind;

/// Most samples one track may have (about 92 hours at 30 fps); a larger count is
/// treated as a lying table rather than allocated.
pub const MAX_SAMPLES: usize = 10_000_000;

const STBL: FourCc = FourCc::new(b"stbl");

/// One sample (one access unit) of the track, in decode order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Byte offset of the sample in the file; checked to lie inside it.
    pub offset: u64,
    /// Sample length in bytes.
    pub size: u32,
    /// Decode timestamp in track timescale units (sum of earlier `stts` deltas).
    pub decode_time: u64,
    /// This sample's `stts` delta, so the last sample's end time is known.
    pub duration: u32,
    /// `ctts` offset from decode to presentation time (signed, as FFmpeg writes it).
    pub composition_offset: i32,
    /// Random access point (`stss`; every sample when `stss` is absent).
    pub is_sync: bool,
}

impl Sample {
    /// Presentation timestamp in timescale units (decode time plus composition offset).
    pub fn presentation_time(&self) -> i64 {
        self.decode_time as i64 + i64::from(self.composition_offset)
    }
}

/// A track's sample description and its samples in decode order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleTable {
    /// The first `stsd` entry: codec, coded size, decoder configuration.
    pub entry: SampleEntry,
    /// Every sample, in decode (file table) order.
    pub samples: Vec<Sample>,
}

impl SampleTable {
    /// Parses an `stbl` payload of a file that is `file_len` bytes long.
    pub fn parse(stbl: &[u8], file_len: u64) -> Result<Self, Mp4ErrorKind> {
        let children = child_boxes(stbl)?;
        let entry = parse_stsd(required(&children, b"stsd")?)?;
        let sizes = match (find(&children, b"stsz"), find(&children, b"stz2")) {
            (Some(stsz), _) => parse_stsz(stsz)?,
            (None, Some(stz2)) => parse_stz2(stz2)?,
            (None, None) => return Err(missing(b"stsz")),
        };
        let sample_count = sizes.len();
        let durations = parse_stts(required(&children, b"stts")?, sample_count)?;
        let composition_offsets = match find(&children, b"ctts") {
            Some(ctts) => parse_ctts(ctts, sample_count)?,
            None => vec![0; sample_count],
        };
        let sync = match find(&children, b"stss") {
            Some(stss) => parse_stss(stss, sample_count)?,
            None => vec![true; sample_count],
        };
        let chunk_offsets = match (find(&children, b"stco"), find(&children, b"co64")) {
            (Some(stco), _) => parse_chunk_offsets(FourCc::new(b"stco"), stco, 4)?,
            (None, Some(co64)) => parse_chunk_offsets(FourCc::new(b"co64"), co64, 8)?,
            (None, None) => return Err(missing(b"stco")),
        };
        let offsets = sample_offsets(&parse_stsc(required(&children, b"stsc")?)?, &chunk_offsets, &sizes)?;

        let mut samples = Vec::with_capacity(sample_count);
        let mut decode_time = 0u64;
        for index in 0..sample_count {
            let (offset, size) = (offsets[index], sizes[index]);
            if offset.checked_add(u64::from(size)).is_none_or(|end| end > file_len) {
                return Err(Mp4ErrorKind::SampleOutsideFile {
                    index,
                    offset,
                    size,
                    file_len,
                });
            }
            samples.push(Sample {
                offset,
                size,
                decode_time,
                duration: durations[index],
                composition_offset: composition_offsets[index],
                is_sync: sync[index],
            });
            decode_time += u64::from(durations[index]);
        }
        Ok(Self { entry, samples })
    }

    /// Sum of all sample durations in timescale units (the decode span of the track).
    pub fn total_duration(&self) -> u64 {
        self.samples.iter().map(|sample| u64::from(sample.duration)).sum()
    }

    /// Presentation timestamps in timescale units relative to the earliest one,
    /// indexed by decode order.
    pub fn relative_presentation_times(&self) -> Vec<i64> {
        let first = self.samples.iter().map(Sample::presentation_time).min().unwrap_or(0);
        self.samples
            .iter()
            .map(|sample| sample.presentation_time() - first)
            .collect()
    }

    /// Frame indices (presentation order, ascending) of the sync samples.
    pub fn keyframe_frame_indices(&self) -> Vec<u64> {
        let samples: Vec<(i64, bool)> = self
            .samples
            .iter()
            .map(|sample| (sample.presentation_time(), sample.is_sync))
            .collect();
        keyframe_frame_indices(&samples)
    }
}

/// Frame indices in presentation order (ascending) of the key samples, given each
/// sample's `(presentation time, is key)` in decode order. Equal times keep decode order.
pub fn keyframe_frame_indices(samples: &[(i64, bool)]) -> Vec<u64> {
    let mut by_presentation: Vec<usize> = (0..samples.len()).collect();
    by_presentation.sort_by_key(|&index| (samples[index].0, index));
    by_presentation
        .iter()
        .enumerate()
        .filter(|(_, &index)| samples[index].1)
        .map(|(frame, _)| frame as u64)
        .collect()
}

/// One `stsc` run: chunks from `first_chunk` (1-based) on hold `samples_per_chunk` samples.
#[derive(Debug, Clone, Copy)]
struct ChunkRun {
    /// 1-based index of the first chunk of the run.
    first_chunk: u32,
    /// Samples in each chunk of the run.
    samples_per_chunk: u32,
}

fn find<'a>(children: &[ChildBox<'a>], fourcc: &[u8; 4]) -> Option<&'a [u8]> {
    children
        .iter()
        .find(|child| child.fourcc.0 == *fourcc)
        .map(|child| child.payload)
}

fn required<'a>(children: &[ChildBox<'a>], fourcc: &[u8; 4]) -> Result<&'a [u8], Mp4ErrorKind> {
    find(children, fourcc).ok_or_else(|| missing(fourcc))
}

fn missing(fourcc: &[u8; 4]) -> Mp4ErrorKind {
    Mp4ErrorKind::MissingBox {
        parent: STBL,
        child: FourCc::new(fourcc),
    }
}

fn check_sample_count(reader: &FieldReader<'_>, count: usize) -> Result<(), Mp4ErrorKind> {
    if count > MAX_SAMPLES {
        return Err(reader.invalid(format!(
            "claims {count} samples, more than the {MAX_SAMPLES} a track may have"
        )));
    }
    Ok(())
}

fn parse_stsz(stsz: &[u8]) -> Result<Vec<u32>, Mp4ErrorKind> {
    let mut reader = FieldReader::new(FourCc::new(b"stsz"), stsz);
    reader.full_box_version()?;
    let uniform_size = reader.u32()?;
    if uniform_size != 0 {
        let count = reader.u32()? as usize;
        check_sample_count(&reader, count)?;
        return Ok(vec![uniform_size; count]);
    }
    let count = reader.entry_count(4)?;
    check_sample_count(&reader, count)?;
    (0..count).map(|_| reader.u32()).collect()
}

fn parse_stz2(stz2: &[u8]) -> Result<Vec<u32>, Mp4ErrorKind> {
    let mut reader = FieldReader::new(FourCc::new(b"stz2"), stz2);
    reader.full_box_version()?;
    reader.skip(3)?;
    let field_bits = reader.u8()?;
    let count = reader.u32()? as usize;
    check_sample_count(&reader, count)?;
    let table = reader.take((count * usize::from(field_bits)).div_ceil(8))?;
    match field_bits {
        4 => Ok((0..count)
            .map(|index| {
                let byte = table[index / 2];
                u32::from(if index % 2 == 0 { byte >> 4 } else { byte & 0x0F })
            })
            .collect()),
        8 => Ok(table.iter().map(|&size| u32::from(size)).collect()),
        16 => Ok(table
            .chunks_exact(2)
            .map(|pair| u32::from(u16::from_be_bytes([pair[0], pair[1]])))
            .collect()),
        _ => Err(reader.invalid(format!("field size {field_bits} is not 4, 8 or 16"))),
    }
}

/// Expands `(count, value)` runs to one value per sample; runs past the last
/// sample are ignored, too few runs are an error.
fn expand_runs<T: Copy>(
    reader: &mut FieldReader<'_>,
    run_count: usize,
    sample_count: usize,
    read_value: impl Fn(&mut FieldReader<'_>) -> Result<T, Mp4ErrorKind>,
) -> Result<Vec<T>, Mp4ErrorKind> {
    let mut values = Vec::with_capacity(sample_count);
    for _ in 0..run_count {
        let run_len = reader.u32()? as usize;
        let value = read_value(reader)?;
        let take = run_len.min(sample_count - values.len());
        values.extend(std::iter::repeat_n(value, take));
    }
    if values.len() < sample_count {
        return Err(reader.invalid(format!("covers {} samples, the track has {sample_count}", values.len())));
    }
    Ok(values)
}

fn parse_stts(stts: &[u8], sample_count: usize) -> Result<Vec<u32>, Mp4ErrorKind> {
    let mut reader = FieldReader::new(FourCc::new(b"stts"), stts);
    reader.full_box_version()?;
    let run_count = reader.entry_count(8)?;
    expand_runs(&mut reader, run_count, sample_count, |reader| reader.u32())
}

fn parse_ctts(ctts: &[u8], sample_count: usize) -> Result<Vec<i32>, Mp4ErrorKind> {
    let mut reader = FieldReader::new(FourCc::new(b"ctts"), ctts);
    reader.full_box_version()?;
    let run_count = reader.entry_count(8)?;
    // Version 0 is nominally unsigned, but encoders write negative offsets there too;
    // reading both versions as signed is what FFmpeg does.
    expand_runs(&mut reader, run_count, sample_count, |reader| {
        reader.u32().map(|offset| offset as i32)
    })
}

fn parse_stss(stss: &[u8], sample_count: usize) -> Result<Vec<bool>, Mp4ErrorKind> {
    let mut reader = FieldReader::new(FourCc::new(b"stss"), stss);
    reader.full_box_version()?;
    let count = reader.entry_count(4)?;
    let mut sync = vec![false; sample_count];
    for _ in 0..count {
        let number = reader.u32()? as usize;
        if number == 0 || number > sample_count {
            return Err(reader.invalid(format!(
                "names sample {number}, the track has samples 1..={sample_count}"
            )));
        }
        sync[number - 1] = true;
    }
    Ok(sync)
}

fn parse_stsc(stsc: &[u8]) -> Result<Vec<ChunkRun>, Mp4ErrorKind> {
    let mut reader = FieldReader::new(FourCc::new(b"stsc"), stsc);
    reader.full_box_version()?;
    let count = reader.entry_count(12)?;
    let mut runs: Vec<ChunkRun> = Vec::with_capacity(count);
    for _ in 0..count {
        let first_chunk = reader.u32()?;
        let samples_per_chunk = reader.u32()?;
        reader.skip(4)?; // sample description index
        let previous_first = runs.last().map_or(0, |run| run.first_chunk);
        if first_chunk <= previous_first {
            return Err(reader.invalid(format!("first chunk {first_chunk} does not follow {previous_first}")));
        }
        runs.push(ChunkRun {
            first_chunk,
            samples_per_chunk,
        });
    }
    Ok(runs)
}

fn parse_chunk_offsets(fourcc: FourCc, payload: &[u8], offset_len: usize) -> Result<Vec<u64>, Mp4ErrorKind> {
    let mut reader = FieldReader::new(fourcc, payload);
    reader.full_box_version()?;
    let count = reader.entry_count(offset_len)?;
    (0..count)
        .map(|_| {
            if offset_len == 8 {
                reader.u64()
            } else {
                reader.u32().map(u64::from)
            }
        })
        .collect()
}

/// File offset of every sample: samples fill chunks in order, each chunk's samples
/// lie back to back from the chunk offset.
fn sample_offsets(runs: &[ChunkRun], chunk_offsets: &[u64], sizes: &[u32]) -> Result<Vec<u64>, Mp4ErrorKind> {
    let mut offsets = Vec::with_capacity(sizes.len());
    let chunk_count = chunk_offsets.len() as u64;
    for (run_index, run) in runs.iter().enumerate() {
        let next_first = runs
            .get(run_index + 1)
            .map_or(chunk_count + 1, |next| u64::from(next.first_chunk));
        for chunk in u64::from(run.first_chunk)..next_first.min(chunk_count + 1) {
            let mut offset = chunk_offsets[(chunk - 1) as usize];
            for _ in 0..run.samples_per_chunk {
                let Some(&size) = sizes.get(offsets.len()) else {
                    return Ok(offsets);
                };
                offsets.push(offset);
                offset = offset.saturating_add(u64::from(size));
            }
        }
    }
    if offsets.len() < sizes.len() {
        return Err(Mp4ErrorKind::InvalidBox {
            fourcc: FourCc::new(b"stsc"),
            detail: format!("chunks hold {} samples, the track has {}", offsets.len(), sizes.len()),
        });
    }
    Ok(offsets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::mp4::boxes::boxed;

    /// A full box whose payload is the version/flags word then the given u32 fields.
    fn full_box(fourcc: &[u8; 4], fields: &[u32]) -> Vec<u8> {
        let mut payload = vec![0u8; 4];
        for field in fields {
            payload.extend_from_slice(&field.to_be_bytes());
        }
        boxed(fourcc, &payload)
    }

    fn mp4v_stsd() -> Vec<u8> {
        let mut entry = vec![0u8; 78];
        entry[24..28].copy_from_slice(&[0, 64, 0, 48]);
        let mut payload = vec![0, 0, 0, 0, 0, 0, 0, 1];
        payload.extend(boxed(b"mp4v", &entry));
        boxed(b"stsd", &payload)
    }

    /// Five samples of sizes 10..50 in chunks of 2, 2 and 1 at 100, 200, 300;
    /// decode times 0, 512, ...; composition offsets 512, 1536, 0, 0, 512;
    /// samples 1 and 2 (1-based) are sync.
    fn five_sample_stbl(stts: &[u32], chunk_offsets: &[u32]) -> Vec<u8> {
        let mut stco_fields = vec![chunk_offsets.len() as u32];
        stco_fields.extend_from_slice(chunk_offsets);
        [
            mp4v_stsd(),
            full_box(b"stts", stts),
            full_box(b"ctts", &[4, 1, 512, 1, 1536, 2, 0, 1, 512]),
            full_box(b"stss", &[2, 1, 2]),
            full_box(b"stsz", &[0, 5, 10, 20, 30, 40, 50]),
            full_box(b"stsc", &[2, 1, 2, 1, 3, 1, 1]),
            full_box(b"stco", &stco_fields),
        ]
        .concat()
    }

    #[test]
    fn tables_expand_to_per_sample_records() {
        let table = SampleTable::parse(&five_sample_stbl(&[1, 5, 512], &[100, 200, 300]), 1000).unwrap();
        let offsets: Vec<u64> = table.samples.iter().map(|s| s.offset).collect();
        assert_eq!(offsets, vec![100, 110, 200, 230, 300]);
        let decode_times: Vec<u64> = table.samples.iter().map(|s| s.decode_time).collect();
        assert_eq!(decode_times, vec![0, 512, 1024, 1536, 2048]);
        let sync: Vec<bool> = table.samples.iter().map(|s| s.is_sync).collect();
        assert_eq!(sync, vec![true, true, false, false, false]);
        assert_eq!(table.samples[3].size, 40);
        assert_eq!(table.total_duration(), 2560);
        assert_eq!((table.entry.width, table.entry.height), (64, 48));
    }

    #[test]
    fn presentation_order_comes_from_composition_offsets() {
        let table = SampleTable::parse(&five_sample_stbl(&[1, 5, 512], &[100, 200, 300]), 1000).unwrap();
        // pts = 512, 2048, 1024, 1536, 2560
        assert_eq!(table.relative_presentation_times(), vec![0, 1536, 512, 1024, 2048]);
        assert_eq!(table.keyframe_frame_indices(), vec![0, 3]);
    }

    #[test]
    fn keyframes_follow_presentation_rank_with_ties_in_decode_order() {
        // Presentation ranks: sample 0 -> 1, 1 -> 0, 2 -> 3, 3 -> 2 (3 ties with 0, decode order wins).
        let samples = [(10, true), (0, false), (20, true), (10, true)];
        assert_eq!(keyframe_frame_indices(&samples), vec![1, 2, 3]);
    }

    #[test]
    fn stts_covering_too_few_samples_is_an_error() {
        let err = SampleTable::parse(&five_sample_stbl(&[1, 4, 512], &[100, 200, 300]), 1000).unwrap_err();
        assert_eq!(err.to_string(), "invalid 'stts' box: covers 4 samples, the track has 5");
    }

    #[test]
    fn too_few_chunks_is_an_error() {
        let err = SampleTable::parse(&five_sample_stbl(&[1, 5, 512], &[100, 200]), 1000).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid 'stsc' box: chunks hold 4 samples, the track has 5"
        );
    }

    #[test]
    fn sample_past_end_of_file_is_an_error() {
        let err = SampleTable::parse(&five_sample_stbl(&[1, 5, 512], &[100, 200, 300]), 340).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sample 4 at byte 300 (50 bytes) runs past the end of the file (340 bytes)"
        );
    }

    #[test]
    fn absurd_uniform_sample_count_is_refused() {
        let stbl = [mp4v_stsd(), full_box(b"stsz", &[1, u32::MAX])].concat();
        let err = SampleTable::parse(&stbl, 1000).unwrap_err();
        assert!(err.to_string().contains("claims 4294967295 samples"), "{err}");
    }

    #[test]
    fn stss_naming_a_missing_sample_is_an_error() {
        let mut stbl = five_sample_stbl(&[1, 5, 512], &[100, 200, 300]);
        let stss = full_box(b"stss", &[2, 1, 2]);
        let at = stbl.windows(stss.len()).position(|w| w == stss).unwrap();
        stbl[at + stss.len() - 1] = 9;
        let err = SampleTable::parse(&stbl, 1000).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid 'stss' box: names sample 9, the track has samples 1..=5"
        );
    }

    #[test]
    fn stz2_four_bit_sizes_unpack_high_nibble_first() {
        let mut payload = vec![0, 0, 0, 0, 0, 0, 0, 4];
        payload.extend_from_slice(&3u32.to_be_bytes());
        payload.extend_from_slice(&[0x12, 0x30]);
        assert_eq!(parse_stz2(&payload).unwrap(), vec![1, 2, 3]);
    }

    #[test]
    fn co64_offsets_are_64_bit() {
        let mut payload = vec![0, 0, 0, 0, 0, 0, 0, 1];
        payload.extend_from_slice(&0x1_0000_0010u64.to_be_bytes());
        assert_eq!(
            parse_chunk_offsets(FourCc::new(b"co64"), &payload, 8).unwrap(),
            vec![0x1_0000_0010]
        );
    }
}
