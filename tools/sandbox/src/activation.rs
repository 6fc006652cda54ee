//! Offline activation check: what `ArbWasm.activateProgram` would reject,
//! decided from the artifact alone, rule for rule as Nitro decides it.
//!
//! Nitro's activation (read in `OffchainLabs/nitro` at commit `6dce8d13`:
//! `arbos/programs/programs.go`, `crates/prover/src/binary.rs`
//! `parse_with_version` / `parse_user` / `instrument`,
//! `crates/prover/src/programs/{start,depth,heap}.rs`,
//! `crates/prover/src/machine.rs` `from_binary`, `crates/prover/src/wavm.rs`)
//! runs these steps, and [`check_module`] runs them in the same order with
//! the same limits and error texts:
//!
//! 1. The deployed code is at most 24,576 bytes (`MaxCodeSize`) and its
//!    module decompresses to at most 128 KiB (`MaxWasmSize`).
//! 2. wasmparser validation with Nitro's feature set: mutable globals,
//!    saturating float-to-int, sign extension, bulk memory and floats on;
//!    multi-value on only before ArbOS 60; reference types, SIMD, threads,
//!    tail calls, multi-memory, exceptions, memory64, extended constants,
//!    function references and GC off.
//! 3. Sections: type, import, function, table, memory, global, export,
//!    start, element, data, code and custom are read; any other section
//!    (`DataCount`, tag, an unknown id) is "unsupported section type". Imports
//!    must be functions. The same import may not appear with two types, an
//!    export may not carry an import's name, and no import or export name may
//!    start with `stylus`.
//! 4. Instrumentation: no start function; every function's worst-case frame
//!    (values on the stack at once, with the meter's own values, plus its
//!    locals plus 4) at most 10,240 words and at most 4,096 values at once;
//!    no instruction outside the supported set (memory.init, data.drop,
//!    table instructions, reference types, atomics, SIMD, exceptions, tail
//!    calls); an initial memory of at most 128 pages (the heap bound), and a
//!    memory that can grow must import `vm_hooks.pay_for_memory_grow: (i32)`.
//! 5. `user_entrypoint: (i32) -> i32` and `memory` are exported.
//! 6. Counts: 1 memory, 128 data segments, 128 element segments, 4,096
//!    functions, 32,768 globals (4 of them added by instrumentation), 348
//!    declared locals and 65,536 instructions after instrumentation per
//!    function, 513 imports (from ArbOS 32), 4,096 table entries, 4,096 bytes
//!    of element segments; a module name of at most 512 bytes. (Nitro's
//!    1,024-export limit and export-name length are checked after it has
//!    dropped every export but `user_entrypoint` and `memory`, so neither
//!    can fail.)
//! 7. Building the module: every import is a host function Nitro provides,
//!    with its exact signature, and no floating-point operation (the user
//!    machine has no soft-float implementation to call).
//!
//! One deliberate difference: Nitro accepts a float constant, load or store
//! (it prices them at `u64::MAX` ink, so any block holding one runs out of
//! ink when it runs); the check refuses every float instruction up front, as
//! no working program can contain one.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use wasmparser::{
    BlockType, ExternalKind, FuncType, Operator, Parser, Payload, TypeRef, ValType, Validator,
    WasmFeatures,
};

use crate::host::HOSTIOS;
use crate::pricing::{ends_basic_block, opcode_ink, operator_name, Forbidden};

/// Largest deployed code (Stylus prefix plus brotli-compressed WASM), in
/// bytes: the chain's `MaxCodeSize`.
pub const MAX_COMPRESSED_BYTES: usize = 24_576;
/// Largest uncompressed WASM module, in bytes (`MaxWasmSize`).
pub const MAX_RAW_BYTES: usize = 131_072;
/// Bytes of the prefix (`EF F0 00` and the dictionary byte) in front of the
/// compressed module in deployed code.
pub const STYLUS_PREFIX_BYTES: usize = 4;
/// The only import module a release artifact may use.
pub const HOSTIO_MODULE: &str = "vm_hooks";
/// The debug import module, allowed only for debug builds.
pub const CONSOLE_MODULE: &str = "console";
/// The ArbOS version from which multi-value functions and blocks are
/// rejected (`ARBOS_VERSION_STYLUS_NO_MULTI_VALUE`).
pub const ARBOS_NO_MULTI_VALUE: u64 = 60;
/// The ArbOS version from which the import count is bounded
/// (`ARBOS_VERSION_STYLUS_CHARGING_FIXES`).
pub const ARBOS_CHARGING_FIXES: u64 = 32;

/// Nitro's limits on a user program (`parse_user`, `CompileConfig::version`
/// for Stylus versions 1 and 2, `StylusParams`).
pub mod limits {
    /// Memories.
    pub const MEMORIES: u64 = 1;
    /// Data segments.
    pub const DATAS: u64 = 128;
    /// Element segments.
    pub const ELEMENTS: u64 = 128;
    /// Defined functions.
    pub const FUNCTIONS: u64 = 4_096;
    /// Globals, the 4 that instrumentation adds included.
    pub const GLOBALS: u64 = 32_768;
    /// Declared locals of one function (parameters not counted).
    pub const LOCALS: u64 = 348;
    /// Instructions in one function body after instrumentation.
    pub const OPCODES: u64 = 65_536;
    /// Imports (from ArbOS 32).
    pub const IMPORTS: u64 = 513;
    /// Initial table entries, summed over tables.
    pub const TABLE_ENTRIES: u64 = 4_096;
    /// Bytes of element segments, summed (Nitro calls them "element entries").
    pub const ELEMENT_ENTRIES: u64 = 4_096;
    /// Bytes of the module name (in the `name` section).
    pub const NAME_BYTES: usize = 512;
    /// Words of one function's worst-case frame (`max_frame_size`).
    pub const FRAME_WORDS: u32 = 10 * 1024;
    /// Values on one function's stack at once (`max_frame_contention`).
    pub const FRAME_CONTENTION: u32 = 4_096;
    /// Initial pages (`heap_bound`, and `PageLimit` less the pages open).
    pub const PAGES: u64 = 128;
}

/// What the check allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckOptions {
    /// Accept imports from the `console` debug module (a debug chain).
    pub allow_console: bool,
    /// Report but do not fail on the size limits (every other check still
    /// applies). For an artifact on the project's checked-in waiver list only.
    pub waive_size: bool,
    /// The ArbOS version activating the program (multi-value is rejected
    /// from [`ARBOS_NO_MULTI_VALUE`]).
    pub arbos_version: u64,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            allow_console: false,
            waive_size: false,
            arbos_version: crate::pricing::GasSchedule::live().arbos_version,
        }
    }
}

/// Why an artifact would not activate. Each message follows Nitro's own.
#[derive(Debug, thiserror::Error)]
pub enum ActivationError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The bytes are not a module wasmparser can read.
    #[error("invalid WebAssembly: {0}")]
    Invalid(#[from] wasmparser::BinaryReaderError),
    /// wasmparser's validation under Nitro's feature set failed.
    #[error("failed to validate user: {0}")]
    Validation(String),
    /// The uncompressed module is larger than [`MAX_RAW_BYTES`].
    #[error("raw size {raw} bytes exceeds the limit of {limit} bytes (MaxWasmSize)")]
    RawTooLarge {
        /// Size of the module.
        raw: usize,
        /// The limit.
        limit: usize,
    },
    /// The deployed (prefixed, compressed) code is larger than [`MAX_COMPRESSED_BYTES`].
    #[error(
        "compressed size {compressed} bytes (+{prefix} prefix) exceeds the limit of {limit} bytes (MaxCodeSize)"
    )]
    CompressedTooLarge {
        /// Brotli-compressed size of the module.
        compressed: usize,
        /// Prefix bytes added on chain.
        prefix: usize,
        /// The limit.
        limit: usize,
    },
    /// A section Nitro's parser does not read (`DataCount`, tag, unknown ids).
    #[error("unsupported section type {0}")]
    UnsupportedSection(String),
    /// A multi-value function type or block, from ArbOS 60.
    #[error("type {index} returns {results} values: multi-value is rejected from ArbOS {ARBOS_NO_MULTI_VALUE}")]
    MultiValue {
        /// Index of the type.
        index: u32,
        /// Its number of results.
        results: usize,
    },
    /// An import that is not a function (memory, table, global, tag).
    #[error("unsupported import kind: `{module}.{name}` is not a function")]
    NonFunctionImport {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
    },
    /// The same import twice with different types.
    #[error("inconsistent imports for {module} {name}")]
    InconsistentImports {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
    },
    /// An export with the name of an import.
    #[error("binary exports an import with the same name {0}")]
    ExportsImport(String),
    /// An import or export whose name starts with `stylus`.
    #[error("binary {kind} reserved symbol {name}")]
    ReservedSymbol {
        /// `exports` or `imports`.
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// A start section.
    #[error("start functions not allowed")]
    StartFunction,
    /// An instruction Stylus rejects.
    #[error("function {function} uses {instruction} ({class})")]
    ForbiddenInstruction {
        /// Index of the function in the module's function index space.
        function: u32,
        /// The instruction, as wasmparser names it.
        instruction: String,
        /// Why it is rejected.
        class: Forbidden,
    },
    /// A function holds more values on its stack at once than Nitro allows.
    #[error("too many values on the stack at once in func {function}: {values} > {limit}")]
    StackContention {
        /// Index of the function in the module's function index space.
        function: u32,
        /// Worst-case values on the stack.
        values: u32,
        /// The limit.
        limit: u32,
    },
    /// A function's worst-case frame is larger than Nitro allows.
    #[error("frame too large: {words} > {limit}-word limit (func {function})")]
    FrameTooLarge {
        /// Index of the function in the module's function index space.
        function: u32,
        /// Words of the frame.
        words: u32,
        /// The limit.
        limit: u32,
    },
    /// The initial memory is larger than the heap bound.
    #[error("memory size {pages} exceeds bound {bound}")]
    MemoryExceedsBound {
        /// Initial pages.
        pages: u64,
        /// The bound.
        bound: u64,
    },
    /// A memory that may grow, without `vm_hooks.pay_for_memory_grow: (i32)`.
    #[error("memory can grow but vm_hooks.pay_for_memory_grow: (i32) -> () is not imported")]
    MissingGrowImport,
    /// A required export is missing or has the wrong kind.
    #[error("missing export with name {0}")]
    MissingExport(&'static str),
    /// `user_entrypoint` does not have the type `(i32) -> i32`.
    #[error("wrong type for user_entrypoint: it must be (i32) -> i32")]
    BadEntrypointType,
    /// More of something than Nitro's anti-DoS limits allow.
    #[error("too many wasm {what}: {count} > {limit}")]
    TooMany {
        /// What was counted, in Nitro's words.
        what: &'static str,
        /// How many the module has.
        count: u64,
        /// The limit.
        limit: u64,
    },
    /// An export or module name longer than 512 bytes.
    #[error("wasm {what} too long: {len} > {limit}")]
    NameTooLong {
        /// `name` or `module name`.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// An import Nitro does not provide (or `console` without a debug chain).
    #[error("No such import {name} in {module} for user")]
    UnknownImport {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
    },
    /// A known host function imported with the wrong signature.
    #[error("Import {name} for user has different function signature than export (in {module})")]
    ImportSignature {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
    },
}

/// Size and shape of an artifact that passed the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactReport {
    /// Name of the contract (the file stem).
    pub contract: String,
    /// Uncompressed size in bytes.
    pub raw_bytes: usize,
    /// Brotli (quality 11) compressed size in bytes, without the 4-byte prefix.
    pub compressed_bytes: usize,
    /// Number of functions defined in the module (imports excluded).
    pub functions: u32,
    /// Number of data segments (Nitro allows 128).
    pub data_segments: u32,
    /// The largest function frame, in words (Nitro allows 10,240).
    pub largest_frame: u32,
}

impl ArtifactReport {
    /// Deployed code size (prefix plus compressed module) as a percentage of
    /// [`MAX_COMPRESSED_BYTES`].
    #[allow(clippy::cast_precision_loss)]
    pub fn percent_of_limit(&self) -> f64 {
        (self.compressed_bytes + STYLUS_PREFIX_BYTES) as f64 * 100.0 / MAX_COMPRESSED_BYTES as f64
    }

    /// Whether the artifact is within both size limits.
    pub fn fits(&self) -> bool {
        self.compressed_bytes + STYLUS_PREFIX_BYTES <= MAX_COMPRESSED_BYTES
            && self.raw_bytes <= MAX_RAW_BYTES
    }
}

/// Brotli-compresses `wasm` the way Stylus tooling does (quality 11, window 22).
pub fn compress(wasm: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(wasm.len() / 3);
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        writer.write_all(wasm).expect("writing into a Vec cannot fail");
    }
    out
}

/// Shape of a module that [`check_module`] accepted: what the sandbox needs to
/// deploy it and what Nitro's cost model reads.
#[derive(Debug, Clone, Default)]
pub struct ModuleShape {
    /// The module's function types.
    pub types: Vec<FuncType>,
    /// Imported functions in order: module, name, type index.
    pub imports: Vec<(String, String, u32)>,
    /// Type index of each defined function.
    pub functions: Vec<u32>,
    /// Number of globals defined by the module.
    pub globals: u32,
    /// Initial pages of the module's memory.
    pub initial_pages: u64,
    /// Bytes of data segments, each segment's encoding summed (Nitro's `data_len`).
    pub data_bytes: u64,
    /// Bytes the data segments write (their payloads; activation gas).
    pub data_bytes_payload: u64,
    /// Bytes of element segments, each segment's encoding summed.
    pub element_bytes: u64,
    /// Number of data segments.
    pub data_segments: u32,
    /// Instructions of every defined function after Nitro's instrumentation,
    /// summed (activation gas).
    pub instrumented_instructions: u64,
    /// Worst-case frame of each defined function, in words: what Nitro's
    /// depth checker deducts from `MaxStackDepth` on entry.
    pub frames: Vec<u32>,
}

impl ModuleShape {
    /// Parameters plus results over the defined functions (Nitro's `type_len`).
    pub fn type_len(&self) -> u64 {
        self.functions
            .iter()
            .filter_map(|t| self.types.get(*t as usize))
            .map(|t| (t.params().len() + t.results().len()) as u64)
            .sum()
    }
}

/// Globals Nitro's instrumentation adds (ink left, ink status, the dynamic
/// meter's scratch and stack left): counted in the globals limit and in the
/// entry cost.
pub const INJECTED_GLOBALS: u64 = 4;

/// Instructions of one function after Nitro's instrumentation: the meter's
/// 12 per basic block, the dynamic meter's 17 per `memory.copy`/`fill`, the
/// depth checker's 12 on entry and 4 before every return (and before the
/// return it adds at the end), and the heap bound's 4 per `memory.grow`.
fn instrumented_len(ops: &[Operator<'_>]) -> u64 {
    let mut len = ops.len() as u64 + 12 + 5;
    for op in ops {
        len += match op {
            Operator::MemoryCopy { .. } | Operator::MemoryFill { .. } => 17,
            Operator::MemoryGrow { .. } | Operator::Return => 4,
            _ => 0,
        };
        if ends_basic_block(op) {
            len += 12;
        }
    }
    len
}

/// Nitro's validator features for a user program at `arbos_version`.
fn nitro_features(arbos_version: u64) -> WasmFeatures {
    let mut features = WasmFeatures::empty();
    for feature in [
        WasmFeatures::MUTABLE_GLOBAL,
        WasmFeatures::SATURATING_FLOAT_TO_INT,
        WasmFeatures::SIGN_EXTENSION,
        WasmFeatures::BULK_MEMORY,
        WasmFeatures::FLOATS,
        WasmFeatures::GC_TYPES,
    ] {
        features.set(feature, true);
    }
    features.set(WasmFeatures::MULTI_VALUE, arbos_version < ARBOS_NO_MULTI_VALUE);
    features
}

fn too_many(what: &'static str, count: u64, limit: u64) -> Result<(), ActivationError> {
    if count > limit {
        return Err(ActivationError::TooMany { what, count, limit });
    }
    Ok(())
}

/// What [`check_module`] gathers while reading the sections.
#[derive(Default)]
struct Sections {
    shape: ModuleShape,
    exports: Vec<(String, ExternalKind, u32)>,
    memories: u64,
    memory_max: Option<u64>,
    elements: u64,
    table_entries: u64,
    start: bool,
    module_name: Option<usize>,
    bodies_locals: Vec<u64>,
    bodies_ops: Vec<u64>,
}

/// Checks one module's structure and instructions (everything but size), in
/// Nitro's order.
#[allow(clippy::too_many_lines)] // one step each, in Nitro's order
pub fn check_module(wasm: &[u8], options: CheckOptions) -> Result<ModuleShape, ActivationError> {
    // Step 2: validation. A multi-value type is named before the validator's
    // generic message.
    if options.arbos_version >= ARBOS_NO_MULTI_VALUE {
        for payload in Parser::new(0).parse_all(wasm) {
            if let Payload::TypeSection(reader) = payload? {
                for (index, ty) in (0_u32..).zip(reader.into_iter_err_on_gc_types()) {
                    let ty = ty?;
                    if ty.results().len() > 1 {
                        return Err(ActivationError::MultiValue {
                            index,
                            results: ty.results().len(),
                        });
                    }
                }
            }
        }
    }
    // Named rejections of instructions come before the validator's generic
    // ones (which say "SIMD support is not enabled" and the like).
    forbidden_instructions(wasm)?;
    Validator::new_with_features(nitro_features(options.arbos_version))
        .validate_all(wasm)
        .map_err(|e| ActivationError::Validation(e.message().to_string()))?;

    // Step 3: the sections Nitro reads.
    let mut s = Sections::default();
    let mut bodies = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::Version { .. } | Payload::CodeSectionStart { .. } | Payload::End(_) => {}
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    s.shape.types.push(ty?);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    let TypeRef::Func(ty) = import.ty else {
                        return Err(ActivationError::NonFunctionImport {
                            module: import.module.to_string(),
                            name: import.name.to_string(),
                        });
                    };
                    s.shape.imports.push((import.module.to_string(), import.name.to_string(), ty));
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    s.shape.functions.push(ty?);
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    s.table_entries = s.table_entries.saturating_add(table?.ty.initial);
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory?;
                    s.memories += 1;
                    if s.memories == 1 {
                        s.shape.initial_pages = memory.initial;
                        s.memory_max = memory.maximum;
                    }
                }
            }
            Payload::GlobalSection(reader) => s.shape.globals = reader.count(),
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    s.exports.push((export.name.to_string(), export.kind, export.index));
                }
            }
            Payload::StartSection { .. } => s.start = true,
            Payload::ElementSection(reader) => {
                for element in reader {
                    s.elements += 1;
                    s.shape.element_bytes += element?.range.len() as u64;
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data?;
                    s.shape.data_segments += 1;
                    s.shape.data_bytes += data.range.len() as u64;
                    s.shape.data_bytes_payload += data.data.len() as u64;
                }
            }
            Payload::CodeSectionEntry(body) => bodies.push(body),
            Payload::CustomSection(reader) => {
                if reader.name() == "name" {
                    s.module_name = module_name_len(&reader);
                }
            }
            Payload::DataCountSection { .. } => {
                return Err(ActivationError::UnsupportedSection("DataCountSection".into()));
            }
            Payload::TagSection(_) => {
                return Err(ActivationError::UnsupportedSection("TagSection".into()));
            }
            Payload::UnknownSection { id, .. } => {
                return Err(ActivationError::UnsupportedSection(format!("unknown {id}")));
            }
            other => {
                let name = format!("{other:?}");
                let name = name.split([' ', '{', '(']).next().unwrap_or_default().to_string();
                return Err(ActivationError::UnsupportedSection(name));
            }
        }
    }
    let shape = &mut s.shape;

    let mut seen: Vec<(&str, &str, u32)> = Vec::new();
    for (module, name, ty) in &shape.imports {
        if seen.iter().any(|(m, n, t)| m == module && n == name && t != ty) {
            return Err(ActivationError::InconsistentImports {
                module: module.clone(),
                name: name.clone(),
            });
        }
        seen.push((module, name, *ty));
    }
    // Nitro compares an import's name with the last `__`-separated part of
    // every export name.
    for (_, name, _) in &shape.imports {
        if s.exports.iter().any(|(export, _, _)| export.rsplit("__").next() == Some(name.as_str()))
        {
            return Err(ActivationError::ExportsImport(name.clone()));
        }
    }
    let reserved = |name: &str| name.starts_with("stylus");
    if let Some((name, _, _)) =
        s.exports.iter().find(|(name, _, _)| name.rsplit("__").next().is_some_and(reserved))
    {
        return Err(ActivationError::ReservedSymbol { kind: "exports", name: name.clone() });
    }
    if let Some((_, name, _)) = shape.imports.iter().find(|(_, name, _)| reserved(name)) {
        return Err(ActivationError::ReservedSymbol { kind: "imports", name: name.clone() });
    }

    // Step 4: instrumentation.
    if s.start {
        return Err(ActivationError::StartFunction);
    }
    let imported = u32::try_from(shape.imports.len()).unwrap_or(u32::MAX);
    for (i, body) in (0_u32..).zip(&bodies) {
        let function = imported.saturating_add(i);
        let mut locals = 0_u64;
        for pair in body.get_locals_reader()? {
            locals += u64::from(pair?.0);
        }
        let mut ops = Vec::new();
        let mut reader = body.get_operators_reader()?;
        while !reader.eof() {
            ops.push(reader.read()?);
        }
        let worst = worst_case_stack(&ops, shape, function)?;
        if worst > limits::FRAME_CONTENTION {
            return Err(ActivationError::StackContention {
                function,
                values: worst,
                limit: limits::FRAME_CONTENTION,
            });
        }
        let words =
            u32::try_from(locals).unwrap_or(u32::MAX).saturating_add(worst).saturating_add(4);
        if words > limits::FRAME_WORDS {
            return Err(ActivationError::FrameTooLarge {
                function,
                words,
                limit: limits::FRAME_WORDS,
            });
        }
        shape.frames.push(words);
        s.bodies_locals.push(locals);
        let instrumented = instrumented_len(&ops);
        s.bodies_ops.push(instrumented);
        shape.instrumented_instructions += instrumented;
    }
    if s.memories > 0 {
        if shape.initial_pages > limits::PAGES {
            return Err(ActivationError::MemoryExceedsBound {
                pages: shape.initial_pages,
                bound: limits::PAGES,
            });
        }
        if s.memory_max != Some(shape.initial_pages) {
            let pay = shape
                .imports
                .iter()
                .find(|(m, n, _)| m == HOSTIO_MODULE && n == "pay_for_memory_grow");
            let typed = pay.and_then(|(_, _, ty)| shape.types.get(*ty as usize));
            if !typed.is_some_and(|t| t.params() == [ValType::I32] && t.results().is_empty()) {
                return Err(ActivationError::MissingGrowImport);
            }
        }
    }

    // Step 5: the exports Stylus needs.
    if !s.exports.iter().any(|(name, kind, _)| name == "memory" && *kind == ExternalKind::Memory) {
        return Err(ActivationError::MissingExport("memory"));
    }
    let Some(&(_, kind, entry)) = s.exports.iter().find(|(name, _, _)| name == "user_entrypoint")
    else {
        return Err(ActivationError::MissingExport("user_entrypoint"));
    };
    if kind != ExternalKind::Func {
        return Err(ActivationError::MissingExport("user_entrypoint"));
    }
    let entry_type = function_type(shape, entry);
    if entry_type.is_none_or(|t| t.params() != [ValType::I32] || t.results() != [ValType::I32]) {
        return Err(ActivationError::BadEntrypointType);
    }

    // Step 6: Nitro's anti-DoS counts.
    too_many("memories", s.memories, limits::MEMORIES)?;
    too_many("datas", u64::from(shape.data_segments), limits::DATAS)?;
    too_many("elements", s.elements, limits::ELEMENTS)?;
    // Nitro counts exports after dropping all but `user_entrypoint` and
    // `memory`, so its limit of 1,024 cannot be reached; likewise the length
    // of export names.
    too_many("functions", bodies.len() as u64, limits::FUNCTIONS)?;
    too_many("globals", u64::from(shape.globals) + INJECTED_GLOBALS, limits::GLOBALS)?;
    for (locals, ops) in s.bodies_locals.iter().zip(&s.bodies_ops) {
        too_many("locals", *locals, limits::LOCALS)?;
        too_many("opcodes in func body", *ops, limits::OPCODES)?;
    }
    if options.arbos_version >= ARBOS_CHARGING_FIXES {
        too_many("imports", shape.imports.len() as u64, limits::IMPORTS)?;
    }
    too_many("table entries", s.table_entries, limits::TABLE_ENTRIES)?;
    too_many("element entries", shape.element_bytes, limits::ELEMENT_ENTRIES)?;
    if let Some(len) = s.module_name.filter(|len| *len > limits::NAME_BYTES) {
        return Err(ActivationError::NameTooLong {
            what: "module name",
            len,
            limit: limits::NAME_BYTES,
        });
    }

    // Step 7: every import is one of Nitro's host functions, exactly typed.
    for (module, name, ty) in &shape.imports {
        let allowed =
            module == HOSTIO_MODULE || (options.allow_console && module == CONSOLE_MODULE);
        let hostio = HOSTIOS.iter().find(|h| h.module == module && h.name == name);
        let Some(hostio) = hostio.filter(|_| allowed) else {
            return Err(ActivationError::UnknownImport {
                module: module.clone(),
                name: name.clone(),
            });
        };
        let matches = shape.types.get(*ty as usize).is_some_and(|t| {
            t.params().iter().copied().map(val_char).eq(hostio.params.chars())
                && t.results().iter().copied().map(val_char).eq(hostio.results.chars())
        });
        if !matches {
            return Err(ActivationError::ImportSignature {
                module: module.clone(),
                name: name.clone(),
            });
        }
    }
    Ok(s.shape)
}

/// One character per value type, as [`crate::HostioSig`] spells signatures.
pub(crate) fn val_char(ty: ValType) -> char {
    match ty {
        ValType::I32 => 'i',
        ValType::I64 => 'I',
        ValType::F32 => 'f',
        ValType::F64 => 'F',
        _ => '?',
    }
}

/// Rejects, by name, every instruction Stylus cannot run, before the
/// validator's generic messages.
fn forbidden_instructions(wasm: &[u8]) -> Result<(), ActivationError> {
    let mut imported = 0_u32;
    let mut index = 0_u32;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if matches!(import?.ty, TypeRef::Func(_)) {
                        imported += 1;
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let function = imported.saturating_add(index);
                index += 1;
                let mut ops = body.get_operators_reader()?;
                while !ops.eof() {
                    let op = ops.read()?;
                    if let Err(class) = opcode_ink(&op, |_| 0) {
                        return Err(ActivationError::ForbiddenInstruction {
                            function,
                            instruction: operator_name(&op),
                            class,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn module_name_len(reader: &wasmparser::CustomSectionReader<'_>) -> Option<usize> {
    let names = wasmparser::NameSectionReader::new(wasmparser::BinaryReader::new(
        reader.data(),
        reader.data_offset(),
    ));
    for name in names {
        if let Ok(wasmparser::Name::Module { name, .. }) = name {
            return Some(name.len());
        }
    }
    None
}

fn function_type(shape: &ModuleShape, function: u32) -> Option<&FuncType> {
    let function = function as usize;
    let type_index = if function < shape.imports.len() {
        shape.imports[function].2
    } else {
        *shape.functions.get(function - shape.imports.len())?
    };
    shape.types.get(type_index as usize)
}

/// Nitro's depth checker: the most values one function holds on its stack
/// at once, counted over the code as Nitro instruments it. The ink meter puts
/// two values (`global.get`, `i64.const`) on top of the stack at the start of
/// every basic block, and the dynamic meter three above the operands of
/// `memory.copy`/`memory.fill`; both are counted, as Nitro counts its own
/// inserted code. Branches, returns and `unreachable` leave the count as it
/// is, and `else`/`end` restore the count of the enclosing scope.
fn worst_case_stack(
    ops: &[Operator<'_>],
    shape: &ModuleShape,
    function: u32,
) -> Result<u32, ActivationError> {
    #[allow(clippy::enum_glob_use)]
    use Operator::*;
    let invalid = || ActivationError::Validation(format!("malformed function {function}"));
    let arity = |ty: Option<&FuncType>| {
        ty.map(|ty| {
            let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            (count(ty.params().len()), count(ty.results().len()))
        })
        .ok_or_else(invalid)
    };
    let mut depth = StackCount::default();
    let mut scopes = vec![0_u32];
    // The meter's header at the start of the function.
    let mut block_start = true;
    for op in ops {
        if block_start {
            depth.peak(2);
        }
        block_start = ends_basic_block(op);
        match op {
            Block { blockty } | Loop { blockty } => {
                depth.block(*blockty, |index| arity(shape.types.get(index as usize)))?;
                scopes.push(depth.stack);
            }
            If { blockty } => {
                depth.pop(1);
                depth.block(*blockty, |index| arity(shape.types.get(index as usize)))?;
                scopes.push(depth.stack);
            }
            Else => depth.stack = *scopes.last().ok_or_else(invalid)?,
            End => depth.stack = scopes.pop().ok_or_else(invalid)?,
            Call { function_index } => {
                let (ins, outs) = arity(function_type(shape, *function_index))?;
                depth.push(outs);
                depth.pop(ins);
            }
            CallIndirect { type_index, .. } => {
                let (ins, outs) = arity(shape.types.get(*type_index as usize))?;
                depth.push(outs);
                depth.pop(ins + 1);
            }
            MemoryCopy { .. } | MemoryFill { .. } => {
                // The dynamic meter: the size moves to a scratch global, then
                // ink, ink, size and the coefficient are pushed.
                depth.peak(3);
                depth.pop(3);
            }
            LocalGet { .. }
            | GlobalGet { .. }
            | MemorySize { .. }
            | I32Const { .. }
            | I64Const { .. }
            | F32Const { .. }
            | F64Const { .. } => depth.push(1),
            Select
            | I32Store { .. }
            | I64Store { .. }
            | F32Store { .. }
            | F64Store { .. }
            | I32Store8 { .. }
            | I32Store16 { .. }
            | I64Store8 { .. }
            | I64Store16 { .. }
            | I64Store32 { .. } => depth.pop(2),
            Drop | BrIf { .. } | BrTable { .. } | LocalSet { .. } | GlobalSet { .. } => {
                depth.pop(1);
            }
            other if is_binary_or_compare(other) => depth.pop(1),
            // Unary operators, loads, conversions, `local.tee`, `memory.grow`,
            // branches, returns, `nop` and `unreachable` leave the count.
            _ => {}
        }
    }
    Ok(depth.worst)
}

/// The running and worst value count of [`worst_case_stack`].
#[derive(Default)]
struct StackCount {
    stack: u32,
    worst: u32,
}

impl StackCount {
    fn push(&mut self, n: u32) {
        self.stack = self.stack.saturating_add(n);
        self.worst = self.worst.max(self.stack);
    }

    fn pop(&mut self, n: u32) {
        self.stack = self.stack.saturating_sub(n);
    }

    /// `n` values above the current ones for a moment (inserted code).
    fn peak(&mut self, n: u32) {
        self.worst = self.worst.max(self.stack.saturating_add(n));
    }

    /// A block's type: one result slot, or a signature's results then params.
    fn block(
        &mut self,
        ty: BlockType,
        arity: impl Fn(u32) -> Result<(u32, u32), ActivationError>,
    ) -> Result<(), ActivationError> {
        match ty {
            BlockType::Empty => {}
            BlockType::Type(_) => self.push(1),
            BlockType::FuncType(index) => {
                let (ins, outs) = arity(index)?;
                self.push(outs);
                self.pop(ins);
            }
        }
        Ok(())
    }
}

/// Binary arithmetic and comparisons: two operands in, one result out.
fn is_binary_or_compare(op: &Operator<'_>) -> bool {
    let name = operator_name(op);
    let unary_compare = name == "I32Eqz" || name == "I64Eqz";
    let binary = [
        "Eq", "Ne", "LtS", "LtU", "GtS", "GtU", "LeS", "LeU", "GeS", "GeU", "Lt", "Gt", "Le", "Ge",
        "Add", "Sub", "Mul", "DivS", "DivU", "RemS", "RemU", "And", "Or", "Xor", "Shl", "ShrS",
        "ShrU", "Rotl", "Rotr", "Div", "Min", "Max", "Copysign",
    ];
    let scalar = name.starts_with("I32")
        || name.starts_with("I64")
        || name.starts_with("F32")
        || name.starts_with("F64");
    scalar && !unary_compare && binary.iter().any(|suffix| name[3..] == **suffix)
}

/// Checks one module's bytes, sizes included.
pub fn check_bytes(
    contract: &str,
    wasm: &[u8],
    options: CheckOptions,
) -> Result<ArtifactReport, ActivationError> {
    if wasm.len() > MAX_RAW_BYTES && !options.waive_size {
        return Err(ActivationError::RawTooLarge { raw: wasm.len(), limit: MAX_RAW_BYTES });
    }
    let shape = check_module(wasm, options)?;
    let compressed = compress(wasm).len();
    if compressed + STYLUS_PREFIX_BYTES > MAX_COMPRESSED_BYTES && !options.waive_size {
        return Err(ActivationError::CompressedTooLarge {
            compressed,
            prefix: STYLUS_PREFIX_BYTES,
            limit: MAX_COMPRESSED_BYTES,
        });
    }
    Ok(ArtifactReport {
        contract: contract.to_string(),
        raw_bytes: wasm.len(),
        compressed_bytes: compressed,
        functions: u32::try_from(shape.functions.len()).unwrap_or(u32::MAX),
        data_segments: shape.data_segments,
        largest_frame: shape.frames.iter().copied().max().unwrap_or(0),
    })
}

/// Reads and checks one artifact file.
pub fn check_file(path: &Path, options: CheckOptions) -> Result<ArtifactReport, ActivationError> {
    let wasm = std::fs::read(path)
        .map_err(|source| ActivationError::Io { path: path.to_path_buf(), source })?;
    let contract = path
        .file_stem()
        .map_or_else(|| path.display().to_string(), |s| s.to_string_lossy().into_owned());
    check_bytes(&contract, &wasm, options)
}

/// Formats reports as the table `scripts/check` prints.
pub fn format_table(reports: &[ArtifactReport]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<20} {:>10} {:>12} {:>10} {:>10} {:>6} {:>12}",
        "contract", "raw bytes", "compressed", "% of limit", "functions", "datas", "frame words"
    );
    for r in reports {
        let _ = writeln!(
            out,
            "{:<20} {:>10} {:>12} {:>9.1}% {:>10} {:>6} {:>12}{}",
            r.contract,
            r.raw_bytes,
            r.compressed_bytes,
            r.percent_of_limit(),
            r.functions,
            r.data_segments,
            r.largest_frame,
            if r.fits() { "" } else { "  OVER THE LIMIT (size waived)" }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    const VALID: &str = r#"(module
        (import "vm_hooks" "read_args" (func $read_args (param i32)))
        (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
        (memory (export "memory") 1 1)
        (func (export "user_entrypoint") (param $len i32) (result i32)
            i32.const 0
            call $read_args
            i32.const 0
            local.get $len
            call $write_result
            i32.const 0))"#;

    /// A valid module with `extra` spliced in before its entry point.
    fn module_with(extra: &str) -> String {
        format!(
            r#"(module
            {extra}
            (memory (export "memory") 1 1)
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#
        )
    }

    fn check_at(wat_src: &str, arbos_version: u64) -> Result<ModuleShape, ActivationError> {
        let wasm = wat::parse_str(wat_src).expect("test WAT parses");
        check_module(&wasm, CheckOptions { arbos_version, ..CheckOptions::default() })
    }

    fn check(wat_src: &str) -> Result<ArtifactReport, ActivationError> {
        let wasm = wat::parse_str(wat_src).expect("test WAT parses");
        check_bytes("Test", &wasm, CheckOptions::default())
    }

    fn too_many_of(err: ActivationError) -> (&'static str, u64, u64) {
        match err {
            ActivationError::TooMany { what, count, limit } => (what, count, limit),
            other => panic!("expected a count limit, got {other}"),
        }
    }

    #[test]
    fn accepts_valid_module() {
        let report = check(VALID).expect("valid module passes");
        assert_eq!(report.contract, "Test");
        assert_eq!(report.functions, 1);
        assert!(report.compressed_bytes > 0);
    }

    #[test]
    fn the_default_is_the_live_arbos_version() {
        assert_eq!(CheckOptions::default().arbos_version, 61);
    }

    #[test]
    fn rejects_float_op_naming_function() {
        let err = check(&module_with(
            "(func (param i64) (result i64)
                local.get 0
                f64.convert_i64_s
                f64.const 1.5
                f64.add
                i64.trunc_f64_s)",
        ))
        .unwrap_err();
        match err {
            ActivationError::ForbiddenInstruction { function, instruction, class } => {
                assert_eq!(function, 0);
                assert_eq!(instruction, "F64ConvertI64S");
                assert_eq!(class, Forbidden::FloatingPoint);
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn accepts_a_float_type_in_a_signature_as_nitro_does() {
        // Nitro's validator has floats on; only float operations fail.
        check(&module_with("(func (param f32))")).expect("a float parameter alone activates");
    }

    #[test]
    fn rejects_simd_atomics_tables_and_tail_calls_by_name() {
        let cases = [
            ("(func (result i32) i32.const 7 i32x4.splat i32x4.extract_lane 0)", Forbidden::Simd),
            ("(table 1 funcref) (func (result i32) table.size 0)", Forbidden::Table),
            ("(func $f (param i32) (result i32) local.get 0 return_call $f)", Forbidden::TailCall),
            ("(func (result i32) i32.const 0 i32.atomic.load)", Forbidden::Atomic),
            ("(func (result i32) ref.null func ref.is_null)", Forbidden::ReferenceType),
        ];
        for (extra, expected) in cases {
            match check(&module_with(extra)).unwrap_err() {
                ActivationError::ForbiddenInstruction { class, .. } => {
                    assert_eq!(class, expected, "{extra}");
                }
                other => panic!("{extra}: unexpected {other}"),
            }
        }
        // memory.init and data.drop have no price either.
        let init =
            module_with(r#"(data "x") (func i32.const 0 i32.const 0 i32.const 1 memory.init 0)"#);
        assert!(matches!(
            check(&init).unwrap_err(),
            ActivationError::ForbiddenInstruction { class: Forbidden::Unsupported, .. }
        ));
    }

    #[test]
    fn rejects_a_shared_memory_in_validation() {
        let err = check(
            r#"(module (memory (export "memory") 1 1 shared)
               (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
        )
        .unwrap_err();
        assert!(matches!(err, ActivationError::Validation(_)), "{err}");
        assert!(err.to_string().starts_with("failed to validate user:"), "{err}");
    }

    #[test]
    fn rejects_the_data_count_section() {
        let wasm = wat::parse_str(module_with(r#"(data (i32.const 64) "abc")"#)).unwrap();
        // Re-encode with a `DataCount` section before the code section.
        let mut out = wasm_encoder::Module::new();
        for payload in Parser::new(0).parse_all(&wasm) {
            if let Some((id, range)) = payload.unwrap().as_section() {
                if id == 10 {
                    out.section(&wasm_encoder::DataCountSection { count: 1 });
                }
                out.section(&wasm_encoder::RawSection { id, data: &wasm[range] });
            }
        }
        let err = check_module(&out.finish(), CheckOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "unsupported section type DataCountSection");
    }

    #[test]
    fn rejects_a_start_function() {
        let err = check(&module_with("(func $init) (start $init)")).unwrap_err();
        assert_eq!(err.to_string(), "start functions not allowed");
    }

    #[test]
    fn accepts_custom_sections() {
        let wasm = wat::parse_str(VALID).unwrap();
        let mut out = wasm_encoder::Module::new();
        for payload in Parser::new(0).parse_all(&wasm) {
            if let Some((id, range)) = payload.unwrap().as_section() {
                out.section(&wasm_encoder::RawSection { id, data: &wasm[range] });
            }
        }
        out.section(&wasm_encoder::CustomSection {
            name: "producers".into(),
            data: b"anything".into(),
        });
        check_module(&out.finish(), CheckOptions::default()).expect("custom sections pass");
    }

    #[test]
    fn rejects_missing_exports() {
        let err = check(
            r#"(module
            (memory 1 1)
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
        )
        .unwrap_err();
        assert!(matches!(err, ActivationError::MissingExport("memory")));
        let err = check(r#"(module (memory (export "memory") 1 1))"#).unwrap_err();
        assert_eq!(err.to_string(), "missing export with name user_entrypoint");
        let err = check(
            r#"(module (memory (export "memory") 1 1)
               (func (export "user_entrypoint") (param i64) (result i32) i32.const 0))"#,
        )
        .unwrap_err();
        assert!(matches!(err, ActivationError::BadEntrypointType));
    }

    #[test]
    fn rejects_imports_nitro_does_not_provide_or_types_differently() {
        let err = check(&module_with(r#"(import "env" "abort" (func))"#)).unwrap_err();
        assert_eq!(err.to_string(), "No such import abort in env for user");
        let err = check(&module_with(r#"(import "vm_hooks" "not_a_hostio" (func))"#)).unwrap_err();
        assert!(matches!(err, ActivationError::UnknownImport { .. }));
        let err = check(&module_with(r#"(import "vm_hooks" "read_args" (func (param i64)))"#))
            .unwrap_err();
        assert!(matches!(err, ActivationError::ImportSignature { .. }), "{err}");
        let err = check(&module_with(r#"(import "vm_hooks" "g" (global i32))"#)).unwrap_err();
        assert!(matches!(err, ActivationError::NonFunctionImport { .. }), "{err}");

        let console = module_with(r#"(import "console" "log_i64" (func (param i64)))"#);
        assert!(matches!(check(&console), Err(ActivationError::UnknownImport { .. })));
        let wasm = wat::parse_str(&console).unwrap();
        let debug = CheckOptions { allow_console: true, ..CheckOptions::default() };
        check_bytes("Debug", &wasm, debug).expect("console allowed on a debug chain");
    }

    #[test]
    fn rejects_inconsistent_reexported_and_reserved_names() {
        let inconsistent = module_with(
            r#"(import "vm_hooks" "msg_reentrant" (func (result i32)))
               (import "vm_hooks" "msg_reentrant" (func (result i64)))"#,
        );
        assert_eq!(
            check(&inconsistent).unwrap_err().to_string(),
            "inconsistent imports for vm_hooks msg_reentrant"
        );
        let reexported = module_with(
            r#"(import "vm_hooks" "msg_reentrant" (func (result i32)))
               (func (export "lib__msg_reentrant"))"#,
        );
        assert_eq!(
            check(&reexported).unwrap_err().to_string(),
            "binary exports an import with the same name msg_reentrant"
        );
        let reserved = module_with(r#"(func (export "stylus_start"))"#);
        assert_eq!(
            check(&reserved).unwrap_err().to_string(),
            "binary exports reserved symbol stylus_start"
        );
    }

    #[test]
    fn multi_value_is_rejected_from_arbos_60_only() {
        let pair = module_with("(func (result i32 i32) i32.const 1 i32.const 2)");
        let err = check_at(&pair, 61).unwrap_err();
        assert!(matches!(err, ActivationError::MultiValue { results: 2, .. }), "{err}");
        check_at(&pair, 51).expect("multi-value activates before ArbOS 60");
    }

    #[test]
    fn memory_is_bounded_and_growth_needs_the_pay_import() {
        let big = r#"(module (memory (export "memory") 129 129)
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#;
        assert_eq!(check(big).unwrap_err().to_string(), "memory size 129 exceeds bound 128");
        let growable = r#"(module (memory (export "memory") 1)
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#;
        assert!(matches!(check(growable).unwrap_err(), ActivationError::MissingGrowImport));
        let paid = r#"(module (import "vm_hooks" "pay_for_memory_grow" (func (param i32)))
            (memory (export "memory") 1)
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#;
        check(paid).expect("a growable memory with the pay import activates");
        let two = r#"(module (memory (export "memory") 1 1) (memory 1 1)
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#;
        // Multi-memory is off in Nitro's validator.
        assert!(matches!(check(two).unwrap_err(), ActivationError::Validation(_)));
    }

    #[test]
    fn rejects_more_than_128_data_segments() {
        let mut extra = String::new();
        for i in 0..129 {
            let _ = write!(extra, "(data (i32.const {}) \"x\")", 64 + 2 * i);
        }
        assert_eq!(too_many_of(check(&module_with(&extra)).unwrap_err()), ("datas", 129, 128));
        let mut fine = String::new();
        for i in 0..128 {
            let _ = write!(fine, "(data (i32.const {}) \"x\")", 64 + 2 * i);
        }
        assert_eq!(check(&module_with(&fine)).unwrap().data_segments, 128);
    }

    #[test]
    fn rejects_more_than_128_element_segments_and_4096_element_bytes() {
        let mut extra = String::from("(table 200 funcref) (func $f)");
        for i in 0..129 {
            let _ = write!(extra, "(elem (i32.const {i}) $f)");
        }
        assert_eq!(too_many_of(check(&module_with(&extra)).unwrap_err()), ("elements", 129, 128));
        // One segment of 5,000 one-byte items takes more than 4,096 bytes;
        // Nitro counts the bytes, not the items (nor the table's size).
        let items = " $f".repeat(5_000);
        let bytes = format!("(table 1 funcref) (func $f) (elem (i32.const 0){items})");
        let (what, count, limit) = too_many_of(check(&module_with(&bytes)).unwrap_err());
        assert_eq!((what, limit), ("element entries", 4_096));
        assert!(count > 4_096, "{count}");
    }

    #[test]
    fn rejects_more_than_4096_table_entries() {
        let err = check(&module_with("(table 4097 funcref)")).unwrap_err();
        assert_eq!(too_many_of(err), ("table entries", 4_097, 4_096));
    }

    #[test]
    fn rejects_more_than_4096_functions() {
        let extra = "(func)".repeat(4_096);
        // 4,096 plus the entry point.
        assert_eq!(
            too_many_of(check(&module_with(&extra)).unwrap_err()),
            ("functions", 4_097, 4_096)
        );
    }

    #[test]
    fn rejects_more_globals_than_nitro_leaves_room_for() {
        let extra = "(global i32 (i32.const 0))".repeat(32_765);
        // 32,765 plus the 4 that instrumentation adds.
        let err = check_at(&module_with(&extra), 61).unwrap_err();
        assert_eq!(too_many_of(err), ("globals", 32_769, 32_768));
        check_at(&module_with(&"(global i32 (i32.const 0))".repeat(32_764)), 61)
            .expect("32,764 fit");
    }

    #[test]
    fn rejects_more_than_348_locals_per_function() {
        let err = check(&module_with("(func (local i32) (local i64) (local i32) (local i64)) (func (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (local i64)) (func (param i32) (local i64 i32 i32))")).map(|_| ());
        assert!(err.is_ok(), "few locals pass: {err:?}");
        let locals = " i32".repeat(349);
        let err = check(&module_with(&format!("(func (local{locals}))"))).unwrap_err();
        assert_eq!(too_many_of(err), ("locals", 349, 348));
        // Parameters do not count.
        let params = " i32".repeat(400);
        check(&module_with(&format!("(func (param{params}))"))).expect("parameters are not locals");
    }

    #[test]
    fn rejects_more_than_513_imports_from_arbos_32() {
        let extra = r#"(import "vm_hooks" "msg_reentrant" (func (result i32)))"#.repeat(514);
        let src = module_with(&extra);
        assert_eq!(too_many_of(check_at(&src, 61).unwrap_err()), ("imports", 514, 513));
        check_at(&src, 31).expect("no import limit before ArbOS 32");
    }

    #[test]
    fn rejects_function_bodies_over_65536_instructions_after_instrumentation() {
        // 21,000 `nop; nop; drop`-free ops: each `i32.const; drop` pair is
        // 2 instructions and the body's instrumentation adds 12 + 17 + 12.
        let body = "nop ".repeat(65_536 - 12 - 5 - 12 - 1);
        let fits = module_with(&format!("(func {body})"));
        check(&fits).expect("65,536 after instrumentation fit");
        let over = module_with(&format!("(func nop {body})"));
        assert_eq!(
            too_many_of(check(&over).unwrap_err()),
            ("opcodes in func body", 65_537, 65_536)
        );
    }

    #[test]
    fn rejects_a_module_name_over_512_bytes() {
        let name = "m".repeat(513);
        let src = format!(
            r#"(module ${name} (memory (export "memory") 1 1)
               (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#
        );
        assert_eq!(check(&src).unwrap_err().to_string(), "wasm module name too long: 513 > 512");
    }

    #[test]
    fn frames_are_counted_as_nitro_counts_them() {
        let shape = check_at(
            &module_with(
                "(func $three (param i32 i32 i32) (result i32) i32.const 0)
                 (func (local i64)
                    i32.const 1 i32.const 2 i32.const 3
                    call $three
                    drop)
                 (func (param i32) (result i32) (local i32 i32)
                    i32.const 1 i32.const 2 i32.add)",
            ),
            61,
        )
        .unwrap();
        // $three: the meter's header (2) over an empty stack, then one
        // constant: worst 2, no locals: 2 + 0 + 4.
        assert_eq!(shape.frames[0], 6);
        // Three constants, then the call pushes its result before popping
        // its three arguments: 4 at once; plus one local and 4.
        assert_eq!(shape.frames[1], 4 + 1 + 4);
        // Two constants (2), the header (2 at an empty stack): 2; two locals.
        assert_eq!(shape.frames[2], 2 + 2 + 4);
        // memory.fill: the dynamic meter's three values over its operands.
        let fill =
            check_at(&module_with("(func i32.const 0 i32.const 0 i32.const 8 memory.fill)"), 61)
                .unwrap();
        assert_eq!(fill.frames[0], 3 + 3 + 4);
    }

    #[test]
    fn rejects_stack_contention_and_oversized_frames() {
        let pushes = "i32.const 0 ".repeat(4_097);
        let drops = "drop ".repeat(4_097);
        let err = check(&module_with(&format!("(func {pushes}{drops})"))).unwrap_err();
        assert!(
            matches!(err, ActivationError::StackContention { values: 4_097, limit: 4_096, .. }),
            "{err}"
        );
        // 10,300 locals make a frame over 10,240 words (checked before the
        // 348-local limit, as in Nitro).
        let locals = " i32".repeat(10_300);
        let err = check(&module_with(&format!("(func (local{locals}))"))).unwrap_err();
        assert!(
            matches!(err, ActivationError::FrameTooLarge { words: 10_306, limit: 10_240, .. }),
            "{err}"
        );
    }

    #[test]
    fn rejects_oversized() {
        // Incompressible data: a pseudo-random data segment of 30,000 bytes.
        let mut state = 0x1234_5678_u32;
        let mut data = String::new();
        for _ in 0..30_000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let _ = write!(data, "\\{:02x}", state & 0xff);
        }
        let src = module_with(&format!(r#"(data (i32.const 0) "{data}")"#));
        let err = check(&src).unwrap_err();
        assert!(matches!(err, ActivationError::CompressedTooLarge { .. }), "{err}");

        // A waiver reports the size instead of failing, and the table says so;
        // every other check still applies.
        let wasm = wat::parse_str(&src).unwrap();
        let waived = CheckOptions { waive_size: true, ..CheckOptions::default() };
        let report = check_bytes("Oversized", &wasm, waived).unwrap();
        assert!(!report.fits());
        assert!(format_table(&[report]).contains("OVER THE LIMIT"));
        let float = wat::parse_str(module_with("(func f32.const 1 drop)")).unwrap();
        assert!(check_bytes("Float", &float, waived).is_err(), "a waiver never admits a float");

        let big = format!(
            r#"(module
            (memory (export "memory") 3 3)
            (data (i32.const 0) "{}")
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
            "\\00".repeat(140_000)
        );
        let err = check(&big).unwrap_err();
        assert!(matches!(err, ActivationError::RawTooLarge { .. }), "{err}");
    }

    #[test]
    fn table_formats_one_row_per_artifact() {
        let report = check(VALID).unwrap();
        let table = format_table(&[report]);
        assert!(table.lines().nth(1).unwrap().starts_with("Test"));
    }
}
