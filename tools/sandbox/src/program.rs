//! A deployed (activated) Stylus program: the checked, instrumented and
//! compiled module plus the entry costs Nitro computes at activation.

use alloy_primitives::{keccak256, B256};

use crate::activation::{
    check_module, compress, ActivationError, CheckOptions, ModuleShape, MAX_COMPRESSED_BYTES,
};
use crate::meter::{instrument, FunctionBlocks, MeterError};
use crate::pricing::GasSchedule;

/// Prefix of Stylus code on chain: `EF F0 00` and the dictionary byte (none).
pub const STYLUS_CODE_PREFIX: [u8; 4] = [0xEF, 0xF0, 0x00, 0x00];

/// Why a module cannot be deployed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// Activation would reject the module (unknown or mistyped imports
    /// included: Nitro refuses them when it builds the module).
    #[error(transparent)]
    Activation(#[from] ActivationError),
    /// Instrumentation failed.
    #[error(transparent)]
    Meter(#[from] MeterError),
    /// The interpreter rejected the instrumented module.
    #[error("cannot compile module: {0}")]
    Compile(String),
    /// Deployed code is not Stylus code (`EF F0 00` prefix and brotli module).
    #[error("code is not a Stylus program: {0}")]
    NotStylus(&'static str),
    /// Nitro's cost model gives an entry cost that does not fit its 16 bits.
    #[error("{0} too high")]
    CostTooHigh(&'static str),
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
    /// Program-specific part of the uncached entry cost (Nitro's `init_cost`).
    pub init_cost: u64,
    /// Program-specific part of the cached entry cost (`cached_init_cost`).
    pub cached_init_cost: u64,
    /// Nitro's estimate of the compiled size in bytes (`asm_estimate`): what
    /// the activation data fee is charged on.
    pub asm_estimate: u64,
    /// Gas the activation itself burns compiling the module (beyond
    /// [`GasSchedule::activation_fixed_gas`]).
    pub compile_gas: u64,
    /// Worst-case frame of each defined function, in words.
    pub frames: Vec<u32>,
    /// Static ink of every basic block.
    pub blocks: Vec<FunctionBlocks>,
    pub(crate) module: wasmi::Module,
}

/// Nitro's activation-time cost model (`WasmBinary::instrument`), each term
/// divided on its own as Nitro divides it: `(init, cached_init, asm_estimate)`.
pub fn nitro_costs(shape: &ModuleShape, wasm_len: u64) -> (u64, u64, u64) {
    let funcs = shape.functions.len() as u64;
    let type_len = shape.type_len();
    let globals = u64::from(shape.globals) + crate::activation::INJECTED_GLOBALS;
    let data = shape.data_bytes + shape.element_bytes;
    let pages = shape.initial_pages.min(u64::from(u16::MAX));
    let asm_estimate =
        512_000 + funcs * 996_829 / 1_000 + type_len * 11_416 / 1_000 + wasm_len * 62_628 / 10_000;
    let cached_init = funcs * 13_420 / 100_000
        + type_len * 89 / 100_000
        + wasm_len * 122 / 100_000
        + globals * 1_628 / 1_000
        + data * 75_244 / 100_000
        + pages * 5;
    // Stylus version 2: the cached cost is no longer part of the init cost.
    let init = funcs * 8_252 / 1_000 + type_len * 1_059 / 1_000 + wasm_len * 1_286 / 10_000;
    (init, cached_init, asm_estimate)
}

/// The gas Nitro's activation burns compiling a module (`Module::activate`):
/// each term in microseconds, converted at 28 gas per microsecond.
pub fn compile_gas(shape: &ModuleShape, wasm_len: u64) -> u64 {
    let us_to_gas = |us: u64| us * 28;
    us_to_gas(wasm_len * 31_733 / 100_000)
        + us_to_gas(shape.functions.len() as u64 * 17_263 / 100_000)
        + us_to_gas(shape.data_bytes_payload * 17_376 / 100_000)
        + us_to_gas(shape.element_bytes * 17_376 / 100_000)
        + us_to_gas(shape.initial_pages * 2_217)
        + us_to_gas(shape.instrumented_instructions * 535 / 1_000)
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
        if size_limits && wasm.len() > schedule.max_wasm_bytes {
            return Err(ActivationError::RawTooLarge {
                raw: wasm.len(),
                limit: schedule.max_wasm_bytes,
            }
            .into());
        }
        let options = CheckOptions {
            allow_console,
            waive_size: false,
            arbos_version: schedule.arbos_version,
        };
        let shape = check_module(wasm, options)?;
        let instrumented = instrument(wasm, schedule, &shape.frames)?;
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
        let wasm_len = wasm.len() as u64;
        let (init_cost, cached_init_cost, asm_estimate) = nitro_costs(&shape, wasm_len);
        if init_cost > u64::from(u16::MAX) {
            return Err(DeployError::CostTooHigh("init cost"));
        }
        if cached_init_cost > u64::from(u16::MAX) {
            return Err(DeployError::CostTooHigh("cached cost"));
        }
        Ok(Self {
            wasm: wasm.to_vec(),
            code,
            code_hash,
            footprint: u16::try_from(shape.initial_pages).unwrap_or(u16::MAX),
            init_cost,
            cached_init_cost,
            asm_estimate,
            compile_gas: compile_gas(&shape, wasm_len),
            frames: shape.frames,
            blocks: instrumented.blocks,
            module,
        })
    }

    /// Gas `ArbWasm.activateProgram` burns for this program: the fixed part
    /// and the compile gas (the precompile's argument and event gas aside).
    pub fn activation_gas(&self, schedule: &GasSchedule) -> u64 {
        schedule.activation_fixed_gas + self.compile_gas
    }

    /// The activation data fee in wei with no recent demand on the chain:
    /// the data pricer's minimum price per byte of the compiled-size estimate
    /// (`DataPricer.UpdateModel` with demand equal to this program alone,
    /// whose exponential multiplier is computed as Nitro does).
    pub fn data_fee(&self, schedule: &GasSchedule) -> u128 {
        data_fee(schedule, self.asm_estimate, 0)
    }

    /// Gas charged on entry when the program is cached (besides memory).
    pub fn cached_gas(&self, schedule: &GasSchedule) -> u64 {
        schedule.min_cached_init_gas * 32
            + (self.cached_init_cost * schedule.cached_cost_scalar * 2).div_ceil(100)
    }

    /// Extra gas charged on entry when the program is not cached.
    pub fn init_gas(&self, schedule: &GasSchedule) -> u64 {
        schedule.min_init_gas * 128 + (self.init_cost * schedule.init_cost_scalar * 2).div_ceil(100)
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

/// `DataPricer.UpdateModel`: the fee for `bytes` when the pricer's demand,
/// after forgetting, is `demand` bytes. `costPerByte = minPrice ×
/// e^(demand/inertia)`, with the exponential taken as Nitro takes it
/// (`ApproxExpBasisPoints` with 12 terms, in basis points).
pub fn data_fee(schedule: &GasSchedule, bytes: u64, demand: u64) -> u128 {
    let demand = demand.saturating_add(bytes).min(u64::from(u32::MAX));
    let exponent_bips = demand * 10_000 / schedule.data_fee_inertia;
    let multiplier = approx_exp_basis_points(exponent_bips, 12);
    let per_byte = u128::from(schedule.data_fee_min_price) * u128::from(multiplier) / 10_000;
    per_byte * u128::from(bytes)
}

/// Nitro's `arbmath.ApproxExpBasisPoints`: `e^(x / 10,000)` in basis points,
/// by Horner's rule over `accuracy` terms of the Maclaurin series.
pub fn approx_exp_basis_points(bips: u64, accuracy: u64) -> u64 {
    let one = 10_000_u64;
    let mut res = one + bips / accuracy;
    for i in (1..accuracy).rev() {
        res = one + res.saturating_mul(bips) / (i * one);
    }
    res
}
