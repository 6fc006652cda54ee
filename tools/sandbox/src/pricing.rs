//! Every pricing constant the sandbox uses, in one place, named by the ArbOS
//! version it describes.
//!
//! The numbers are Nitro's chain parameters for Stylus programs (ink per
//! opcode, host-call ink, program entry, memory) together with the EVM gas
//! rules that Stylus storage, logs and calls share with Solidity
//! (EIP-2929, EIP-2200, EIP-3529). Nothing else in the crate hard-codes a price.

use wasmparser::Operator;

/// The price list of one ArbOS version.
///
/// Construct it with [`GasSchedule::arbos_51`], [`GasSchedule::arbos_61`] or
/// [`GasSchedule::live`] (the version Arbitrum One runs); tests that explore
/// other parameters may change individual fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GasSchedule {
    /// Human-readable name of the ArbOS version these numbers describe.
    pub name: &'static str,
    /// The ArbOS version (activation rules and gates depend on it).
    pub arbos_version: u64,
    /// Words of value stack a program call starts with (`MaxStackDepth`);
    /// each function entered deducts its worst-case frame.
    pub max_stack_depth: u32,
    /// Programs a block remembers as recently used (`BlockCacheSize`): a
    /// program called earlier in the same block pays only the cached entry
    /// cost. Zero where the version has no such cache (before ArbOS 60).
    pub recent_programs: usize,
    /// Largest decompressed module activation accepts (`MaxWasmSize`).
    pub max_wasm_bytes: usize,
    /// Gas surcharge of reading another account's code
    /// (`ExtcodeSizeGasEIP150`, scaled by `MaxCodeSize / 24,576` = 1).
    pub code_read_gas: u64,
    /// Gas a storage load must hold on top of a cold `SLOAD`
    /// (`StorageCache::REQUIRED_ACCESS_GAS`).
    pub storage_required_access_gas: u64,

    /// Brotli level of the L1 (poster) data estimate of a transaction.
    pub l1_brotli_level: u32,
    /// L1 gas units per compressed byte (`TxDataNonZeroGasEIP2028`).
    pub l1_units_per_byte: u64,

    /// Gas `ArbWasm.activateProgram` burns before compiling (`ActivationGas`
    /// plus the fixed 1,659,168).
    pub activation_fixed_gas: u64,
    /// Data fee per byte of compiled code at no recent demand (`minPrice`, wei).
    pub data_fee_min_price: u64,
    /// Demand the data pricer forgets per second (`bytesPerSecond`).
    pub data_fee_bytes_per_second: u64,
    /// How fast the data fee grows with demand (`inertia`).
    pub data_fee_inertia: u64,
    /// Ink bought by one unit of EVM gas (`initialInkPrice`).
    pub ink_price: u32,
    /// Ink charged at the start of every basic block on top of its opcodes.
    pub ink_header_cost: u64,
    /// Ink per byte of `memory.copy` / `memory.fill` (the dynamic meter).
    pub memory_copy_byte_ink: u64,

    /// Base ink of every host call.
    pub hostio_ink: u64,
    /// Ink of a host call that passes a pointer.
    pub ptr_ink: u64,
    /// Ink of a host call that goes to the EVM API (storage flush, logs, calls).
    pub evm_api_ink: u64,
    /// Ink of `storage_load_bytes32` / `storage_cache_bytes32` before EVM gas.
    pub storage_access_ink: u64,
    /// Ink of `storage_flush_cache` before the SSTORE gas of each dirty slot.
    pub storage_flush_ink: u64,
    /// Ink of `call_contract` and its static and delegate variants.
    pub call_ink: u64,
    /// Ink of a host call that writes one 20- or 32-byte word
    /// (`msg_sender`, `msg_value`, `tx_origin`, `block_basefee`, ...).
    pub word_hostio_ink: u64,
    /// Base ink of `native_keccak256`.
    pub keccak_base_ink: u64,
    /// Ink per 32-byte word of `native_keccak256` beyond the first two.
    pub keccak_word_ink: u64,
    /// Ink per byte the host copies into the program's memory, beyond the
    /// first 32 (`read_args`, `read_return_data`, `account_code`); the base
    /// is [`GasSchedule::ptr_ink`].
    pub to_program_byte_ink: u64,
    /// Base ink of copying bytes out of the program's memory (`write_result`
    /// pays it twice, `emit_log` and the calls once).
    pub from_program_base_ink: u64,
    /// Ink per byte copied out of the program's memory, beyond the first 32.
    pub from_program_byte_ink: u64,

    /// Gas of the first 32 storage-cache reads of a call (each).
    pub cache_read_gas_first: u64,
    /// Gas of storage-cache reads 33 to 128 (each).
    pub cache_read_gas_mid: u64,
    /// Gas of storage-cache reads after the 128th (each).
    pub cache_read_gas_rest: u64,
    /// Gas of the first 8 storage-cache writes of a call (each).
    pub cache_write_gas_first: u64,
    /// Gas of storage-cache writes 9 to 64 (each).
    pub cache_write_gas_mid: u64,
    /// Gas of storage-cache writes after the 64th (each).
    pub cache_write_gas_rest: u64,
    /// Gas a program must hold to call a storage hostio that may write
    /// (`SSTORE` sentry, EIP-2200).
    pub sstore_sentry_gas: u64,

    /// Transaction base cost.
    pub tx_gas: u64,
    /// Calldata gas per zero byte.
    pub tx_data_zero_gas: u64,
    /// Calldata gas per non-zero byte.
    pub tx_data_non_zero_gas: u64,
    /// Largest gas limit one transaction may carry.
    pub max_tx_gas: u64,

    /// `SLOAD` of a slot not yet touched in this transaction (EIP-2929).
    pub cold_sload_gas: u64,
    /// Access to a slot already touched in this transaction.
    pub warm_storage_read_gas: u64,
    /// Access to an account not yet touched in this transaction (EIP-2929).
    pub cold_account_access_gas: u64,
    /// `SSTORE` that turns a zero slot non-zero (EIP-2200).
    pub sstore_set_gas: u64,
    /// `SSTORE` that changes a non-zero slot, before the cold surcharge (EIP-2929).
    pub sstore_reset_gas: u64,
    /// Refund for clearing a slot (EIP-3529).
    pub sstore_clears_refund: u64,
    /// Refunds are capped at `gas_used / max_refund_quotient` (EIP-3529).
    pub max_refund_quotient: u64,
    /// `LOG` base gas.
    pub log_gas: u64,
    /// `LOG` gas per topic.
    pub log_topic_gas: u64,
    /// `LOG` gas per data byte.
    pub log_data_gas: u64,
    /// `SHA3` base gas (the EVM side of `native_keccak256`, for comparison).
    pub keccak_gas: u64,
    /// Extra gas of a call that transfers value.
    pub call_value_transfer_gas: u64,
    /// Extra gas of a value transfer that creates an account.
    pub call_new_account_gas: u64,
    /// Gas given to the callee for free with a value transfer.
    pub call_stipend: u64,
    /// Base gas of `CREATE` / `CREATE2`.
    pub create_gas: u64,
    /// `CREATE2` gas per word of init code hashed.
    pub keccak_word_gas: u64,

    /// Entry cost of every program call, in units of 32 gas (`MinCachedInitGas`).
    pub min_cached_init_gas: u64,
    /// Entry cost of a program that is not cached, in units of 128 gas (`MinInitGas`).
    pub min_init_gas: u64,
    /// Scalar of the program's cached-init cost, in percent units of 2% (`CachedCostScalar`).
    pub cached_cost_scalar: u64,
    /// Scalar of the program's init cost, in percent units of 2% (`InitCostScalar`).
    pub init_cost_scalar: u64,
    /// Program init cost per defined function, in 1/10,000 gas.
    pub init_func_gas_e4: u64,
    /// Program init cost per parameter or result of a defined function, in 1/10,000 gas.
    pub init_param_gas_e4: u64,
    /// Program init cost per module byte, in 1/10,000 gas.
    pub init_byte_gas_e4: u64,
    /// Program cached-init cost per defined function, in 1/100,000 gas.
    pub cached_func_gas_e5: u64,
    /// Program cached-init cost per type-section byte, in 1/100,000 gas.
    pub cached_type_byte_gas_e5: u64,
    /// Program cached-init cost per module byte, in 1/100,000 gas.
    pub cached_byte_gas_e5: u64,
    /// Program cached-init cost per global, in 1/100,000 gas.
    pub cached_global_gas_e5: u64,
    /// Program cached-init cost per data or element segment byte, in 1/100,000 gas.
    pub cached_data_byte_gas_e5: u64,
    /// Program cached-init cost per initial memory page, in 1/100,000 gas.
    pub cached_page_gas_e5: u64,

    /// Memory pages free in each transaction.
    pub free_pages: u16,
    /// Gas per page beyond the free ones (linear term).
    pub page_gas: u64,
    /// Pages a program may hold at most.
    pub page_limit: u16,
    /// Growth per page of the exponential term of the memory model, as a
    /// fraction with 32 fractional bits (`initialPageRamp`): the term for
    /// `p` pages is `(1 + page_ramp / 2^32)^p` gas, rounded down.
    pub page_ramp: u64,
}

impl GasSchedule {
    /// The parameters of ArbOS 51 (Stylus version 2), as read from Nitro
    /// at commit `6dce8d13`.
    pub const fn arbos_51() -> Self {
        Self {
            name: "ArbOS 51 Dia (Stylus v2)",
            arbos_version: 51,
            max_stack_depth: 22_000,
            recent_programs: 0,
            max_wasm_bytes: 128 * 1024,
            code_read_gas: 700,
            storage_required_access_gas: 10,
            l1_brotli_level: 1,
            l1_units_per_byte: 16,
            activation_fixed_gas: 1_659_168,
            data_fee_min_price: 82_928_201,
            data_fee_bytes_per_second: 34_865,
            data_fee_inertia: 21_360_419,
            ink_price: 10_000,
            ink_header_cost: 2_450,
            memory_copy_byte_ink: 100,

            hostio_ink: 8_400,
            ptr_ink: 5_040,
            evm_api_ink: 59_673,
            storage_access_ink: 18_480,
            storage_flush_ink: 68_073,
            call_ink: 83_193,
            word_hostio_ink: 13_440,
            keccak_base_ink: 121_800,
            keccak_word_ink: 21_000,
            to_program_byte_ink: 30,
            from_program_base_ink: 16_381,
            from_program_byte_ink: 55,

            cache_read_gas_first: 0,
            cache_read_gas_mid: 2,
            cache_read_gas_rest: 10,
            cache_write_gas_first: 0,
            cache_write_gas_mid: 7,
            cache_write_gas_rest: 10,
            sstore_sentry_gas: 2_300,

            tx_gas: 21_000,
            tx_data_zero_gas: 4,
            tx_data_non_zero_gas: 16,
            max_tx_gas: 32_000_000,

            cold_sload_gas: 2_100,
            warm_storage_read_gas: 100,
            cold_account_access_gas: 2_600,
            sstore_set_gas: 20_000,
            sstore_reset_gas: 5_000,
            sstore_clears_refund: 4_800,
            max_refund_quotient: 5,
            log_gas: 375,
            log_topic_gas: 375,
            log_data_gas: 8,
            keccak_gas: 30,
            call_value_transfer_gas: 9_000,
            call_new_account_gas: 25_000,
            call_stipend: 2_300,
            create_gas: 32_000,
            keccak_word_gas: 6,

            min_cached_init_gas: 11,
            min_init_gas: 69,
            cached_cost_scalar: 50,
            init_cost_scalar: 50,
            // Per-item figures of the activation-time cost model (reference
            // table 4.3): 8.252 gas/function, 1.059 gas/param-or-result,
            // 0.1286 gas/byte; cached: 0.1342/function, 0.00089/type byte,
            // 0.00122/byte, 1.628/global, 0.75244/data byte, 5/page.
            init_func_gas_e4: 82_520,
            init_param_gas_e4: 10_590,
            init_byte_gas_e4: 1_286,
            cached_func_gas_e5: 13_420,
            cached_type_byte_gas_e5: 89,
            cached_byte_gas_e5: 122,
            cached_global_gas_e5: 162_800,
            cached_data_byte_gas_e5: 75_244,
            cached_page_gas_e5: 500_000,

            free_pages: 2,
            page_gas: 1_000,
            page_limit: 128,
            page_ramp: 620_674_314,
        }
    }

    /// ArbOS 61 "Elara" (live on Arbitrum One from 20 August 2026): the
    /// prices of ArbOS 51 plus what ArbOS 60 brought, which 61 ships: the
    /// per-block cache of the 32 most recently used programs, multi-value
    /// rejected at activation, and decompressed modules up to 256 KiB (for
    /// contracts in fragments; Bulwark's contracts do not use them).
    pub const fn arbos_61() -> Self {
        let mut schedule = Self::arbos_51();
        schedule.name = "ArbOS 61 Elara (Stylus v2)";
        schedule.arbos_version = 61;
        schedule.recent_programs = 32;
        schedule.max_wasm_bytes = 256 * 1024;
        schedule
    }

    /// The version live on Arbitrum One: [`GasSchedule::arbos_61`].
    pub const fn live() -> Self {
        Self::arbos_61()
    }

    /// The schedule of an ArbOS version the sandbox models.
    pub fn for_version(arbos_version: u64) -> Option<Self> {
        match arbos_version {
            51 => Some(Self::arbos_51()),
            61 => Some(Self::arbos_61()),
            _ => None,
        }
    }

    /// Gas the storage hostios add for the call into the EVM: the EVM API
    /// ink as gas (Nitro's `evm_api_gas`, from ArbOS 32).
    pub fn storage_api_gas(&self) -> u64 {
        self.ink_to_gas(self.evm_api_ink)
    }

    /// Gas a storage load must hold before it runs: a cold `SLOAD`, the
    /// cache's access gas and the EVM API gas (2,115 from ArbOS 32).
    pub fn storage_load_required_gas(&self) -> u64 {
        self.cold_sload_gas + self.storage_required_access_gas + self.storage_api_gas()
    }

    /// Converts gas to ink at this schedule's ink price.
    pub fn gas_to_ink(&self, gas: u64) -> u64 {
        gas.saturating_mul(u64::from(self.ink_price))
    }

    /// Converts ink to gas at this schedule's ink price, rounding down.
    pub fn ink_to_gas(&self, ink: u64) -> u64 {
        ink / u64::from(self.ink_price)
    }

    /// Ink of `read_args` for `len` bytes.
    pub fn read_args_ink(&self, len: u64) -> u64 {
        self.hostio_ink + self.ptr_ink + self.to_program_byte_ink * len.saturating_sub(32)
    }

    /// Ink of `write_result` for `len` bytes.
    pub fn write_result_ink(&self, len: u64) -> u64 {
        self.hostio_ink
            + 2 * (self.from_program_base_ink + self.from_program_byte_ink * len.saturating_sub(32))
    }

    /// Ink of `native_keccak256` over `len` bytes.
    pub fn keccak_ink(&self, len: u64) -> u64 {
        let words = len.div_ceil(32);
        self.keccak_base_ink + self.keccak_word_ink * words.saturating_sub(2)
    }

    /// Gas of the `n`-th (1-based) read served by a call's storage cache.
    pub fn cache_read_gas(&self, n: u64) -> u64 {
        match n {
            0..=32 => self.cache_read_gas_first,
            33..=128 => self.cache_read_gas_mid,
            _ => self.cache_read_gas_rest,
        }
    }

    /// Gas of the `n`-th (1-based) write into a call's storage cache.
    pub fn cache_write_gas(&self, n: u64) -> u64 {
        match n {
            0..=8 => self.cache_write_gas_first,
            9..=64 => self.cache_write_gas_mid,
            _ => self.cache_write_gas_rest,
        }
    }
}

impl GasSchedule {
    /// The exponential term of the memory model for a program that has held
    /// `pages` pages in this transaction.
    pub fn memory_exp(&self, pages: u16) -> u64 {
        if pages > self.page_limit {
            return u64::MAX;
        }
        let one: u128 = 1 << 32;
        let factor = one + u128::from(self.page_ramp);
        let mut acc = one;
        for _ in 0..pages {
            acc = (acc * factor) >> 32;
        }
        u64::try_from(acc >> 32).unwrap_or(u64::MAX)
    }

    /// Gas to open `new` pages when `open` are open now and at most `ever`
    /// have been open in this transaction (Nitro's memory model: a linear
    /// price per page beyond the free ones plus the growth of the
    /// exponential term).
    pub fn memory_gas(&self, new: u16, open: u16, ever: u16) -> u64 {
        let new_open = open.saturating_add(new);
        let new_ever = ever.max(new_open);
        if new_ever <= self.free_pages {
            return 0;
        }
        let sub_free = |p: u16| p.saturating_sub(self.free_pages);
        let adding = sub_free(new_open).saturating_sub(sub_free(open));
        let linear = u64::from(adding).saturating_mul(self.page_gas);
        let expand = self.memory_exp(new_ever).saturating_sub(self.memory_exp(ever));
        linear.saturating_add(expand)
    }
}

impl Default for GasSchedule {
    fn default() -> Self {
        Self::live()
    }
}

/// Why an instruction cannot run on Stylus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forbidden {
    /// An `f32` / `f64` instruction.
    FloatingPoint,
    /// A `v128` instruction.
    Simd,
    /// A shared-memory or atomic instruction.
    Atomic,
    /// A reference-type instruction (`ref.*`, typed `select`).
    ReferenceType,
    /// A table instruction (`table.*`, `elem.drop`).
    Table,
    /// An exception-handling instruction.
    Exception,
    /// A tail call.
    TailCall,
    /// Any other instruction Nitro gives no price (e.g. `memory.init`, GC).
    Unsupported,
}

impl Forbidden {
    /// A short description of the class of instruction.
    pub fn describe(self) -> &'static str {
        match self {
            Self::FloatingPoint => "floating point",
            Self::Simd => "SIMD",
            Self::Atomic => "atomic",
            Self::ReferenceType => "reference type",
            Self::Table => "table",
            Self::Exception => "exception handling",
            Self::TailCall => "tail call",
            Self::Unsupported => "unsupported by Stylus",
        }
    }
}

impl core::fmt::Display for Forbidden {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.describe())
    }
}

/// The name of an instruction as wasmparser spells it (`F64Add`, `I32Load`).
pub fn operator_name(op: &Operator<'_>) -> String {
    let debug = format!("{op:?}");
    debug.split([' ', '{', '(']).next().unwrap_or_default().to_string()
}

fn classify_forbidden(op: &Operator<'_>) -> Forbidden {
    let name = operator_name(op);
    let has = |s: &str| name.contains(s);
    if has("Atomic") {
        Forbidden::Atomic
    } else if name.starts_with("V128")
        || has("x16")
        || has("x8")
        || has("x4")
        || has("x2")
        || has("Relaxed")
    {
        Forbidden::Simd
    } else if has("F32") || has("F64") {
        Forbidden::FloatingPoint
    } else if has("Table") || name == "ElemDrop" {
        Forbidden::Table
    } else if name.starts_with("ReturnCall") {
        Forbidden::TailCall
    } else if has("Try") || has("Catch") || has("Throw") || has("Rethrow") || name == "Delegate" {
        Forbidden::Exception
    } else if name.starts_with("Ref") || name == "TypedSelect" || name == "TypedSelectMulti" {
        Forbidden::ReferenceType
    } else {
        Forbidden::Unsupported
    }
}

/// The static ink of one instruction under Stylus pricing v1, or why the
/// instruction is rejected at activation.
///
/// `call_indirect_params` gives the number of parameters of the type a
/// `call_indirect` names (it prices 650 ink per argument).
#[allow(clippy::match_same_arms)] // one arm per row of the reference table
pub fn opcode_ink(
    op: &Operator<'_>,
    call_indirect_params: impl FnOnce(u32) -> u64,
) -> Result<u64, Forbidden> {
    #[allow(clippy::enum_glob_use)]
    use Operator::*;
    let ink = match op {
        Unreachable
        | Return
        | Nop
        | I32Const { .. }
        | I64Const { .. }
        | Block { .. }
        | Loop { .. }
        | Else
        | End => 1,
        Drop => 9,
        Br { .. } | BrIf { .. } | If { .. } => 765,
        Select => 1_250,
        Call { .. } => 3_800,
        CallIndirect { type_index, .. } => 13_610 + 650 * call_indirect_params(*type_index),
        BrTable { targets } => 2_400 + 325 * u64::from(targets.len()),
        LocalGet { .. } | LocalTee { .. } => 75,
        LocalSet { .. } => 210,
        GlobalGet { .. } => 225,
        GlobalSet { .. } => 575,
        I32Load { .. }
        | I32Load8S { .. }
        | I32Load8U { .. }
        | I32Load16S { .. }
        | I32Load16U { .. } => 670,
        I64Load { .. }
        | I64Load8S { .. }
        | I64Load8U { .. }
        | I64Load16S { .. }
        | I64Load16U { .. }
        | I64Load32S { .. }
        | I64Load32U { .. } => 680,
        I32Store { .. } | I32Store8 { .. } | I32Store16 { .. } => 825,
        I64Store { .. } | I64Store8 { .. } | I64Store16 { .. } | I64Store32 { .. } => 950,
        MemorySize { .. } => 3_000,
        MemoryGrow { .. } => 8_050,
        I32Eqz | I32Eq | I32Ne | I32LtS | I32LtU | I32GtS | I32GtU | I32LeS | I32LeU | I32GeS
        | I32GeU => 170,
        I64Eqz | I64Eq | I64Ne | I64LtS | I64LtU | I64GtS | I64GtU | I64LeS | I64LeU | I64GeS
        | I64GeU => 225,
        I32Clz | I32Ctz | I64Clz | I64Ctz => 210,
        I32Add | I32Sub => 70,
        I32Mul | I64Mul => 160,
        I32DivS | I32DivU | I32RemS | I32RemU => 1_120,
        I32And | I32Or | I32Xor | I32Shl | I32ShrS | I32ShrU | I32Rotl | I32Rotr => 70,
        I64Add | I64Sub => 100,
        I64DivS | I64DivU | I64RemS | I64RemU => 1_270,
        I64And | I64Or | I64Xor | I64Shl | I64ShrS | I64ShrU | I64Rotl | I64Rotr => 100,
        I32Popcnt => 2_650,
        I64Popcnt => 6_000,
        I32WrapI64 | I64ExtendI32S | I64ExtendI32U | I32Extend8S | I32Extend16S | I64Extend8S
        | I64Extend16S | I64Extend32S => 100,
        MemoryCopy { .. } | MemoryFill { .. } => 950,
        other => return Err(classify_forbidden(other)),
    };
    Ok(ink)
}

/// Whether an instruction ends a basic block for the meter.
pub fn ends_basic_block(op: &Operator<'_>) -> bool {
    matches!(
        op,
        Operator::End
            | Operator::Else
            | Operator::Return
            | Operator::Loop { .. }
            | Operator::Br { .. }
            | Operator::BrTable { .. }
            | Operator::BrIf { .. }
            | Operator::If { .. }
            | Operator::Call { .. }
            | Operator::CallIndirect { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_exponent_grows_to_about_32m_gas_at_128_pages() {
        let s = GasSchedule::arbos_51();
        let first: Vec<u64> = (0..32).map(|p| s.memory_exp(p)).collect();
        eprintln!("{first:?} ... {}", s.memory_exp(128));
        assert_eq!(&first[..7], &[1, 1, 1, 1, 1, 1, 2]);
        let top = s.memory_exp(128);
        assert!((31_000_000..33_000_000).contains(&top), "{top}");
        assert_eq!(s.memory_exp(129), u64::MAX);
    }

    #[test]
    fn memory_gas_is_free_for_the_first_two_pages() {
        let s = GasSchedule::arbos_51();
        assert_eq!(s.memory_gas(2, 0, 0), 0);
        // 1 open, 3 more: pages 3 and 4 are paid, plus the exponent's growth.
        assert_eq!(s.memory_gas(3, 1, 1), 2 * 1_000 + s.memory_exp(4) - s.memory_exp(1));
    }

    #[test]
    fn hostio_prices_match_the_reference_table() {
        let s = GasSchedule::arbos_51();
        assert_eq!(s.read_args_ink(4), 8_400 + 5_040);
        assert_eq!(s.read_args_ink(100), 8_400 + 5_040 + 30 * 68);
        assert_eq!(s.write_result_ink(32), 8_400 + 2 * 16_381);
        assert_eq!(s.keccak_ink(64), 121_800);
        assert_eq!(s.keccak_ink(65), 121_800 + 21_000);
        assert_eq!(s.storage_access_ink, s.hostio_ink + 2 * s.ptr_ink);
        assert_eq!(s.storage_flush_ink, s.hostio_ink + s.evm_api_ink);
        assert_eq!(s.call_ink, s.hostio_ink + 3 * s.ptr_ink + s.evm_api_ink);
        assert_eq!(s.word_hostio_ink, s.hostio_ink + s.ptr_ink);
    }
}
