//! The last step of `scripts/build`: turns what binaryen writes into a module
//! that Nitro's activation accepts, without changing what the module does.
//!
//! Two rewrites, each sound for the modules Stylus runs:
//!
//! - **The `DataCount` section (id 12) is dropped.** binaryen writes it whenever
//!   bulk memory is enabled, and Nitro's user-program parser refuses it
//!   ("unsupported section type `DataCountSection`"). The section only serves
//!   validation of `memory.init` and `data.drop`, which Stylus rejects anyway
//!   (they have no price), so no accepted module needs it.
//! - **Active data segments are merged** until there are at most
//!   [`MAX_DATA_SEGMENTS`] (Nitro: "too many wasm datas"). Two neighbouring
//!   segments become one whose gap is filled with zero bytes. Memory starts
//!   zeroed, segments of one memory are applied in order and do not overlap
//!   after sorting, so the merged segment writes exactly the bytes the two
//!   wrote before. The narrowest gaps are closed first: zeros cost little
//!   after brotli, and the fewest bytes are added.
//!
//! Every other section is copied byte for byte.

use std::ops::Range;

use wasm_encoder::{ConstExpr, DataSection, Module, RawSection};
use wasmparser::{DataKind, Operator, Parser, Payload};

/// Nitro's limit on data segments in a user program.
pub const MAX_DATA_SEGMENTS: usize = 128;
/// Section id of the `DataCount` section.
pub const DATA_COUNT_SECTION_ID: u8 = 12;
/// Section id of the data section.
const DATA_SECTION_ID: u8 = 11;
#[cfg(test)]
/// Section id of the code section.
const CODE_SECTION_ID: u8 = 10;

/// Why a module cannot be finalized.
#[derive(Debug, thiserror::Error)]
pub enum FinalizeError {
    /// The bytes are not a module wasmparser can read.
    #[error("invalid WebAssembly: {0}")]
    Invalid(#[from] wasmparser::BinaryReaderError),
    /// A passive segment (only `memory.init` reads one, and Stylus rejects it).
    #[error("data segment {index} is passive: Stylus cannot use it (memory.init is rejected)")]
    PassiveSegment {
        /// Index of the segment.
        index: usize,
    },
    /// A segment whose offset is not an `i32.const` into memory 0.
    #[error("data segment {index} does not start at an i32.const offset in memory 0")]
    UnsupportedOffset {
        /// Index of the segment.
        index: usize,
    },
    /// Two segments write the same bytes.
    #[error("data segments overlap at offset {offset}")]
    Overlap {
        /// The first byte written twice.
        offset: u32,
    },
}

/// What [`finalize`] changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finalized {
    /// The rewritten module.
    pub wasm: Vec<u8>,
    /// Whether a `DataCount` section was removed.
    pub removed_data_count: bool,
    /// Data segments before.
    pub segments_before: usize,
    /// Data segments after.
    pub segments_after: usize,
    /// Zero bytes added to fill the gaps between merged segments.
    pub gap_bytes: u64,
}

/// One active data segment: where it starts in memory and its bytes.
#[derive(Debug, Clone)]
struct Segment {
    offset: u32,
    bytes: Vec<u8>,
}

impl Segment {
    fn end(&self) -> u64 {
        u64::from(self.offset) + self.bytes.len() as u64
    }
}

/// Rewrites `wasm` so that it has no `DataCount` section and at most
/// `max_segments` data segments. A module that already complies comes back
/// unchanged, byte for byte.
pub fn finalize(wasm: &[u8], max_segments: usize) -> Result<Finalized, FinalizeError> {
    let mut sections: Vec<(u8, Range<usize>)> = Vec::new();
    let mut segments: Option<Vec<Segment>> = None;
    let mut removed_data_count = false;

    for payload in Parser::new(0).parse_all(wasm) {
        let payload = payload?;
        if let Payload::DataSection(reader) = &payload {
            let mut read = Vec::new();
            for (index, data) in reader.clone().into_iter().enumerate() {
                let data = data?;
                let DataKind::Active { memory_index: 0, offset_expr } = data.kind else {
                    return Err(match data.kind {
                        DataKind::Passive => FinalizeError::PassiveSegment { index },
                        DataKind::Active { .. } => FinalizeError::UnsupportedOffset { index },
                    });
                };
                let mut ops = offset_expr.get_operators_reader();
                let offset = match (ops.read()?, ops.read()?) {
                    (Operator::I32Const { value }, Operator::End) => value.cast_unsigned(),
                    _ => return Err(FinalizeError::UnsupportedOffset { index }),
                };
                read.push(Segment { offset, bytes: data.data.to_vec() });
            }
            segments = Some(read);
        }
        let Some((id, range)) = payload.as_section() else { continue };
        if id == DATA_COUNT_SECTION_ID {
            removed_data_count = true;
            continue;
        }
        sections.push((id, range));
    }

    let segments_before = segments.as_ref().map_or(0, Vec::len);
    if !removed_data_count && segments_before <= max_segments {
        return Ok(Finalized {
            wasm: wasm.to_vec(),
            removed_data_count,
            segments_before,
            segments_after: segments_before,
            gap_bytes: 0,
        });
    }

    let (merged, gap_bytes) = match segments {
        Some(segments) => merge(segments, max_segments)?,
        None => (Vec::new(), 0),
    };
    let segments_after = merged.len();

    let mut module = Module::new();
    for (id, range) in sections {
        if id == DATA_SECTION_ID {
            let mut data = DataSection::new();
            for segment in &merged {
                let offset = ConstExpr::i32_const(segment.offset.cast_signed());
                data.active(0, &offset, segment.bytes.iter().copied());
            }
            module.section(&data);
        } else {
            module.section(&RawSection { id, data: &wasm[range] });
        }
    }
    Ok(Finalized {
        wasm: module.finish(),
        removed_data_count,
        segments_before,
        segments_after,
        gap_bytes,
    })
}

/// Sorts the segments by offset and merges the pairs with the narrowest gaps
/// until at most `max` remain. Returns the segments and the zero bytes added.
fn merge(mut segments: Vec<Segment>, max: usize) -> Result<(Vec<Segment>, u64), FinalizeError> {
    segments.sort_by_key(|s| s.offset);
    for pair in segments.windows(2) {
        if pair[0].end() > u64::from(pair[1].offset) {
            return Err(FinalizeError::Overlap { offset: pair[1].offset });
        }
    }
    let mut gap_bytes = 0_u64;
    while segments.len() > max.max(1) {
        // The narrowest gap (the first one on a tie, so the result is deterministic).
        let (at, gap) = segments
            .windows(2)
            .map(|pair| u64::from(pair[1].offset) - pair[0].end())
            .enumerate()
            .min_by_key(|&(at, gap)| (gap, at))
            .expect("two or more segments have a gap between them");
        let next = segments.remove(at + 1);
        let filled = usize::try_from(gap).expect("a gap inside 32-bit memory fits in usize");
        let first = &mut segments[at];
        first.bytes.resize(first.bytes.len() + filled, 0);
        first.bytes.extend_from_slice(&next.bytes);
        gap_bytes += gap;
    }
    Ok((segments, gap_bytes))
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    /// A module with `n` one-byte segments, two bytes apart, plus a `DataCount`
    /// section when `data_count` (wasm-encoder writes it on request).
    fn module(n: u32, data_count: bool) -> Vec<u8> {
        let mut data = String::new();
        for i in 0..n {
            let _ = writeln!(data, "(data (i32.const {}) \"\\{:02x}\")", 64 + 3 * i, i % 250 + 1);
        }
        let wasm = wat::parse_str(format!(
            r#"(module (memory (export "memory") 1)
               (func (export "user_entrypoint") (param i32) (result i32) i32.const 0)
               {data})"#
        ))
        .unwrap();
        if !data_count {
            return wasm;
        }
        // Re-encode with a `DataCount` section before the code section.
        let mut out = Module::new();
        for payload in Parser::new(0).parse_all(&wasm) {
            let payload = payload.unwrap();
            if let Some((id, range)) = payload.as_section() {
                if id == CODE_SECTION_ID {
                    out.section(&wasm_encoder::DataCountSection { count: n });
                }
                out.section(&RawSection { id, data: &wasm[range] });
            }
        }
        out.finish()
    }

    /// The bytes memory holds after instantiation, up to `len`.
    fn memory_image(wasm: &[u8], len: usize) -> Vec<u8> {
        let mut image = vec![0; len];
        for payload in Parser::new(0).parse_all(wasm) {
            if let Payload::DataSection(reader) = payload.unwrap() {
                for data in reader {
                    let data = data.unwrap();
                    let DataKind::Active { offset_expr, .. } = data.kind else { panic!() };
                    let Operator::I32Const { value } =
                        offset_expr.get_operators_reader().read().unwrap()
                    else {
                        panic!()
                    };
                    let start = usize::try_from(value).unwrap();
                    image[start..start + data.data.len()].copy_from_slice(data.data);
                }
            }
        }
        image
    }

    fn section_ids(wasm: &[u8]) -> Vec<u8> {
        Parser::new(0)
            .parse_all(wasm)
            .filter_map(|p| p.unwrap().as_section().map(|(id, _)| id))
            .collect()
    }

    #[test]
    fn a_compliant_module_is_returned_unchanged() {
        let wasm = module(5, false);
        let out = finalize(&wasm, MAX_DATA_SEGMENTS).unwrap();
        assert_eq!(out.wasm, wasm);
        assert!(!out.removed_data_count);
        assert_eq!((out.segments_before, out.segments_after, out.gap_bytes), (5, 5, 0));
    }

    #[test]
    fn drops_the_data_count_section_and_keeps_everything_else() {
        let wasm = module(3, true);
        assert!(section_ids(&wasm).contains(&DATA_COUNT_SECTION_ID));
        let out = finalize(&wasm, MAX_DATA_SEGMENTS).unwrap();
        assert!(out.removed_data_count);
        let ids = section_ids(&out.wasm);
        assert!(!ids.contains(&DATA_COUNT_SECTION_ID), "{ids:?}");
        let mut expected = section_ids(&wasm);
        expected.retain(|&id| id != DATA_COUNT_SECTION_ID);
        assert_eq!(ids, expected);
        assert_eq!(memory_image(&out.wasm, 128), memory_image(&wasm, 128));
        wasmparser::Validator::new().validate_all(&out.wasm).unwrap();
    }

    #[test]
    fn merges_segments_down_to_the_limit_with_the_same_memory_image() {
        let wasm = module(200, true);
        let out = finalize(&wasm, MAX_DATA_SEGMENTS).unwrap();
        assert_eq!((out.segments_before, out.segments_after), (200, 128));
        // Each merge closes one two-byte gap.
        assert_eq!(out.gap_bytes, 2 * (200 - 128));
        assert_eq!(memory_image(&out.wasm, 1024), memory_image(&wasm, 1024));
        wasmparser::Validator::new().validate_all(&out.wasm).unwrap();
    }

    #[test]
    fn closes_the_narrowest_gaps_first() {
        let segments = vec![
            Segment { offset: 0, bytes: vec![1] },
            Segment { offset: 100, bytes: vec![2] },
            Segment { offset: 103, bytes: vec![3] },
        ];
        let (merged, gap) = merge(segments, 2).unwrap();
        assert_eq!(gap, 2);
        assert_eq!(merged[1].offset, 100);
        assert_eq!(merged[1].bytes, vec![2, 0, 0, 3]);
    }

    #[test]
    fn refuses_overlapping_and_passive_segments() {
        let overlap = vec![
            Segment { offset: 0, bytes: vec![1, 2, 3] },
            Segment { offset: 2, bytes: vec![9] },
        ];
        assert!(matches!(merge(overlap, 1), Err(FinalizeError::Overlap { offset: 2 })));
        let passive = wat::parse_str(
            r#"(module (memory 1) (data "a") (data "b")
               (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
        )
        .unwrap();
        assert!(matches!(finalize(&passive, 1), Err(FinalizeError::PassiveSegment { index: 0 })));
    }
}
