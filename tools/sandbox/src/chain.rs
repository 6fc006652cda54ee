//! World state, the per-transaction state and the journal that lets a
//! reverted frame roll back exactly what it changed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};

use crate::program::Program;
use crate::receipt::{GasBreakdown, Log};

/// One account.
#[derive(Debug, Clone, Default)]
pub struct Account {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// The program at this address, if any.
    pub program: Option<Arc<Program>>,
    /// Persistent storage (absent slots are zero).
    pub storage: HashMap<U256, U256>,
    /// Whether calls into this program pay the cached entry cost only.
    pub cached: bool,
}

/// Block values the programs can read; the test controls them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockEnv {
    /// Block number.
    pub number: u64,
    /// Block timestamp in seconds.
    pub timestamp: u64,
    /// Seconds added to the timestamp per mined block.
    pub block_interval: u64,
    /// Base fee in wei (also the gas price on Arbitrum).
    pub basefee: U256,
    /// Block coinbase.
    pub coinbase: Address,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Chain id.
    pub chain_id: u64,
    /// ArbOS's L1 price per unit of L1 data, in wei (`L1PricePerUnit`):
    /// what a transaction's compressed bytes cost (see [`crate::l1`]).
    pub l1_price_per_unit: U256,
}

impl Default for BlockEnv {
    fn default() -> Self {
        Self {
            number: 1,
            timestamp: 1_735_689_600,
            block_interval: 1,
            basefee: U256::from(10_000_000_u64),
            coinbase: Address::repeat_byte(0xA4),
            gas_limit: 1_125_899_906_842_624,
            chain_id: 412_346,
            // 0.05 gwei a unit: L1 data posted in blobs (set it for a scenario).
            l1_price_per_unit: U256::from(50_000_000_u64),
        }
    }
}

/// Undo record for one state change.
#[derive(Debug, Clone)]
pub(crate) enum Entry {
    Storage { address: Address, key: U256, prev: U256 },
    Transient { address: Address, key: U256, prev: U256 },
    Balance { address: Address, prev: U256 },
    Nonce { address: Address, prev: u64 },
    Created { address: Address },
    Log,
    WarmAccount(Address),
    WarmSlot(Address, U256),
    Refund { prev: i64 },
}

/// State that lives for one transaction.
#[derive(Debug, Default)]
pub(crate) struct TxState {
    pub(crate) origin: Address,
    pub(crate) journal: Vec<Entry>,
    pub(crate) logs: Vec<Log>,
    pub(crate) warm_accounts: HashSet<Address>,
    pub(crate) warm_slots: HashSet<(Address, U256)>,
    pub(crate) originals: HashMap<(Address, U256), U256>,
    pub(crate) transient: HashMap<(Address, U256), U256>,
    pub(crate) refund: i64,
    pub(crate) pages_open: u16,
    pub(crate) pages_ever: u16,
    /// Open frames per acting address (re-entry detection).
    pub(crate) active: HashMap<Address, u32>,
    pub(crate) depth: usize,
    pub(crate) breakdown: GasBreakdown,
    pub(crate) console: Vec<String>,
    /// Why a frame trapped, one line per trap (see [`crate::Receipt::traps`]).
    pub(crate) traps: Vec<String>,
    /// Programs entered while already on the stack (see [`crate::Receipt::reentries`]).
    pub(crate) reentries: Vec<Address>,
    /// The most value-stack words each program (by code address) used in
    /// one call (see [`crate::Receipt::stack_words`]).
    pub(crate) stack_words: BTreeMap<Address, u32>,
}

/// All accounts plus the block.
#[derive(Debug, Clone, Default)]
pub struct World {
    /// Accounts by address.
    pub accounts: BTreeMap<Address, Account>,
    /// The current block.
    pub block: BlockEnv,
    /// ArbOS 60+: code hashes of the programs called in the current block,
    /// most recent last (Nitro's `RecentWasms`, not rolled back on revert),
    /// and the block they belong to.
    pub recent_programs: (u64, Vec<B256>),
}

impl World {
    /// Records a call of the program with `code_hash` in this block's cache
    /// of `capacity` entries and says whether it was already there (an LRU:
    /// a hit moves it to the most recent place).
    pub(crate) fn touch_recent(&mut self, code_hash: B256, capacity: usize) -> bool {
        if capacity == 0 {
            return false;
        }
        let block = self.block.number;
        let (cache_block, recent) = &mut self.recent_programs;
        if *cache_block != block {
            *cache_block = block;
            recent.clear();
        }
        let hit = recent.iter().position(|h| *h == code_hash).map(|i| recent.remove(i));
        recent.push(code_hash);
        if recent.len() > capacity {
            recent.remove(0);
        }
        hit.is_some()
    }
}

/// World plus the transaction in flight.
#[derive(Debug, Default)]
pub(crate) struct Chain {
    pub(crate) world: World,
    pub(crate) tx: TxState,
}

impl Chain {
    pub(crate) fn account(&self, address: Address) -> Option<&Account> {
        self.world.accounts.get(&address)
    }

    pub(crate) fn balance(&self, address: Address) -> U256 {
        self.account(address).map_or(U256::ZERO, |a| a.balance)
    }

    /// EIP-161 emptiness: no code, zero nonce, zero balance.
    pub(crate) fn is_empty(&self, address: Address) -> bool {
        self.account(address)
            .is_none_or(|a| a.program.is_none() && a.nonce == 0 && a.balance.is_zero())
    }

    fn account_mut(&mut self, address: Address) -> &mut Account {
        if !self.world.accounts.contains_key(&address) {
            self.tx.journal.push(Entry::Created { address });
        }
        self.world.accounts.entry(address).or_default()
    }

    pub(crate) fn sload(&self, address: Address, key: U256) -> U256 {
        self.account(address).and_then(|a| a.storage.get(&key).copied()).unwrap_or_default()
    }

    pub(crate) fn original(&mut self, address: Address, key: U256) -> U256 {
        if let Some(v) = self.tx.originals.get(&(address, key)) {
            return *v;
        }
        let v = self.sload(address, key);
        self.tx.originals.insert((address, key), v);
        v
    }

    pub(crate) fn sstore(&mut self, address: Address, key: U256, value: U256) {
        let _ = self.original(address, key);
        let prev = self.sload(address, key);
        self.tx.journal.push(Entry::Storage { address, key, prev });
        let account = self.account_mut(address);
        if value.is_zero() {
            account.storage.remove(&key);
        } else {
            account.storage.insert(key, value);
        }
    }

    pub(crate) fn tload(&self, address: Address, key: U256) -> U256 {
        self.tx.transient.get(&(address, key)).copied().unwrap_or_default()
    }

    pub(crate) fn tstore(&mut self, address: Address, key: U256, value: U256) {
        let prev = self.tload(address, key);
        self.tx.journal.push(Entry::Transient { address, key, prev });
        self.tx.transient.insert((address, key), value);
    }

    pub(crate) fn set_balance(&mut self, address: Address, value: U256) {
        let prev = self.balance(address);
        self.tx.journal.push(Entry::Balance { address, prev });
        self.account_mut(address).balance = value;
    }

    /// Moves `value` wei; false (and no change) when `from` has too little.
    pub(crate) fn transfer(&mut self, from: Address, to: Address, value: U256) -> bool {
        let have = self.balance(from);
        if have < value {
            return false;
        }
        if value.is_zero() {
            return true;
        }
        self.set_balance(from, have - value);
        let to_balance = self.balance(to);
        self.set_balance(to, to_balance + value);
        true
    }

    pub(crate) fn bump_nonce(&mut self, address: Address) -> u64 {
        let account = self.account_mut(address);
        let prev = account.nonce;
        account.nonce += 1;
        self.tx.journal.push(Entry::Nonce { address, prev });
        prev
    }

    pub(crate) fn install(&mut self, address: Address, program: Arc<Program>, cached: bool) {
        let account = self.account_mut(address);
        account.program = Some(program);
        account.cached = cached;
    }

    /// Marks an account warm; returns whether it was cold.
    pub(crate) fn warm_account(&mut self, address: Address) -> bool {
        if self.tx.warm_accounts.insert(address) {
            self.tx.journal.push(Entry::WarmAccount(address));
            true
        } else {
            false
        }
    }

    /// Marks a slot warm; returns whether it was cold.
    pub(crate) fn warm_slot(&mut self, address: Address, key: U256) -> bool {
        if self.tx.warm_slots.insert((address, key)) {
            self.tx.journal.push(Entry::WarmSlot(address, key));
            true
        } else {
            false
        }
    }

    pub(crate) fn add_refund(&mut self, delta: i64) {
        self.tx.journal.push(Entry::Refund { prev: self.tx.refund });
        self.tx.refund += delta;
    }

    pub(crate) fn push_log(&mut self, log: Log) {
        self.tx.journal.push(Entry::Log);
        self.tx.logs.push(log);
    }

    pub(crate) fn checkpoint(&self) -> usize {
        self.tx.journal.len()
    }

    pub(crate) fn revert_to(&mut self, checkpoint: usize) {
        while self.tx.journal.len() > checkpoint {
            let Some(entry) = self.tx.journal.pop() else {
                break;
            };
            match entry {
                Entry::Storage { address, key, prev } => {
                    if let Some(a) = self.world.accounts.get_mut(&address) {
                        if prev.is_zero() {
                            a.storage.remove(&key);
                        } else {
                            a.storage.insert(key, prev);
                        }
                    }
                }
                Entry::Transient { address, key, prev } => {
                    self.tx.transient.insert((address, key), prev);
                }
                Entry::Balance { address, prev } => {
                    if let Some(a) = self.world.accounts.get_mut(&address) {
                        a.balance = prev;
                    }
                }
                Entry::Nonce { address, prev } => {
                    if let Some(a) = self.world.accounts.get_mut(&address) {
                        a.nonce = prev;
                    }
                }
                Entry::Created { address } => {
                    self.world.accounts.remove(&address);
                }
                Entry::Log => {
                    self.tx.logs.pop();
                }
                Entry::WarmAccount(address) => {
                    self.tx.warm_accounts.remove(&address);
                }
                Entry::WarmSlot(address, key) => {
                    self.tx.warm_slots.remove(&(address, key));
                }
                Entry::Refund { prev } => self.tx.refund = prev,
            }
        }
    }

    /// EIP-2929 + EIP-2200 + EIP-3529 gas of an `SSTORE` of `value`, with its
    /// refund change applied. Does not perform the store.
    pub(crate) fn sstore_gas(
        &mut self,
        schedule: &crate::pricing::GasSchedule,
        address: Address,
        key: U256,
        value: U256,
    ) -> u64 {
        let cold = self.warm_slot(address, key);
        let mut gas = if cold { schedule.cold_sload_gas } else { 0 };
        let current = self.sload(address, key);
        let original = self.original(address, key);
        let warm = schedule.warm_storage_read_gas;
        let reset = schedule.sstore_reset_gas - schedule.cold_sload_gas;
        let clears = i64::try_from(schedule.sstore_clears_refund).unwrap_or(i64::MAX);
        let to_i = |g: u64| i64::try_from(g).unwrap_or(i64::MAX);
        if current == value {
            return gas + warm;
        }
        if original == current {
            if original.is_zero() {
                return gas + schedule.sstore_set_gas;
            }
            if value.is_zero() {
                self.add_refund(clears);
            }
            return gas + reset;
        }
        if !original.is_zero() {
            if current.is_zero() {
                self.add_refund(-clears);
            } else if value.is_zero() {
                self.add_refund(clears);
            }
        }
        if original == value {
            if original.is_zero() {
                self.add_refund(to_i(schedule.sstore_set_gas - warm));
            } else {
                self.add_refund(to_i(reset - warm));
            }
        }
        gas += warm;
        gas
    }
}

/// The hash of an account's code as `EXTCODEHASH` reports it.
pub(crate) fn code_hash_of(account: Option<&Account>) -> B256 {
    match account {
        None => B256::ZERO,
        Some(a) if a.program.is_none() && a.nonce == 0 && a.balance.is_zero() => B256::ZERO,
        Some(a) => {
            a.program.as_ref().map_or_else(|| alloy_primitives::keccak256([]), |p| p.code_hash)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::GasSchedule;

    /// Runs the stores encoded in an EIP test's bytecode (`PUSH1 v PUSH1 0
    /// SSTORE` repeated) on a warm slot 0 whose original value is
    /// `original`, and returns (gas used including the pushes, refund).
    fn run(schedule: &GasSchedule, code: &str, original: u64) -> (u64, i64) {
        let address = Address::repeat_byte(0x42);
        let mut chain = Chain::default();
        if original != 0 {
            chain
                .world
                .accounts
                .entry(address)
                .or_default()
                .storage
                .insert(U256::ZERO, U256::from(original));
        }
        chain.warm_slot(address, U256::ZERO);
        let bytes = alloy_primitives::hex::decode(code).unwrap();
        let mut gas = 0;
        for store in bytes.chunks(5) {
            assert_eq!(store, [0x60, store[1], 0x60, 0x00, 0x55]);
            let value = U256::from(store[1]);
            gas += 2 * 3 + chain.sstore_gas(schedule, address, U256::ZERO, value);
            chain.sstore(address, U256::ZERO, value);
        }
        (gas, chain.tx.refund)
    }

    /// EIP-3529's table (London and later, what Arbitrum runs).
    #[test]
    fn eip_3529_table() {
        let s = GasSchedule::arbos_51();
        let table: &[(&str, u64, i64, u64)] = &[
            ("60006000556000600055", 212, 0, 0),
            ("60006000556001600055", 20_112, 0, 0),
            ("60016000556000600055", 20_112, 19_900, 0),
            ("60016000556002600055", 20_112, 0, 0),
            ("60016000556001600055", 20_112, 0, 0),
            ("60006000556000600055", 3_012, 4_800, 1),
            ("60006000556001600055", 3_012, 2_800, 1),
            ("60006000556002600055", 3_012, 0, 1),
            ("60026000556000600055", 3_012, 4_800, 1),
            ("60026000556003600055", 3_012, 0, 1),
            ("60026000556001600055", 3_012, 2_800, 1),
            ("60026000556002600055", 3_012, 0, 1),
            ("60016000556000600055", 3_012, 4_800, 1),
            ("60016000556002600055", 3_012, 0, 1),
            ("60016000556001600055", 212, 0, 1),
            ("600160005560006000556001600055", 40_118, 19_900, 0),
            ("600060005560016000556000600055", 5_918, 7_600, 1),
        ];
        for (code, used, refund, original) in table {
            assert_eq!(run(&s, code, *original), (*used, *refund), "{code} original {original}");
        }
    }

    /// EIP-2200's table (Istanbul prices: SLOAD 800, clear refund 15,000,
    /// no cold surcharge), run on the same rules with those prices.
    #[test]
    fn eip_2200_table() {
        let s = GasSchedule {
            cold_sload_gas: 0,
            warm_storage_read_gas: 800,
            sstore_clears_refund: 15_000,
            ..GasSchedule::arbos_51()
        };
        let table: &[(&str, u64, i64, u64)] = &[
            ("60006000556000600055", 1_612, 0, 0),
            ("60006000556001600055", 20_812, 0, 0),
            ("60016000556000600055", 20_812, 19_200, 0),
            ("60016000556002600055", 20_812, 0, 0),
            ("60016000556001600055", 20_812, 0, 0),
            ("60006000556000600055", 5_812, 15_000, 1),
            ("60006000556001600055", 5_812, 4_200, 1),
            ("60006000556002600055", 5_812, 0, 1),
            ("60026000556000600055", 5_812, 15_000, 1),
            ("60026000556003600055", 5_812, 0, 1),
            ("60026000556001600055", 5_812, 4_200, 1),
            ("60026000556002600055", 5_812, 0, 1),
            ("60016000556000600055", 5_812, 15_000, 1),
            ("60016000556002600055", 5_812, 0, 1),
            ("60016000556001600055", 1_612, 0, 1),
            ("600160005560006000556001600055", 40_818, 19_200, 0),
            ("600060005560016000556000600055", 10_818, 19_200, 1),
        ];
        for (code, used, refund, original) in table {
            assert_eq!(run(&s, code, *original), (*used, *refund), "{code} original {original}");
        }
    }

    #[test]
    fn cold_slot_pays_2100_once() {
        let s = GasSchedule::arbos_51();
        let address = Address::repeat_byte(1);
        let mut chain = Chain::default();
        assert_eq!(chain.sstore_gas(&s, address, U256::ZERO, U256::from(1)), 22_100);
        chain.sstore(address, U256::ZERO, U256::from(1));
        assert_eq!(chain.sstore_gas(&s, address, U256::ZERO, U256::from(2)), 100);
    }

    #[test]
    fn revert_restores_storage_balance_logs_and_warmth() {
        let address = Address::repeat_byte(2);
        let mut chain = Chain::default();
        chain.set_balance(address, U256::from(5));
        let cp = chain.checkpoint();
        chain.sstore(address, U256::from(1), U256::from(9));
        chain.set_balance(address, U256::from(1));
        chain.warm_account(Address::repeat_byte(3));
        chain.push_log(Log { address, topics: vec![], data: alloy_primitives::Bytes::new() });
        chain.revert_to(cp);
        assert_eq!(chain.sload(address, U256::from(1)), U256::ZERO);
        assert_eq!(chain.balance(address), U256::from(5));
        assert!(chain.tx.logs.is_empty());
        assert!(!chain.tx.warm_accounts.contains(&Address::repeat_byte(3)));
    }
}
