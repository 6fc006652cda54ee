//! The public face of the sandbox: deploy, call, inspect, control time.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::SolCall;

use crate::chain::{BlockEnv, Chain, TxState, World};
use crate::host::{execute, linker, CallKind, Message, Runtime};
use crate::pricing::GasSchedule;
use crate::program::{DeployError, Program};
use crate::receipt::{CallError, Footprint, GasBreakdown, Outcome, Receipt};

/// `msg.sender` of constructors: on chain they run through the
/// `StylusDeployer` contract, so the sandbox uses a fixed stand-in address.
pub const STYLUS_DEPLOYER: Address = Address::new([
    0x5D, 0xE9, 0x10, 0x70, 0xD5, 0xE9, 0x10, 0x70, 0xD5, 0xE9, 0x10, 0x70, 0xD5, 0xE9, 0x10, 0x70,
    0xD5, 0xE9, 0x10, 0x70,
]);

/// Gas limit used by the convenience methods that do not take one.
pub const DEFAULT_GAS_LIMIT: u64 = 30_000_000;

/// Errors of the sandbox API (a reverted call is not an error: see [`Receipt`]).
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The module cannot be deployed.
    #[error(transparent)]
    Deploy(#[from] DeployError),
    /// An artifact could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The gas limit does not cover the intrinsic gas and the L1 (poster) gas.
    #[error("gas limit {limit} below the intrinsic and L1 gas {intrinsic}")]
    IntrinsicGas {
        /// Gas limit of the transaction.
        limit: u64,
        /// Intrinsic gas it needs.
        intrinsic: u64,
    },
    /// The gas limit is above the per-transaction cap.
    #[error("gas limit {limit} above the cap {cap}")]
    GasLimitTooHigh {
        /// Gas limit of the transaction.
        limit: u64,
        /// The cap.
        cap: u64,
    },
    /// The sender cannot pay the value.
    #[error("{from} has {balance} wei, needs {value}")]
    InsufficientFunds {
        /// Sender.
        from: Address,
        /// Its balance.
        balance: U256,
        /// Value of the transaction.
        value: U256,
    },
    /// The constructor did not succeed; the deployment was rolled back.
    #[error("constructor failed: {:?}", .0.outcome)]
    ConstructorFailed(Box<Receipt>),
    /// No snapshot with this id.
    #[error("unknown snapshot {0}")]
    UnknownSnapshot(usize),
}

/// A transaction from an externally owned account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tx {
    /// Sender (an EOA).
    pub from: Address,
    /// Recipient.
    pub to: Address,
    /// Calldata.
    pub input: Bytes,
    /// Value in wei.
    pub value: U256,
    /// Gas limit.
    pub gas_limit: u64,
}

impl Tx {
    /// A call with no value and [`DEFAULT_GAS_LIMIT`].
    pub fn call(from: Address, to: Address, input: impl Into<Bytes>) -> Self {
        Self { from, to, input: input.into(), value: U256::ZERO, gas_limit: DEFAULT_GAS_LIMIT }
    }

    /// Sets the value.
    #[must_use]
    pub fn value(mut self, value: U256) -> Self {
        self.value = value;
        self
    }

    /// Sets the gas limit.
    #[must_use]
    pub fn gas_limit(mut self, gas_limit: u64) -> Self {
        self.gas_limit = gas_limit;
        self
    }
}

/// Identifies a snapshot taken with [`Sandbox::snapshot`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SnapshotId(pub usize);

/// An in-process Stylus chain.
#[derive(Debug)]
pub struct Sandbox {
    rt: Arc<Runtime>,
    chain: Option<Box<Chain>>,
    snapshots: Vec<World>,
    programs: HashMap<B256, Arc<Program>>,
    allow_console: bool,
    size_limits: bool,
    block_per_transaction: bool,
    stack_high_water: BTreeMap<Address, u32>,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    /// A sandbox with the current ArbOS pricing.
    pub fn new() -> Self {
        Self::with_schedule(GasSchedule::live())
    }

    /// A sandbox with the given pricing.
    pub fn with_schedule(schedule: GasSchedule) -> Self {
        let mut config = wasmi::Config::default();
        config.wasm_bulk_memory(true);
        // Nitro's depth meter (22,000 words, at least 6 a frame) must run out
        // before the interpreter's own recursion limit (1,000 by default).
        config.set_max_recursion_depth(8_192);
        let engine = wasmi::Engine::new(&config);
        let linker = linker(&engine);
        Self {
            rt: Arc::new(Runtime { engine, linker, schedule }),
            chain: Some(Box::default()),
            snapshots: Vec::new(),
            programs: HashMap::new(),
            allow_console: false,
            size_limits: true,
            block_per_transaction: false,
            stack_high_water: BTreeMap::new(),
        }
    }

    /// Accepts modules that import the `console` debug functions (debug builds).
    pub fn allow_console(&mut self, allow: bool) {
        self.allow_console = allow;
    }

    /// Enforces (the default) or waives the 24,576-byte deployed-code and
    /// 128 KiB module limits at deployment, e.g. to run an unoptimised build.
    pub fn enforce_size_limits(&mut self, enforce: bool) {
        self.size_limits = enforce;
    }

    /// Runs every transaction and call in a block of its own (the block
    /// number moves on by one, the time does not), so that from ArbOS 60 no
    /// call finds a program in the block's cache of recently used programs
    /// that an earlier transaction put there: a gas report's "uncached" row
    /// is then the first use of each program in its block.
    pub fn set_block_per_transaction(&mut self, on: bool) {
        self.block_per_transaction = on;
    }

    /// The most value-stack words each program (by code address) used in one
    /// call, over every transaction and view this sandbox has run: the
    /// margin a contract keeps below Nitro's `max_stack_depth`.
    pub fn stack_high_water(&self) -> &BTreeMap<Address, u32> {
        &self.stack_high_water
    }

    /// The price list in use.
    pub fn schedule(&self) -> &GasSchedule {
        &self.rt.schedule
    }

    fn ch(&self) -> &Chain {
        self.chain.as_deref().expect("chain is home between calls")
    }

    fn ch_mut(&mut self) -> &mut Chain {
        self.chain.as_deref_mut().expect("chain is home between calls")
    }

    /// The world state.
    pub fn world(&self) -> &World {
        &self.ch().world
    }

    // ---- accounts -------------------------------------------------------

    /// Balance of an account in wei.
    pub fn balance(&self, address: Address) -> U256 {
        self.ch().balance(address)
    }

    /// Sets a balance (test setup).
    pub fn set_balance(&mut self, address: Address, balance: U256) {
        self.ch_mut().world.accounts.entry(address).or_default().balance = balance;
    }

    /// Nonce of an account.
    pub fn nonce(&self, address: Address) -> u64 {
        self.ch().account(address).map_or(0, |a| a.nonce)
    }

    /// A storage slot.
    pub fn storage(&self, address: Address, slot: U256) -> U256 {
        self.ch().sload(address, slot)
    }

    /// Writes a storage slot directly (test setup).
    pub fn set_storage(&mut self, address: Address, slot: U256, value: U256) {
        let account = self.ch_mut().world.accounts.entry(address).or_default();
        if value.is_zero() {
            account.storage.remove(&slot);
        } else {
            account.storage.insert(slot, value);
        }
    }

    /// The program deployed at `address`.
    pub fn program(&self, address: Address) -> Option<Arc<Program>> {
        self.ch().account(address).and_then(|a| a.program.clone())
    }

    /// Marks the program at `address` as cached (entry costs the cached
    /// price only) or not. Programs start uncached.
    pub fn set_cached(&mut self, address: Address, cached: bool) {
        if let Some(a) = self.ch_mut().world.accounts.get_mut(&address) {
            a.cached = cached;
        }
    }

    // ---- time -----------------------------------------------------------

    /// The current block.
    pub fn block(&self) -> &BlockEnv {
        &self.ch().world.block
    }

    /// The current block, to change any of its values.
    pub fn block_mut(&mut self) -> &mut BlockEnv {
        &mut self.ch_mut().world.block
    }

    /// Sets the block timestamp.
    pub fn set_timestamp(&mut self, timestamp: u64) {
        self.block_mut().timestamp = timestamp;
    }

    /// Moves the block timestamp forward.
    pub fn advance_time(&mut self, seconds: u64) {
        self.block_mut().timestamp += seconds;
    }

    /// Mines `blocks` blocks: the number grows by `blocks`, the timestamp by
    /// `blocks * block_interval`.
    pub fn mine(&mut self, blocks: u64) {
        let b = self.block_mut();
        b.number += blocks;
        b.timestamp += blocks * b.block_interval;
    }

    // ---- snapshots ------------------------------------------------------

    /// Records the whole state (accounts and block).
    pub fn snapshot(&mut self) -> SnapshotId {
        let world = self.ch().world.clone();
        self.snapshots.push(world);
        SnapshotId(self.snapshots.len() - 1)
    }

    /// Restores a snapshot. The snapshot stays usable; later ones are dropped.
    pub fn revert_to(&mut self, id: SnapshotId) -> Result<(), SandboxError> {
        let world = self.snapshots.get(id.0).cloned().ok_or(SandboxError::UnknownSnapshot(id.0))?;
        self.snapshots.truncate(id.0 + 1);
        self.ch_mut().world = world;
        Ok(())
    }

    // ---- deployment -----------------------------------------------------

    /// Activates a module (checks, instruments, compiles), reusing earlier
    /// activations of the same bytes.
    pub fn activate(&mut self, wasm: &[u8]) -> Result<Arc<Program>, SandboxError> {
        let hash = keccak256(wasm);
        if let Some(p) = self.programs.get(&hash) {
            return Ok(Arc::clone(p));
        }
        let program = Arc::new(Program::activate(
            wasm,
            &self.rt.engine,
            &self.rt.schedule,
            self.allow_console,
            self.size_limits,
        )?);
        self.programs.insert(hash, Arc::clone(&program));
        Ok(program)
    }

    /// Deploys `wasm` from `from` at `from.create(nonce)`. When
    /// `constructor_args` is given (ABI-encoded, without selector), the
    /// constructor runs with [`STYLUS_DEPLOYER`] as `msg.sender` and `from` as
    /// `tx.origin`; if it fails, nothing is deployed.
    pub fn deploy(
        &mut self,
        from: Address,
        wasm: &[u8],
        constructor_args: Option<&[u8]>,
        value: U256,
    ) -> Result<(Address, Option<Receipt>), SandboxError> {
        let program = self.activate(wasm)?;
        let nonce = self.nonce(from);
        let address = from.create(nonce);
        let Some(args) = constructor_args else {
            let ch = self.ch_mut();
            ch.world.accounts.entry(from).or_default().nonce += 1;
            let account = ch.world.accounts.entry(address).or_default();
            account.program = Some(program);
            account.nonce = 1;
            return Ok((address, None));
        };
        let mut input = constructor_selector().to_vec();
        input.extend_from_slice(args);
        let tx = Tx { from, to: address, input: input.into(), value, gas_limit: DEFAULT_GAS_LIMIT };
        let mut receipt = self.run(&tx, CallKind::Call, Some((program, STYLUS_DEPLOYER)))?;
        receipt.contract_address = Some(address);
        if receipt.success() {
            Ok((address, Some(receipt)))
        } else {
            Err(SandboxError::ConstructorFailed(Box::new(receipt)))
        }
    }

    /// Deploys `wasm` and runs its constructor with typed arguments.
    pub fn deploy_with<C: alloy_sol_types::SolConstructor>(
        &mut self,
        from: Address,
        wasm: &[u8],
        constructor: &C,
    ) -> Result<Address, SandboxError> {
        let args = constructor.abi_encode();
        Ok(self.deploy(from, wasm, Some(&args), U256::ZERO)?.0)
    }

    /// Reads an artifact and deploys it (see [`Sandbox::deploy`]).
    pub fn deploy_file(
        &mut self,
        from: Address,
        path: &Path,
        constructor_args: Option<&[u8]>,
    ) -> Result<(Address, Option<Receipt>), SandboxError> {
        let wasm = std::fs::read(path)
            .map_err(|source| SandboxError::Io { path: path.to_path_buf(), source })?;
        self.deploy(from, &wasm, constructor_args, U256::ZERO)
    }

    // ---- calls ----------------------------------------------------------

    /// Runs a transaction and commits its effects.
    pub fn transact(&mut self, tx: &Tx) -> Result<Receipt, SandboxError> {
        self.run(tx, CallKind::Call, None)
    }

    /// Calls `to` with raw calldata from `from` ([`DEFAULT_GAS_LIMIT`], no value).
    pub fn call_raw(
        &mut self,
        from: Address,
        to: Address,
        input: impl Into<Bytes>,
    ) -> Result<Receipt, SandboxError> {
        self.transact(&Tx::call(from, to, input))
    }

    /// Calls `to` with an `alloy-sol-types` call and returns the receipt.
    pub fn call<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
    ) -> Result<Receipt, SandboxError> {
        self.call_raw(from, to, call.abi_encode())
    }

    /// Calls and decodes the return value; a revert becomes [`CallError`].
    pub fn call_decode<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
    ) -> Result<C::Return, CallError> {
        let receipt = self.call(from, to, call).map_err(|e| CallError::Decode(e.to_string()))?;
        receipt.decode_return::<C>()
    }

    /// A read-only call: runs as `STATICCALL` (writes fail) and leaves no trace.
    pub fn static_call_raw(
        &mut self,
        from: Address,
        to: Address,
        input: impl Into<Bytes>,
    ) -> Result<Receipt, SandboxError> {
        self.run(&Tx::call(from, to, input), CallKind::Static, None)
    }

    /// A read-only call with an `alloy-sol-types` call, returning the receipt.
    pub fn static_call<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
    ) -> Result<Receipt, SandboxError> {
        self.static_call_raw(from, to, call.abi_encode())
    }

    /// A read-only typed call returning the decoded value.
    pub fn view<C: SolCall>(&mut self, to: Address, call: &C) -> Result<C::Return, CallError> {
        let receipt = self
            .static_call_raw(Address::ZERO, to, call.abi_encode())
            .map_err(|e| CallError::Decode(e.to_string()))?;
        receipt.decode_return::<C>()
    }

    /// Intrinsic gas of a transaction with this calldata.
    #[allow(clippy::naive_bytecount)] // calldata is short
    pub fn intrinsic_gas(&self, input: &[u8]) -> u64 {
        let s = &self.rt.schedule;
        let zeros = input.iter().filter(|b| **b == 0).count() as u64;
        s.tx_gas
            + zeros * s.tx_data_zero_gas
            + (input.len() as u64 - zeros) * s.tx_data_non_zero_gas
    }

    #[allow(clippy::too_many_lines)] // one transaction, checks to receipt, in order
    fn run(
        &mut self,
        tx: &Tx,
        kind: CallKind,
        install: Option<(Arc<Program>, Address)>,
    ) -> Result<Receipt, SandboxError> {
        let s = self.rt.schedule.clone();
        let intrinsic = self.intrinsic_gas(&tx.input);
        if tx.gas_limit > s.max_tx_gas {
            return Err(SandboxError::GasLimitTooHigh { limit: tx.gas_limit, cap: s.max_tx_gas });
        }
        let is_static = kind == CallKind::Static;
        // Arbitrum buys the L1 (poster) gas out of the gas limit before the
        // EVM starts (Nitro's `GasChargingHook`); a read-only call posts
        // nothing.
        let (l1_units, gas_used_for_l1) = if is_static {
            (0, 0)
        } else {
            let block = &self.ch().world.block;
            let bytes = crate::l1::signed_eip1559(&crate::l1::TxFields {
                chain_id: block.chain_id,
                nonce: self.ch().account(tx.from).map_or(0, |a| a.nonce),
                max_fee_per_gas: block.basefee,
                gas_limit: tx.gas_limit,
                to: tx.to,
                value: tx.value,
                input: &tx.input,
            });
            let units = crate::l1::poster_units(&s, &bytes);
            (units, crate::l1::poster_gas(units, block.l1_price_per_unit, block.basefee))
        };
        let needed = intrinsic.saturating_add(gas_used_for_l1);
        if tx.gas_limit < needed {
            return Err(SandboxError::IntrinsicGas { limit: tx.gas_limit, intrinsic: needed });
        }
        let balance = self.balance(tx.from);
        if balance < tx.value {
            return Err(SandboxError::InsufficientFunds {
                from: tx.from,
                balance,
                value: tx.value,
            });
        }
        if self.block_per_transaction {
            self.block_mut().number += 1;
        }
        let mut ch = self.chain.take().expect("chain is home between calls");
        ch.tx = TxState { origin: tx.from, ..TxState::default() };
        ch.tx.breakdown = GasBreakdown { intrinsic_gas: intrinsic, ..GasBreakdown::default() };
        let coinbase = ch.world.block.coinbase;
        for warm in [tx.from, tx.to, coinbase] {
            ch.tx.warm_accounts.insert(warm);
        }
        let mut caller = tx.from;
        let deploying = install.is_some();
        if let Some((program, deployer)) = install {
            ch.bump_nonce(tx.from);
            ch.install(tx.to, program, false);
            ch.bump_nonce(tx.to);
            caller = deployer;
            // The deployer contract forwards the value it received.
            let from_balance = ch.balance(tx.from);
            ch.set_balance(tx.from, from_balance - tx.value);
            let d = ch.balance(deployer);
            ch.set_balance(deployer, d + tx.value);
        } else if !is_static {
            ch.bump_nonce(tx.from);
        }
        let message = Message {
            caller,
            address: tx.to,
            code_address: tx.to,
            value: tx.value,
            input: tx.input.clone(),
            gas: tx.gas_limit - needed,
            is_static,
            transfers_value: !is_static,
            delegate: false,
        };
        let rt = Arc::clone(&self.rt);
        let (mut ch, result) = execute(ch, &rt, &message);
        let mut used = tx.gas_limit - gas_used_for_l1 - result.gas_left;
        let refund = if result.outcome == Outcome::Success {
            u64::try_from(ch.tx.refund.max(0)).unwrap_or(0).min(used / s.max_refund_quotient)
        } else {
            0
        };
        used -= refund;
        // Measured before a static call's changes are rolled back.
        let mut by_contract = std::collections::BTreeMap::<Address, usize>::new();
        for (address, _) in &ch.tx.warm_slots {
            *by_contract.entry(*address).or_default() += 1;
        }
        let footprint = Footprint {
            slots_accessed: ch.tx.warm_slots.len(),
            slots_by_contract: by_contract.into_iter().collect(),
            slots_changed: ch
                .tx
                .originals
                .iter()
                .filter(|((address, key), original)| ch.sload(*address, *key) != **original)
                .count(),
            contracts: ch
                .tx
                .warm_accounts
                .iter()
                .filter(|a| ch.account(**a).is_some_and(|a| a.program.is_some()))
                .count(),
        };
        if (deploying && result.outcome != Outcome::Success) || is_static {
            ch.revert_to(0);
        }
        ch.tx.breakdown.refund_gas = refund;
        for (address, words) in &ch.tx.stack_words {
            let seen = self.stack_high_water.entry(*address).or_default();
            *seen = (*seen).max(*words);
        }
        let receipt = Receipt {
            outcome: result.outcome,
            output: result.output,
            logs: if result.outcome == Outcome::Success {
                std::mem::take(&mut ch.tx.logs)
            } else {
                Vec::new()
            },
            gas_used: used,
            gas_used_for_l1,
            l1_units,
            gas: ch.tx.breakdown,
            contract_address: None,
            console: std::mem::take(&mut ch.tx.console),
            traps: std::mem::take(&mut ch.tx.traps),
            reentries: std::mem::take(&mut ch.tx.reentries),
            footprint,
            stack_words: std::mem::take(&mut ch.tx.stack_words),
        };
        ch.tx.journal.clear();
        self.chain = Some(ch);
        Ok(receipt)
    }
}

/// Where `scripts/build` puts the contracts: `$BULWARK_ARTIFACTS` if set,
/// else `<workspace>/target/stylus`.
pub fn artifacts_dir() -> std::path::PathBuf {
    std::env::var_os("BULWARK_ARTIFACTS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/stylus"),
        std::path::PathBuf::from,
    )
}

/// Reads the built artifact `<name>.wasm` (e.g. `"Vault"`) from [`artifacts_dir`].
pub fn artifact(name: &str) -> Result<Vec<u8>, SandboxError> {
    let path = artifacts_dir().join(format!("{name}.wasm"));
    std::fs::read(&path).map_err(|source| SandboxError::Io { path, source })
}

/// The selector the SDK routes to the `#[constructor]` function.
pub fn constructor_selector() -> [u8; 4] {
    let hash = keccak256(b"stylus_constructor()");
    [hash[0], hash[1], hash[2], hash[3]]
}
