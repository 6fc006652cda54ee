//! What a transaction returns: outcome, data, logs and where the gas went.

use alloy_primitives::{Address, Bytes, B256};
use alloy_sol_types::{SolCall, SolError, SolEvent, SolInterface};

/// One event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// Emitting contract.
    pub address: Address,
    /// Topics (at most four).
    pub topics: Vec<B256>,
    /// Data.
    pub data: Bytes,
}

impl Log {
    /// Decodes this log as event `E` (topics and data checked).
    pub fn decode<E: SolEvent>(&self) -> Option<E> {
        E::decode_raw_log(self.topics.iter().copied(), &self.data, true).ok()
    }
}

/// How a transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The call succeeded.
    Success,
    /// The callee reverted (revert data in [`Receipt::output`]), or trapped.
    Revert,
    /// The transaction ran out of gas (or ink).
    OutOfGas,
    /// The call could not start (e.g. insufficient balance for the value, call
    /// depth) or hit another EVM error that consumes all gas.
    Halt,
}

/// Where the gas of a transaction went, summed over all frames.
///
/// WASM and host-call figures are in ink (10,000 ink = 1 gas at the default
/// ink price); EVM-side figures are in gas. [`GasBreakdown::total_gas`] adds
/// them up before the refund.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GasBreakdown {
    /// Intrinsic gas: 21,000 plus calldata.
    pub intrinsic_gas: u64,
    /// Ink of WASM instructions (basic blocks and `memory.copy`/`fill` bytes).
    pub compute_ink: u64,
    /// Ink of host calls themselves (before any EVM gas they carry).
    pub hostio_ink: u64,
    /// EVM gas of storage: `SLOAD`, `SSTORE` at flush, storage-cache charges,
    /// transient storage.
    pub storage_gas: u64,
    /// EVM gas of calls and creations: account access, value transfer,
    /// create cost, and the gas a call withheld (1/64) is not counted here.
    pub call_gas: u64,
    /// Program entry: cached and uncached init costs.
    pub entry_gas: u64,
    /// Memory model gas: entry footprint and `memory.grow`.
    pub memory_gas: u64,
    /// EVM gas of logs.
    pub log_gas: u64,
    /// EVM gas of other account reads (balance, code, code hash).
    pub account_gas: u64,
    /// Gas refunded at the end (EIP-3529 capped).
    pub refund_gas: u64,
    /// Ink lost to rounding ink down to gas at frame exits and to running
    /// out of gas (what a program had left when it failed).
    pub other_ink: u64,
}

impl GasBreakdown {
    /// Total before refund, in gas (ink rounded down once).
    pub fn total_gas(&self, ink_price: u64) -> u64 {
        self.intrinsic_gas
            + (self.compute_ink + self.hostio_ink + self.other_ink) / ink_price
            + self.storage_gas
            + self.call_gas
            + self.entry_gas
            + self.memory_gas
            + self.log_gas
            + self.account_gas
    }
}

/// What a transaction touched: the storage and contracts its EVM-side gas
/// pays for (the floor any implementation with the same layout pays).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Distinct storage slots accessed (read or written), all contracts.
    pub slots_accessed: usize,
    /// The same, per contract, by address (ascending).
    pub slots_by_contract: Vec<(Address, usize)>,
    /// Distinct slots whose value differs at the end from the start.
    pub slots_changed: usize,
    /// Distinct contracts (accounts with a program) that ran.
    pub contracts: usize,
}

/// The receipt of one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// How it ended.
    pub outcome: Outcome,
    /// Return data on success, revert data on revert.
    pub output: Bytes,
    /// Logs (empty unless successful).
    pub logs: Vec<Log>,
    /// L2 gas used (execution, intrinsic gas included), after the refund. On
    /// chain the receipt's `gasUsed` is this plus [`Receipt::gas_used_for_l1`].
    pub gas_used: u64,
    /// Arbitrum's `gasUsedForL1`: the poster gas of the transaction's L1
    /// data at the block's L1 price and base fee (0 for read-only calls).
    pub gas_used_for_l1: u64,
    /// The L1 units of the transaction (16 per compressed byte).
    pub l1_units: u64,
    /// The breakdown of [`Receipt::gas_used`].
    pub gas: GasBreakdown,
    /// Address created by a deployment.
    pub contract_address: Option<Address>,
    /// Lines printed through the `console` debug imports.
    pub console: Vec<String>,
    /// Every WASM trap in the transaction, innermost first: the program's
    /// address and the trap (out of bounds memory, unreachable, ...). On
    /// chain a trap is only an empty revert; this says which contract
    /// trapped and why.
    pub traps: Vec<String>,
    /// Every program entered while it was already on the call stack, in
    /// order. The entry is refused as on Nitro (an SDK contract without the
    /// `reentrant` feature reverts), so a non-empty list means something
    /// tried to re-enter (DESIGN.md invariant 7).
    pub reentries: Vec<Address>,
    /// Slots and contracts the transaction touched.
    pub footprint: Footprint,
    /// The most value-stack words each program (by code address) used in
    /// one call, counted as Nitro's depth checker counts them, against the
    /// schedule's `max_stack_depth` (22,000 since ArbOS 50).
    pub stack_words: std::collections::BTreeMap<Address, u32>,
}

impl Receipt {
    /// What the receipt's `gasUsed` says on chain: L2 plus L1 gas.
    pub fn total_gas_used(&self) -> u64 {
        self.gas_used + self.gas_used_for_l1
    }
}

/// A call that did not succeed, as seen by typed helpers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The call reverted with this data.
    #[error("reverted with 0x{}", alloy_primitives::hex::encode(.0))]
    Reverted(Bytes),
    /// The call ran out of gas.
    #[error("out of gas")]
    OutOfGas,
    /// The call halted.
    #[error("halted")]
    Halted,
    /// The call succeeded but its return data does not decode.
    #[error("cannot decode return data: {0}")]
    Decode(String),
}

impl Receipt {
    /// Whether the call succeeded.
    pub fn success(&self) -> bool {
        self.outcome == Outcome::Success
    }

    /// Fails unless the call succeeded.
    pub fn ok(&self) -> Result<&Self, CallError> {
        match self.outcome {
            Outcome::Success => Ok(self),
            Outcome::Revert => Err(CallError::Reverted(self.output.clone())),
            Outcome::OutOfGas => Err(CallError::OutOfGas),
            Outcome::Halt => Err(CallError::Halted),
        }
    }

    /// Decodes the return data of call `C`.
    pub fn decode_return<C: SolCall>(&self) -> Result<C::Return, CallError> {
        self.ok()?;
        C::abi_decode_returns(&self.output, true).map_err(|e| CallError::Decode(e.to_string()))
    }

    /// Decodes revert data as error `E`, if it is one.
    pub fn decode_error<E: SolError>(&self) -> Option<E> {
        if self.outcome != Outcome::Revert {
            return None;
        }
        E::abi_decode(&self.output, true).ok()
    }

    /// Decodes revert data as one of the errors of interface `I`.
    pub fn decode_errors<I: SolInterface>(&self) -> Option<I> {
        if self.outcome != Outcome::Revert {
            return None;
        }
        I::abi_decode(&self.output, true).ok()
    }

    /// Every log that decodes as event `E`.
    pub fn events<E: SolEvent>(&self) -> Vec<E> {
        self.logs.iter().filter_map(Log::decode).collect()
    }
}
