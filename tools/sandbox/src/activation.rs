//! Offline activation check: what `ArbWasm.activateProgram` would reject,
//! decided from the artifact alone.
//!
//! The check parses the module with wasmparser (never by looking at text),
//! measures the deployed size (brotli quality 11 plus the 4-byte Stylus
//! prefix) and the raw size, requires the `user_entrypoint` and `memory`
//! exports, restricts imports to `vm_hooks` (and `console` when allowed), and
//! rejects every instruction Stylus gives no price.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use wasmparser::{
    ExternalKind, FuncType, Parser, Payload, TypeRef, ValType, Validator, WasmFeatures,
};

use crate::pricing::{opcode_ink, operator_name, Forbidden};

/// Largest deployed code (Stylus prefix plus brotli-compressed WASM), in bytes.
pub const MAX_COMPRESSED_BYTES: usize = 24_576;
/// Largest uncompressed WASM module, in bytes.
pub const MAX_RAW_BYTES: usize = 131_072;
/// Bytes of the prefix (`EF F0 00` and the dictionary byte) in front of the
/// compressed module in deployed code.
pub const STYLUS_PREFIX_BYTES: usize = 4;
/// The only import module a release artifact may use.
pub const HOSTIO_MODULE: &str = "vm_hooks";
/// The debug import module, allowed only for debug builds.
pub const CONSOLE_MODULE: &str = "console";

/// What the check allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// Accept imports from the `console` debug module.
    pub allow_console: bool,
    /// Report but do not fail on the size limits (every other check still
    /// applies). For an artifact on the project's checked-in waiver list only.
    pub waive_size: bool,
}

/// Why an artifact would not activate.
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
    /// The bytes are not a valid WebAssembly module.
    #[error("invalid WebAssembly: {0}")]
    Invalid(#[from] wasmparser::BinaryReaderError),
    /// The uncompressed module is larger than [`MAX_RAW_BYTES`].
    #[error("raw size {raw} bytes exceeds the limit of {limit} bytes")]
    RawTooLarge {
        /// Size of the module.
        raw: usize,
        /// The limit.
        limit: usize,
    },
    /// The deployed (prefixed, compressed) code is larger than [`MAX_COMPRESSED_BYTES`].
    #[error(
        "compressed size {compressed} bytes (+{prefix} prefix) exceeds the limit of {limit} bytes"
    )]
    CompressedTooLarge {
        /// Brotli-compressed size of the module.
        compressed: usize,
        /// Prefix bytes added on chain.
        prefix: usize,
        /// The limit.
        limit: usize,
    },
    /// A required export is missing or has the wrong kind or type.
    #[error("missing export `{0}`")]
    MissingExport(&'static str),
    /// `user_entrypoint` does not have the type `(i32) -> i32`.
    #[error("export `user_entrypoint` must have type (i32) -> i32")]
    BadEntrypointType,
    /// An import from a module other than the allowed ones.
    #[error("import `{module}.{name}` is not from `vm_hooks`")]
    ForeignImport {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
    },
    /// An import that is not a function (memory, table, global, tag).
    #[error("import `{module}.{name}` is not a function")]
    NonFunctionImport {
        /// The import's module.
        module: String,
        /// The import's name.
        name: String,
    },
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
    /// A function type uses a value type other than `i32` / `i64`.
    #[error("type {index} uses value type {ty} ({class})")]
    ForbiddenType {
        /// Index of the type.
        index: u32,
        /// The value type.
        ty: String,
        /// Why it is rejected.
        class: Forbidden,
    },
    /// The module declares more than one memory, or a table.
    #[error("module declares {0}")]
    ForbiddenSection(&'static str),
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
/// deploy it.
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
    /// Bytes of data and element segments.
    pub data_bytes: u64,
    /// Size of the type section in bytes.
    pub type_section_bytes: u64,
}

/// Checks one module's structure and instructions (everything but size).
#[allow(clippy::too_many_lines)] // one arm per section, read in order
pub fn check_module(wasm: &[u8], options: CheckOptions) -> Result<ModuleShape, ActivationError> {
    let mut shape = ModuleShape::default();
    let mut entrypoint: Option<u32> = None;
    let mut has_memory_export = false;
    let mut memories = 0_u32;
    let mut code_index = 0_u32;

    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(reader) => {
                shape.type_section_bytes = reader.range().len() as u64;
                for (index, ty) in (0_u32..).zip(reader.into_iter_err_on_gc_types()) {
                    let ty = ty?;
                    for vt in ty.params().iter().chain(ty.results()) {
                        check_value_type(index, *vt)?;
                    }
                    shape.types.push(ty);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    let allowed = import.module == HOSTIO_MODULE
                        || (options.allow_console && import.module == CONSOLE_MODULE);
                    if !allowed {
                        return Err(ActivationError::ForeignImport {
                            module: import.module.to_string(),
                            name: import.name.to_string(),
                        });
                    }
                    let TypeRef::Func(ty) = import.ty else {
                        return Err(ActivationError::NonFunctionImport {
                            module: import.module.to_string(),
                            name: import.name.to_string(),
                        });
                    };
                    shape.imports.push((import.module.to_string(), import.name.to_string(), ty));
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    shape.functions.push(ty?);
                }
            }
            Payload::TableSection(reader) => {
                if reader.count() > 0 {
                    // Rust emits a table only for indirect calls; a table of
                    // function references is what call_indirect needs and
                    // Nitro accepts it, so only table instructions are rejected.
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    let memory = memory?;
                    memories += 1;
                    shape.initial_pages = memory.initial;
                    if memory.memory64 || memory.shared {
                        return Err(ActivationError::ForbiddenSection("a 64-bit or shared memory"));
                    }
                }
            }
            Payload::GlobalSection(reader) => {
                shape.globals = reader.count();
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    match (export.name, export.kind) {
                        ("user_entrypoint", ExternalKind::Func) => entrypoint = Some(export.index),
                        ("memory", ExternalKind::Memory) => has_memory_export = true,
                        _ => {}
                    }
                }
            }
            Payload::DataSection(reader) => {
                shape.data_bytes += reader.range().len() as u64;
            }
            Payload::ElementSection(reader) => {
                shape.data_bytes += reader.range().len() as u64;
            }
            Payload::TagSection(_) => {
                return Err(ActivationError::ForbiddenSection("an exception tag"));
            }
            Payload::CodeSectionEntry(body) => {
                let function = u32::try_from(shape.imports.len()).unwrap_or(u32::MAX) + code_index;
                code_index += 1;
                let mut ops = body.get_operators_reader()?;
                while !ops.eof() {
                    let op = ops.read()?;
                    let types = &shape.types;
                    let priced = opcode_ink(&op, |ty| {
                        types.get(ty as usize).map_or(0, |t| t.params().len() as u64)
                    });
                    if let Err(class) = priced {
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

    if memories > 1 {
        return Err(ActivationError::ForbiddenSection("more than one memory"));
    }
    let Some(entry) = entrypoint else {
        return Err(ActivationError::MissingExport("user_entrypoint"));
    };
    if !has_memory_export {
        return Err(ActivationError::MissingExport("memory"));
    }
    let entry_type = function_type(&shape, entry);
    if entry_type.is_none_or(|t| t.params() != [ValType::I32] || t.results() != [ValType::I32]) {
        return Err(ActivationError::BadEntrypointType);
    }

    // Full validation last, so that forbidden instructions are reported by
    // name above rather than as a generic validation failure.
    let mut validator = Validator::new_with_features(WasmFeatures::default());
    validator.validate_all(wasm)?;
    Ok(shape)
}

fn check_value_type(index: u32, ty: ValType) -> Result<(), ActivationError> {
    let class = match ty {
        ValType::I32 | ValType::I64 => return Ok(()),
        ValType::F32 | ValType::F64 => Forbidden::FloatingPoint,
        ValType::V128 => Forbidden::Simd,
        ValType::Ref(_) => Forbidden::ReferenceType,
    };
    Err(ActivationError::ForbiddenType { index, ty: format!("{ty}"), class })
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
        "{:<20} {:>10} {:>12} {:>10} {:>10}",
        "contract", "raw bytes", "compressed", "% of limit", "functions"
    );
    for r in reports {
        let _ = writeln!(
            out,
            "{:<20} {:>10} {:>12} {:>9.1}% {:>10}{}",
            r.contract,
            r.raw_bytes,
            r.compressed_bytes,
            r.percent_of_limit(),
            r.functions,
            if r.fits() { "" } else { "  OVER THE LIMIT (size waived)" }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"(module
        (import "vm_hooks" "read_args" (func $read_args (param i32)))
        (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
        (memory (export "memory") 1)
        (func (export "user_entrypoint") (param $len i32) (result i32)
            i32.const 0
            call $read_args
            i32.const 0
            local.get $len
            call $write_result
            i32.const 0))"#;

    fn check(wat_src: &str) -> Result<ArtifactReport, ActivationError> {
        let wasm = wat::parse_str(wat_src).expect("test WAT parses");
        check_bytes("Test", &wasm, CheckOptions::default())
    }

    #[test]
    fn accepts_valid_module() {
        let report = check(VALID).expect("valid module passes");
        assert_eq!(report.contract, "Test");
        assert_eq!(report.functions, 1);
        assert!(report.compressed_bytes > 0);
    }

    #[test]
    fn rejects_float_op_naming_function() {
        let err = check(
            r#"(module
            (memory (export "memory") 1)
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0)
            (func (param i64) (result i64)
                local.get 0
                f64.convert_i64_s
                f64.const 1.5
                f64.add
                i64.trunc_f64_s))"#,
        )
        .unwrap_err();
        match err {
            ActivationError::ForbiddenInstruction { function, instruction, class } => {
                assert_eq!(function, 1);
                assert_eq!(instruction, "F64ConvertI64S");
                assert_eq!(class, Forbidden::FloatingPoint);
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn rejects_float_type_in_signature() {
        let err = check(
            r#"(module
            (memory (export "memory") 1)
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0)
            (func (param f32)))"#,
        )
        .unwrap_err();
        assert!(matches!(
            err,
            ActivationError::ForbiddenType { class: Forbidden::FloatingPoint, .. }
        ));
    }

    #[test]
    fn rejects_simd() {
        let err = check(
            r#"(module
            (memory (export "memory") 1)
            (func (export "user_entrypoint") (param i32) (result i32)
                i32.const 7
                i32x4.splat
                i32x4.extract_lane 0))"#,
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                ActivationError::ForbiddenInstruction { function: 0, class: Forbidden::Simd, .. }
            ),
            "{err}"
        );
    }

    #[test]
    fn rejects_atomics_tables_and_tail_calls() {
        let atomic = check(
            r#"(module
            (memory (export "memory") 1 1 shared)
            (func (export "user_entrypoint") (param i32) (result i32)
                i32.const 0
                i32.atomic.load))"#,
        )
        .unwrap_err();
        assert!(
            matches!(
                atomic,
                ActivationError::ForbiddenInstruction { class: Forbidden::Atomic, .. }
                    | ActivationError::ForbiddenSection(_)
            ),
            "{atomic}"
        );
        let table = check(
            r#"(module
            (table 1 funcref)
            (memory (export "memory") 1)
            (func (export "user_entrypoint") (param i32) (result i32)
                table.size 0))"#,
        )
        .unwrap_err();
        assert!(
            matches!(table, ActivationError::ForbiddenInstruction { class: Forbidden::Table, .. }),
            "{table}"
        );
        let tail = check(
            r#"(module
            (memory (export "memory") 1)
            (func $f (export "user_entrypoint") (param i32) (result i32)
                local.get 0
                return_call $f))"#,
        )
        .unwrap_err();
        assert!(
            matches!(
                tail,
                ActivationError::ForbiddenInstruction { class: Forbidden::TailCall, .. }
            ),
            "{tail}"
        );
    }

    #[test]
    fn rejects_missing_exports() {
        let err = check(
            r#"(module
            (memory 1)
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
        )
        .unwrap_err();
        assert!(matches!(err, ActivationError::MissingExport("memory")));
        let err = check(r#"(module (memory (export "memory") 1))"#).unwrap_err();
        assert!(matches!(err, ActivationError::MissingExport("user_entrypoint")));
    }

    #[test]
    fn rejects_foreign_import_and_console_unless_allowed() {
        let err = check(
            r#"(module
            (import "env" "abort" (func))
            (memory (export "memory") 1)
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
        )
        .unwrap_err();
        match err {
            ActivationError::ForeignImport { module, name } => {
                assert_eq!((module.as_str(), name.as_str()), ("env", "abort"));
            }
            other => panic!("unexpected {other}"),
        }
        let console = r#"(module
            (import "console" "log_i64" (func (param i64)))
            (memory (export "memory") 1)
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#;
        assert!(matches!(check(console), Err(ActivationError::ForeignImport { .. })));
        let wasm = wat::parse_str(console).unwrap();
        check_bytes("Debug", &wasm, CheckOptions { allow_console: true, waive_size: false })
            .expect("console allowed in debug");
    }

    #[test]
    fn rejects_oversized() {
        use std::fmt::Write as _;
        // Incompressible data: a pseudo-random data segment of 30,000 bytes.
        let mut state = 0x1234_5678_u32;
        let mut data = String::new();
        for _ in 0..30_000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let _ = write!(data, "\\{:02x}", state & 0xff);
        }
        let src = format!(
            r#"(module
            (memory (export "memory") 1)
            (data (i32.const 0) "{data}")
            (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#
        );
        let err = check(&src).unwrap_err();
        assert!(matches!(err, ActivationError::CompressedTooLarge { .. }), "{err}");

        // A waiver reports the size instead of failing, and the table says so;
        // every other check still applies.
        let wasm = wat::parse_str(&src).unwrap();
        let waived = CheckOptions { allow_console: false, waive_size: true };
        let report = check_bytes("Oversized", &wasm, waived).unwrap();
        assert!(!report.fits());
        assert!(format_table(&[report]).contains("OVER THE LIMIT"));
        let float = wat::parse_str(
            r#"(module (memory (export "memory") 1)
            (func (export "user_entrypoint") (param i32) (result i32)
              f32.const 1 drop i32.const 0))"#,
        )
        .unwrap();
        assert!(check_bytes("Float", &float, waived).is_err(), "a waiver never admits a float");

        let big = format!(
            r#"(module
            (memory (export "memory") 3)
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
