//! A deployed (activated) Stylus program: the checked, instrumented and
//! compiled module plus the entry costs Nitro computes at activation.

use alloy_primitives::{keccak256, B256};

use crate::activation::{
    check_module, compress, ActivationError, CheckOptions, MAX_COMPRESSED_BYTES, MAX_RAW_BYTES,
};
use crate::host::HOSTIOS;
use crate::meter::{instrument, FunctionBlocks, MeterError};
use crate::pricing::GasSchedule;

/// Prefix of Stylus code on chain: `EF F0 00` and the dictionary byte (none).
pub const STYLUS_CODE_PREFIX: [u8; 4] = [0xEF, 0xF0, 0x00, 0x00];

/// Why a module cannot be deployed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// Activation would reject the module.
    #[error(transparent)]
    Activation(#[from] ActivationError),
    /// The module imports a host function the sandbox (and Nitro) does not provide.
    #[error("unknown import `{module}.{name}`")]
    UnknownImport {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
    },
    /// The module imports a known host function with the wrong signature.
    #[error("import `{module}.{name}` has the wrong signature")]
    ImportSignature {
        /// Import module.
        module: String,
        /// Import name.
        name: String,
    },
    /// Instrumentation failed.
    #[error(transparent)]
    Meter(#[from] MeterError),
    /// The interpreter rejected the instrumented module.
    #[error("cannot compile module: {0}")]
    Compile(String),
    /// Deployed code is not Stylus code (`EF F0 00` prefix and brotli module).
    #[error("code is not a Stylus program: {0}")]
    NotStylus(&'static str),
}

/// An activated program, shared by every account that holds its code.
#[derive(Debug)]
pub struct Program {
    /// The original module.
    pub wasm: Vec<u8>,
    /// The deployed code: prefix plus brotli-compressed module.
    pub code: Vec<u8>,
    /// `keccak256(code)`.
    pub code_hash: B256,
    /// Pages of memory the program starts with.
    pub footprint: u16,
    /// Program-specific part of the uncached entry cost, in gas.
    pub init_cost: u64,
    /// Program-specific part of the cached entry cost, in gas.
    pub cached_init_cost: u64,
    /// Static ink of every basic block.
    pub blocks: Vec<FunctionBlocks>,
    pub(crate) module: wasmi::Module,
}

impl Program {
    /// Checks, instruments and compiles a module.
    pub(crate) fn activate(
        wasm: &[u8],
        engine: &wasmi::Engine,
        schedule: &GasSchedule,
        allow_console: bool,
        size_limits: bool,
    ) -> Result<Self, DeployError> {
        if size_limits && wasm.len() > MAX_RAW_BYTES {
            return Err(
                ActivationError::RawTooLarge { raw: wasm.len(), limit: MAX_RAW_BYTES }.into()
            );
        }
        let shape = check_module(wasm, CheckOptions { allow_console, waive_size: false })?;
        for (module, name, ty) in &shape.imports {
            let Some(hostio) = HOSTIOS.iter().find(|h| h.module == module && h.name == name) else {
                return Err(DeployError::UnknownImport {
                    module: module.clone(),
                    name: name.clone(),
                });
            };
            let actual = shape.types.get(*ty as usize);
            let matches = actual.is_some_and(|t| {
                t.params().iter().copied().map(val_char).eq(hostio.params.chars())
                    && t.results().iter().copied().map(val_char).eq(hostio.results.chars())
            });
            if !matches {
                return Err(DeployError::ImportSignature {
                    module: module.clone(),
                    name: name.clone(),
                });
            }
        }
        let instrumented = instrument(wasm, schedule)?;
        let module = wasmi::Module::new(engine, &instrumented.wasm)
            .map_err(|e| DeployError::Compile(e.to_string()))?;

        let mut code = STYLUS_CODE_PREFIX.to_vec();
        code.extend_from_slice(&compress(wasm));
        if size_limits && code.len() > MAX_COMPRESSED_BYTES {
            return Err(ActivationError::CompressedTooLarge {
                compressed: code.len() - STYLUS_CODE_PREFIX.len(),
                prefix: STYLUS_CODE_PREFIX.len(),
                limit: MAX_COMPRESSED_BYTES,
            }
            .into());
        }
        let code_hash = keccak256(&code);

        let funcs = shape.functions.len() as u64;
        let params_results: u64 = shape
            .functions
            .iter()
            .filter_map(|t| shape.types.get(*t as usize))
            .map(|t| (t.params().len() + t.results().len()) as u64)
            .sum();
        let bytes = wasm.len() as u64;
        let footprint = u16::try_from(shape.initial_pages).unwrap_or(u16::MAX);
        // Nitro computes these at activation from the compiled module; the
        // schedule holds the reference's per-item figures.
        let s = schedule;
        let init_cost = (s.init_func_gas_e4 * funcs
            + s.init_param_gas_e4 * params_results
            + s.init_byte_gas_e4 * bytes)
            / 10_000;
        let cached_init_cost = (s.cached_func_gas_e5 * funcs
            + s.cached_type_byte_gas_e5 * shape.type_section_bytes
            + s.cached_byte_gas_e5 * bytes
            + s.cached_global_gas_e5 * u64::from(shape.globals)
            + s.cached_data_byte_gas_e5 * shape.data_bytes
            + s.cached_page_gas_e5 * u64::from(footprint))
            / 100_000;
        Ok(Self {
            wasm: wasm.to_vec(),
            code,
            code_hash,
            footprint,
            init_cost,
            cached_init_cost,
            blocks: instrumented.blocks,
            module,
        })
    }

    /// Gas charged on entry when the program is cached (besides memory).
    pub fn cached_gas(&self, schedule: &GasSchedule) -> u64 {
        schedule.min_cached_init_gas * 32
            + self.cached_init_cost * schedule.cached_cost_scalar * 2 / 100
    }

    /// Extra gas charged on entry when the program is not cached.
    pub fn init_gas(&self, schedule: &GasSchedule) -> u64 {
        schedule.min_init_gas * 128 + self.init_cost * schedule.init_cost_scalar * 2 / 100
    }

    /// Extracts the module from deployed Stylus code or from init code that
    /// embeds it (the code after the first `EF F0 00 00` that decompresses).
    pub fn wasm_from_code(code: &[u8]) -> Result<Vec<u8>, DeployError> {
        let mut start = 0;
        while let Some(pos) = code[start..].windows(4).position(|w| w == STYLUS_CODE_PREFIX) {
            let body = &code[start + pos + 4..];
            let mut out = Vec::new();
            if brotli::BrotliDecompress(&mut &body[..], &mut out).is_ok()
                && out.starts_with(b"\0asm")
            {
                return Ok(out);
            }
            start += pos + 1;
        }
        Err(DeployError::NotStylus("no EF F0 00 prefix followed by a brotli module"))
    }
}

fn val_char(ty: wasmparser::ValType) -> char {
    match ty {
        wasmparser::ValType::I32 => 'i',
        wasmparser::ValType::I64 => 'I',
        wasmparser::ValType::F32 => 'f',
        wasmparser::ValType::F64 => 'F',
        _ => '?',
    }
}
