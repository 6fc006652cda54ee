//! Program execution: call frames, the `vm_hooks` host functions with
//! Nitro's semantics and prices, and nested calls.

use std::collections::BTreeMap;
use std::sync::Arc;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use wasmi::{Caller, Engine, Extern, Global, Linker, Memory, Store, Val};

use crate::chain::{code_hash_of, Chain};
use crate::meter::{DEPTH_GLOBAL, DEPTH_LOW_GLOBAL, INK_GLOBAL, STATUS_GLOBAL};
use crate::pricing::GasSchedule;
use crate::program::Program;
use crate::receipt::{Log, Outcome};

/// Deepest call stack the EVM allows.
pub const MAX_CALL_DEPTH: usize = 1024;

/// The signature of a host function the sandbox provides: `i` = i32,
/// `I` = i64, `f`/`F` = f32/f64.
#[derive(Debug, Clone, Copy)]
pub struct HostioSig {
    /// Import module.
    pub module: &'static str,
    /// Import name.
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static str,
    /// Result types.
    pub results: &'static str,
}

const fn sig(
    module: &'static str,
    name: &'static str,
    params: &'static str,
    results: &'static str,
) -> HostioSig {
    HostioSig { module, name, params, results }
}

/// Every host function a program may import.
pub const HOSTIOS: &[HostioSig] = &[
    sig("vm_hooks", "read_args", "i", ""),
    sig("vm_hooks", "write_result", "ii", ""),
    sig("vm_hooks", "exit_early", "i", ""),
    sig("vm_hooks", "storage_load_bytes32", "ii", ""),
    sig("vm_hooks", "storage_cache_bytes32", "ii", ""),
    sig("vm_hooks", "storage_flush_cache", "i", ""),
    sig("vm_hooks", "transient_load_bytes32", "ii", ""),
    sig("vm_hooks", "transient_store_bytes32", "ii", ""),
    sig("vm_hooks", "call_contract", "iiiiIi", "i"),
    sig("vm_hooks", "delegate_call_contract", "iiiIi", "i"),
    sig("vm_hooks", "static_call_contract", "iiiIi", "i"),
    sig("vm_hooks", "create1", "iiiii", ""),
    sig("vm_hooks", "create2", "iiiiii", ""),
    sig("vm_hooks", "read_return_data", "iii", "i"),
    sig("vm_hooks", "return_data_size", "", "i"),
    sig("vm_hooks", "emit_log", "iii", ""),
    sig("vm_hooks", "account_balance", "ii", ""),
    sig("vm_hooks", "account_code", "iiii", "i"),
    sig("vm_hooks", "account_code_size", "i", "i"),
    sig("vm_hooks", "account_codehash", "ii", ""),
    sig("vm_hooks", "evm_gas_left", "", "I"),
    sig("vm_hooks", "evm_ink_left", "", "I"),
    sig("vm_hooks", "block_basefee", "i", ""),
    sig("vm_hooks", "chainid", "", "I"),
    sig("vm_hooks", "block_coinbase", "i", ""),
    sig("vm_hooks", "block_gas_limit", "", "I"),
    sig("vm_hooks", "block_number", "", "I"),
    sig("vm_hooks", "block_timestamp", "", "I"),
    sig("vm_hooks", "contract_address", "i", ""),
    sig("vm_hooks", "math_div", "ii", ""),
    sig("vm_hooks", "math_mod", "ii", ""),
    sig("vm_hooks", "math_pow", "ii", ""),
    sig("vm_hooks", "math_add_mod", "iii", ""),
    sig("vm_hooks", "math_mul_mod", "iii", ""),
    sig("vm_hooks", "msg_reentrant", "", "i"),
    sig("vm_hooks", "msg_sender", "i", ""),
    sig("vm_hooks", "msg_value", "i", ""),
    sig("vm_hooks", "native_keccak256", "iii", ""),
    sig("vm_hooks", "tx_gas_price", "i", ""),
    sig("vm_hooks", "tx_ink_price", "", "i"),
    sig("vm_hooks", "tx_origin", "i", ""),
    sig("vm_hooks", "pay_for_memory_grow", "i", ""),
    sig("console", "log_txt", "ii", ""),
    sig("console", "log_i32", "i", ""),
    sig("console", "log_i64", "I", ""),
    sig("console", "log_f32", "f", ""),
    sig("console", "log_f64", "F", ""),
];

/// How a frame was entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    Call,
    Static,
    Delegate,
}

/// One message call.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub(crate) caller: Address,
    /// The address whose storage, balance and identity the frame uses.
    pub(crate) address: Address,
    /// The address whose code runs.
    pub(crate) code_address: Address,
    pub(crate) value: U256,
    pub(crate) input: Bytes,
    pub(crate) gas: u64,
    pub(crate) is_static: bool,
    /// Whether `value` actually moves (false for delegate calls).
    pub(crate) transfers_value: bool,
    /// A delegate frame: it runs another program's code as `address` and,
    /// as on Nitro, does not count as entering a program for re-entry.
    pub(crate) delegate: bool,
}

/// Result of one frame.
#[derive(Debug, Clone)]
pub(crate) struct FrameResult {
    pub(crate) outcome: Outcome,
    pub(crate) output: Bytes,
    pub(crate) gas_left: u64,
}

/// Shared by all frames: the interpreter and the price list.
pub(crate) struct Runtime {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<Host>,
    pub(crate) schedule: GasSchedule,
}

impl core::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Runtime").field("schedule", &self.schedule.name).finish_non_exhaustive()
    }
}

/// Why a program stopped early.
#[derive(Debug)]
enum Escape {
    OutOfInk,
    Exit(u32),
    Failure(&'static str),
}

impl core::fmt::Display for Escape {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::OutOfInk => f.write_str("out of ink"),
            Self::Exit(s) => write!(f, "exit {s}"),
            Self::Failure(why) => f.write_str(why),
        }
    }
}

impl wasmi::errors::HostError for Escape {}

#[derive(Debug, Clone, Copy)]
struct CacheWord {
    value: B256,
    known: Option<B256>,
}

/// Gas categories of host charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cat {
    Storage,
    Call,
    Memory,
    Log,
    Account,
    /// Gas a nested frame used: accounted in that frame's own categories.
    Nested,
}

/// Per-frame state of a running program.
#[derive(Debug, Default)]
pub(crate) struct Frame {
    msg: Option<Message>,
    reentrant: bool,
    ink: Option<Global>,
    status: Option<Global>,
    memory: Option<Memory>,
    output: Vec<u8>,
    return_data: Bytes,
    cache: BTreeMap<B256, CacheWord>,
    reads: u64,
    writes: u64,
    host_ink: i128,
    lost_ink: u64,
    /// The last account code this frame read, as Nitro's EVM API keeps it:
    /// reading the same address again costs no gas.
    last_code: Option<(Address, Bytes)>,
}

/// The data of a wasmi store: the chain (moved in for the frame's duration)
/// and the frame.
#[derive(Debug)]
pub(crate) struct Host {
    chain: Option<Box<Chain>>,
    rt: Arc<Runtime>,
    frame: Frame,
}

type HResult<T> = Result<T, wasmi::Error>;

fn fail<T>(why: &'static str) -> HResult<T> {
    Err(wasmi::Error::host(Escape::Failure(why)))
}

fn chain<'a>(caller: &'a mut Caller<'_, Host>) -> &'a mut Chain {
    caller.data_mut().chain.as_deref_mut().expect("the chain is in the store while its frame runs")
}

fn msg<'a>(caller: &'a Caller<'_, Host>) -> &'a Message {
    caller.data().frame.msg.as_ref().expect("a frame always has a message")
}

fn schedule(caller: &Caller<'_, Host>) -> GasSchedule {
    caller.data().rt.schedule.clone()
}

fn ink_left(caller: &Caller<'_, Host>) -> u64 {
    let global = caller.data().frame.ink.expect("instrumented module exports ink");
    match global.get(caller) {
        Val::I64(v) => v.cast_unsigned(),
        _ => 0,
    }
}

fn set_ink(caller: &mut Caller<'_, Host>, ink: u64) {
    let global = caller.data().frame.ink.expect("instrumented module exports ink");
    global.set(&mut *caller, Val::I64(ink.cast_signed())).expect("ink global is a mutable i64");
}

fn out_of_ink(caller: &mut Caller<'_, Host>) -> wasmi::Error {
    let left = ink_left(caller);
    caller.data_mut().frame.lost_ink += left;
    set_ink(caller, 0);
    wasmi::Error::host(Escape::OutOfInk)
}

/// Charges host-call ink.
fn buy_ink(caller: &mut Caller<'_, Host>, ink: u64) -> HResult<()> {
    let left = ink_left(caller);
    if left < ink {
        return Err(out_of_ink(caller));
    }
    set_ink(caller, left - ink);
    caller.data_mut().frame.host_ink += i128::from(ink);
    chain(caller).tx.breakdown.hostio_ink += ink;
    Ok(())
}

/// Charges EVM gas in a category.
fn buy_gas(caller: &mut Caller<'_, Host>, gas: u64, cat: Cat) -> HResult<()> {
    let price = u64::from(caller.data().rt.schedule.ink_price);
    let ink = gas.saturating_mul(price);
    let left = ink_left(caller);
    if left < ink {
        return Err(out_of_ink(caller));
    }
    set_ink(caller, left - ink);
    caller.data_mut().frame.host_ink += i128::from(ink);
    let b = &mut chain(caller).tx.breakdown;
    match cat {
        Cat::Storage => b.storage_gas += gas,
        Cat::Call => b.call_gas += gas,
        Cat::Memory => b.memory_gas += gas,
        Cat::Log => b.log_gas += gas,
        Cat::Account => b.account_gas += gas,
        Cat::Nested => {}
    }
    Ok(())
}

fn gas_left(caller: &Caller<'_, Host>) -> u64 {
    ink_left(caller) / u64::from(caller.data().rt.schedule.ink_price)
}

fn require_gas(caller: &mut Caller<'_, Host>, gas: u64) -> HResult<()> {
    if gas_left(caller) < gas {
        return Err(out_of_ink(caller));
    }
    Ok(())
}

fn memory(caller: &Caller<'_, Host>) -> Memory {
    caller.data().frame.memory.expect("modules export memory")
}

fn read_mem(caller: &Caller<'_, Host>, ptr: u32, len: u32) -> HResult<Vec<u8>> {
    let mut buf = vec![0; len as usize];
    memory(caller)
        .read(caller, ptr as usize, &mut buf)
        .or_else(|_| fail("memory read out of bounds"))?;
    Ok(buf)
}

fn write_mem(caller: &mut Caller<'_, Host>, ptr: u32, data: &[u8]) -> HResult<()> {
    let mem = memory(caller);
    mem.write(caller, ptr as usize, data).or_else(|_| fail("memory write out of bounds"))
}

fn read_word(caller: &Caller<'_, Host>, ptr: u32) -> HResult<B256> {
    Ok(B256::from_slice(&read_mem(caller, ptr, 32)?))
}

fn read_address(caller: &Caller<'_, Host>, ptr: u32) -> HResult<Address> {
    Ok(Address::from_slice(&read_mem(caller, ptr, 20)?))
}

fn read_price(s: &GasSchedule, bytes: u64) -> u64 {
    s.from_program_base_ink + s.from_program_byte_ink * bytes.saturating_sub(32)
}

fn write_price(s: &GasSchedule, bytes: u64) -> u64 {
    s.ptr_ink + s.to_program_byte_ink * bytes.saturating_sub(32)
}

/// Builds the linker with every host function.
#[allow(clippy::too_many_lines)] // one registration per hostio
pub(crate) fn linker(engine: &Engine) -> Linker<Host> {
    let mut l = Linker::<Host>::new(engine);
    let h = "vm_hooks";
    let ok = "host function names are unique";

    l.func_wrap(h, "read_args", |mut c: Caller<'_, Host>, dest: u32| {
        let s = schedule(&c);
        let args = msg(&c).input.clone();
        buy_ink(&mut c, s.read_args_ink(args.len() as u64))?;
        write_mem(&mut c, dest, &args)
    })
    .expect(ok);
    l.func_wrap(h, "write_result", |mut c: Caller<'_, Host>, ptr: u32, len: u32| {
        let s = schedule(&c);
        buy_ink(&mut c, s.write_result_ink(u64::from(len)))?;
        let data = read_mem(&c, ptr, len)?;
        c.data_mut().frame.output = data;
        Ok(())
    })
    .expect(ok);
    l.func_wrap(h, "exit_early", |_c: Caller<'_, Host>, status: u32| -> HResult<()> {
        Err(wasmi::Error::host(Escape::Exit(status)))
    })
    .expect(ok);
    l.func_wrap(h, "storage_load_bytes32", storage_load).expect(ok);
    l.func_wrap(h, "storage_cache_bytes32", storage_cache).expect(ok);
    l.func_wrap(h, "storage_flush_cache", storage_flush).expect(ok);
    l.func_wrap(h, "transient_load_bytes32", |mut c: Caller<'_, Host>, key: u32, dest: u32| {
        let s = schedule(&c);
        buy_ink(&mut c, s.hostio_ink + 2 * s.ptr_ink + s.evm_api_ink)?;
        buy_gas(&mut c, s.warm_storage_read_gas, Cat::Storage)?;
        let key = U256::from_be_bytes(read_word(&c, key)?.0);
        let address = msg(&c).address;
        let v = chain(&mut c).tload(address, key);
        write_mem(&mut c, dest, &v.to_be_bytes::<32>())
    })
    .expect(ok);
    l.func_wrap(h, "transient_store_bytes32", |mut c: Caller<'_, Host>, key: u32, value: u32| {
        let s = schedule(&c);
        buy_ink(&mut c, s.hostio_ink + 2 * s.ptr_ink + s.evm_api_ink)?;
        if msg(&c).is_static {
            return fail("transient store in a static call");
        }
        buy_gas(&mut c, s.warm_storage_read_gas, Cat::Storage)?;
        let key = U256::from_be_bytes(read_word(&c, key)?.0);
        let value = U256::from_be_bytes(read_word(&c, value)?.0);
        let address = msg(&c).address;
        chain(&mut c).tstore(address, key, value);
        Ok(())
    })
    .expect(ok);
    l.func_wrap(
        h,
        "call_contract",
        |mut c: Caller<'_, Host>,
         to: u32,
         data: u32,
         len: u32,
         value: u32,
         gas: u64,
         ret_len: u32| {
            let value = U256::from_be_bytes(read_word(&c, value)?.0);
            do_call(&mut c, CallKind::Call, to, data, len, value, gas, ret_len)
        },
    )
    .expect(ok);
    l.func_wrap(
        h,
        "delegate_call_contract",
        |mut c: Caller<'_, Host>, to: u32, data: u32, len: u32, gas: u64, ret_len: u32| {
            do_call(&mut c, CallKind::Delegate, to, data, len, U256::ZERO, gas, ret_len)
        },
    )
    .expect(ok);
    l.func_wrap(
        h,
        "static_call_contract",
        |mut c: Caller<'_, Host>, to: u32, data: u32, len: u32, gas: u64, ret_len: u32| {
            do_call(&mut c, CallKind::Static, to, data, len, U256::ZERO, gas, ret_len)
        },
    )
    .expect(ok);
    l.func_wrap(
        h,
        "create1",
        |mut c: Caller<'_, Host>, code: u32, len: u32, endowment: u32, out: u32, ret_len: u32| {
            do_create(&mut c, code, len, endowment, None, out, ret_len)
        },
    )
    .expect(ok);
    l.func_wrap(
        h,
        "create2",
        |mut c: Caller<'_, Host>,
         code: u32,
         len: u32,
         endowment: u32,
         salt: u32,
         out: u32,
         ret_len: u32| {
            let salt = read_word(&c, salt)?;
            do_create(&mut c, code, len, endowment, Some(salt), out, ret_len)
        },
    )
    .expect(ok);
    l.func_wrap(
        h,
        "read_return_data",
        |mut c: Caller<'_, Host>, dest: u32, offset: u32, size: u32| {
            let s = schedule(&c);
            // Nitro: the EVM API base, then the write price of what can be
            // copied (5,040 ink even when nothing can).
            buy_ink(&mut c, s.hostio_ink + s.evm_api_ink)?;
            let data = c.data().frame.return_data.clone();
            let start = (offset as usize).min(data.len());
            let end = start.saturating_add(size as usize).min(data.len());
            let slice = &data[start..end];
            buy_ink(&mut c, write_price(&s, slice.len() as u64))?;
            write_mem(&mut c, dest, slice)?;
            Ok(u32::try_from(slice.len()).unwrap_or(u32::MAX))
        },
    )
    .expect(ok);
    l.func_wrap(h, "return_data_size", |mut c: Caller<'_, Host>| {
        let s = schedule(&c);
        buy_ink(&mut c, s.hostio_ink)?;
        Ok(u32::try_from(c.data().frame.return_data.len()).unwrap_or(u32::MAX))
    })
    .expect(ok);
    l.func_wrap(h, "emit_log", |mut c: Caller<'_, Host>, ptr: u32, len: u32, topics: u32| {
        let s = schedule(&c);
        buy_ink(&mut c, s.hostio_ink + s.evm_api_ink)?;
        if topics > 4 || len < topics * 32 {
            return fail("bad topic data");
        }
        if msg(&c).is_static {
            return fail("log in a static call");
        }
        buy_ink(&mut c, read_price(&s, u64::from(len)))?;
        let data_len = u64::from(len - topics * 32);
        buy_gas(
            &mut c,
            s.log_gas + s.log_topic_gas * u64::from(topics) + s.log_data_gas * data_len,
            Cat::Log,
        )?;
        let bytes = read_mem(&c, ptr, len)?;
        let split = (topics * 32) as usize;
        let log = Log {
            address: msg(&c).address,
            topics: bytes[..split].chunks(32).map(B256::from_slice).collect(),
            data: Bytes::copy_from_slice(&bytes[split..]),
        };
        chain(&mut c).push_log(log);
        Ok(())
    })
    .expect(ok);
    l.func_wrap(h, "account_balance", |mut c: Caller<'_, Host>, addr: u32, dest: u32| {
        let s = schedule(&c);
        buy_ink(&mut c, s.hostio_ink + 2 * s.ptr_ink + s.evm_api_ink)?;
        require_gas(&mut c, s.cold_account_access_gas)?;
        let address = read_address(&c, addr)?;
        account_access(&mut c, address)?;
        let balance = chain(&mut c).balance(address);
        write_mem(&mut c, dest, &balance.to_be_bytes::<32>())
    })
    .expect(ok);
    l.func_wrap(
        h,
        "account_code",
        |mut c: Caller<'_, Host>, addr: u32, offset: u32, size: u32, dest: u32| {
            let s = schedule(&c);
            let address = read_address(&c, addr)?;
            let code = read_code(&mut c, address)?;
            let start = (offset as usize).min(code.len());
            let end = start.saturating_add(size as usize).min(code.len());
            // Nitro prices the write of the whole code, whatever the slice.
            buy_ink(&mut c, write_price(&s, code.len() as u64))?;
            write_mem(&mut c, dest, &code[start..end])?;
            Ok(u32::try_from(end - start).unwrap_or(u32::MAX))
        },
    )
    .expect(ok);
    l.func_wrap(h, "account_code_size", |mut c: Caller<'_, Host>, addr: u32| {
        let address = read_address(&c, addr)?;
        let code = read_code(&mut c, address)?;
        Ok(u32::try_from(code.len()).unwrap_or(u32::MAX))
    })
    .expect(ok);
    l.func_wrap(h, "account_codehash", |mut c: Caller<'_, Host>, addr: u32, dest: u32| {
        let s = schedule(&c);
        buy_ink(&mut c, s.hostio_ink + 2 * s.ptr_ink + s.evm_api_ink)?;
        require_gas(&mut c, s.cold_account_access_gas)?;
        let address = read_address(&c, addr)?;
        account_access(&mut c, address)?;
        let hash = code_hash_of(chain(&mut c).account(address));
        write_mem(&mut c, dest, hash.as_slice())
    })
    .expect(ok);
    l.func_wrap(h, "evm_gas_left", |mut c: Caller<'_, Host>| {
        let s = schedule(&c);
        buy_ink(&mut c, s.hostio_ink)?;
        Ok(gas_left(&c))
    })
    .expect(ok);
    l.func_wrap(h, "evm_ink_left", |mut c: Caller<'_, Host>| {
        let s = schedule(&c);
        buy_ink(&mut c, s.hostio_ink)?;
        Ok(ink_left(&c))
    })
    .expect(ok);
    l.func_wrap(h, "block_basefee", |mut c: Caller<'_, Host>, dest: u32| {
        let v = chain(&mut c).world.block.basefee;
        word_hostio(&mut c, dest, &v.to_be_bytes::<32>())
    })
    .expect(ok);
    l.func_wrap(h, "tx_gas_price", |mut c: Caller<'_, Host>, dest: u32| {
        let v = chain(&mut c).world.block.basefee;
        word_hostio(&mut c, dest, &v.to_be_bytes::<32>())
    })
    .expect(ok);
    l.func_wrap(h, "block_coinbase", |mut c: Caller<'_, Host>, dest: u32| {
        let v = chain(&mut c).world.block.coinbase;
        word_hostio(&mut c, dest, v.as_slice())
    })
    .expect(ok);
    l.func_wrap(h, "contract_address", |mut c: Caller<'_, Host>, dest: u32| {
        let v = msg(&c).address;
        word_hostio(&mut c, dest, v.as_slice())
    })
    .expect(ok);
    l.func_wrap(h, "msg_sender", |mut c: Caller<'_, Host>, dest: u32| {
        let v = msg(&c).caller;
        word_hostio(&mut c, dest, v.as_slice())
    })
    .expect(ok);
    l.func_wrap(h, "msg_value", |mut c: Caller<'_, Host>, dest: u32| {
        let v = msg(&c).value;
        word_hostio(&mut c, dest, &v.to_be_bytes::<32>())
    })
    .expect(ok);
    l.func_wrap(h, "tx_origin", |mut c: Caller<'_, Host>, dest: u32| {
        let v = chain(&mut c).tx.origin;
        word_hostio(&mut c, dest, v.as_slice())
    })
    .expect(ok);
    l.func_wrap(h, "chainid", |mut c: Caller<'_, Host>| {
        let s = schedule(&c);
        buy_ink(&mut c, s.hostio_ink)?;
        Ok(chain(&mut c).world.block.chain_id)
    })
    .expect(ok);
    l.func_wrap(h, "block_gas_limit", |mut c: Caller<'_, Host>| {
        let s = schedule(&c);
        buy_ink(&mut c, s.hostio_ink)?;
        Ok(chain(&mut c).world.block.gas_limit)
    })
    .expect(ok);
    l.func_wrap(h, "block_number", |mut c: Caller<'_, Host>| {
        let s = schedule(&c);
        buy_ink(&mut c, s.hostio_ink)?;
        Ok(chain(&mut c).world.block.number)
    })
    .expect(ok);
    l.func_wrap(h, "block_timestamp", |mut c: Caller<'_, Host>| {
        let s = schedule(&c);
        buy_ink(&mut c, s.hostio_ink)?;
        Ok(chain(&mut c).world.block.timestamp)
    })
    .expect(ok);
    l.func_wrap(h, "msg_reentrant", |mut c: Caller<'_, Host>| {
        let s = schedule(&c);
        buy_ink(&mut c, s.hostio_ink)?;
        Ok(u32::from(c.data().frame.reentrant))
    })
    .expect(ok);
    l.func_wrap(h, "tx_ink_price", |mut c: Caller<'_, Host>| {
        let s = schedule(&c);
        buy_ink(&mut c, s.hostio_ink)?;
        Ok(s.ink_price)
    })
    .expect(ok);
    l.func_wrap(h, "native_keccak256", |mut c: Caller<'_, Host>, ptr: u32, len: u32, out: u32| {
        let s = schedule(&c);
        buy_ink(&mut c, s.keccak_ink(u64::from(len)))?;
        let data = read_mem(&c, ptr, len)?;
        write_mem(&mut c, out, keccak256(&data).as_slice())
    })
    .expect(ok);
    l.func_wrap(h, "pay_for_memory_grow", |mut c: Caller<'_, Host>, pages: u32| {
        let s = schedule(&c);
        if pages == 0 {
            return buy_ink(&mut c, s.hostio_ink);
        }
        let pages = u16::try_from(pages).unwrap_or(u16::MAX);
        let tx = &chain(&mut c).tx;
        let gas = s.memory_gas(pages, tx.pages_open, tx.pages_ever);
        buy_gas(&mut c, gas, Cat::Memory)?;
        let tx = &mut chain(&mut c).tx;
        tx.pages_open = tx.pages_open.saturating_add(pages);
        tx.pages_ever = tx.pages_ever.max(tx.pages_open);
        Ok(())
    })
    .expect(ok);
    for name in ["math_div", "math_mod", "math_pow"] {
        l.func_wrap(h, name, |_c: Caller<'_, Host>, _a: u32, _b: u32| -> HResult<()> {
            fail("math hostios are not provided by the sandbox")
        })
        .expect(ok);
    }
    for name in ["math_add_mod", "math_mul_mod"] {
        l.func_wrap(h, name, |_c: Caller<'_, Host>, _a: u32, _b: u32, _m: u32| -> HResult<()> {
            fail("math hostios are not provided by the sandbox")
        })
        .expect(ok);
    }
    let con = "console";
    l.func_wrap(con, "log_txt", |mut c: Caller<'_, Host>, ptr: u32, len: u32| {
        let text = String::from_utf8_lossy(&read_mem(&c, ptr, len)?).into_owned();
        chain(&mut c).tx.console.push(text);
        Ok(())
    })
    .expect(ok);
    l.func_wrap(con, "log_i32", |mut c: Caller<'_, Host>, v: i32| {
        chain(&mut c).tx.console.push(v.to_string());
    })
    .expect(ok);
    l.func_wrap(con, "log_i64", |mut c: Caller<'_, Host>, v: i64| {
        chain(&mut c).tx.console.push(v.to_string());
    })
    .expect(ok);
    l.func_wrap(con, "log_f32", |mut c: Caller<'_, Host>, v: f32| {
        chain(&mut c).tx.console.push(v.to_string());
    })
    .expect(ok);
    l.func_wrap(con, "log_f64", |mut c: Caller<'_, Host>, v: f64| {
        chain(&mut c).tx.console.push(v.to_string());
    })
    .expect(ok);
    l
}

fn word_hostio(c: &mut Caller<'_, Host>, dest: u32, bytes: &[u8]) -> HResult<()> {
    let s = schedule(c);
    buy_ink(c, s.hostio_ink + s.ptr_ink)?;
    write_mem(c, dest, bytes)
}

fn code_of(chain: &Chain, address: Address) -> Bytes {
    chain
        .account(address)
        .and_then(|a| a.program.as_ref())
        .map_or_else(Bytes::new, |p| Bytes::copy_from_slice(&p.code))
}

/// What `account_code` and `account_code_size` share, as Nitro prices them:
/// the EVM API base, 2,600 gas required, then (unless this frame's last
/// code read was of the same address, which is free) the 700 code surcharge
/// plus the EIP-2929 access. Empty code is not remembered (ArbOS 40+).
fn read_code(c: &mut Caller<'_, Host>, address: Address) -> HResult<Bytes> {
    let s = schedule(c);
    buy_ink(c, s.hostio_ink + s.evm_api_ink)?;
    require_gas(c, s.cold_account_access_gas)?;
    if let Some((last, code)) = &c.data().frame.last_code {
        if *last == address {
            return Ok(code.clone());
        }
    }
    buy_gas(c, s.code_read_gas, Cat::Account)?;
    account_access(c, address)?;
    let code = code_of(chain(c), address);
    if !code.is_empty() {
        c.data_mut().frame.last_code = Some((address, code.clone()));
    }
    Ok(code)
}

/// EIP-2929 account access: 2,600 cold, 100 warm.
fn account_access(c: &mut Caller<'_, Host>, address: Address) -> HResult<()> {
    let s = schedule(c);
    let cold = chain(c).warm_account(address);
    let gas = if cold { s.cold_account_access_gas } else { s.warm_storage_read_gas };
    buy_gas(c, gas, Cat::Account)
}

fn storage_load(mut c: Caller<'_, Host>, key: u32, dest: u32) -> HResult<()> {
    let s = schedule(&c);
    buy_ink(&mut c, s.storage_access_ink)?;
    let api_gas = s.storage_api_gas();
    require_gas(&mut c, s.storage_load_required_gas())?;
    let key = read_word(&c, key)?;
    c.data_mut().frame.reads += 1;
    let reads = c.data().frame.reads;
    let mut gas = s.cache_read_gas(reads);
    let value = if let Some(word) = c.data().frame.cache.get(&key) {
        word.value
    } else {
        let address = msg(&c).address;
        let slot = U256::from_be_bytes(key.0);
        let ch = chain(&mut c);
        let cold = ch.warm_slot(address, slot);
        gas += api_gas + if cold { s.cold_sload_gas } else { s.warm_storage_read_gas };
        let value = B256::from(ch.sload(address, slot).to_be_bytes::<32>());
        c.data_mut().frame.cache.insert(key, CacheWord { value, known: Some(value) });
        value
    };
    buy_gas(&mut c, gas, Cat::Storage)?;
    write_mem(&mut c, dest, value.as_slice())
}

fn storage_cache(mut c: Caller<'_, Host>, key: u32, value: u32) -> HResult<()> {
    let s = schedule(&c);
    buy_ink(&mut c, s.storage_access_ink)?;
    require_gas(&mut c, s.sstore_sentry_gas + s.storage_required_access_gas)?;
    let key = read_word(&c, key)?;
    let value = read_word(&c, value)?;
    let frame = &mut c.data_mut().frame;
    frame.writes += 1;
    let gas = s.cache_write_gas(frame.writes);
    frame
        .cache
        .entry(key)
        .and_modify(|w| w.value = value)
        .or_insert(CacheWord { value, known: None });
    buy_gas(&mut c, gas, Cat::Storage)
}

fn storage_flush(mut c: Caller<'_, Host>, clear: u32) -> HResult<()> {
    let s = schedule(&c);
    buy_ink(&mut c, s.hostio_ink + s.evm_api_ink)?;
    require_gas(&mut c, s.sstore_sentry_gas)?;
    let dirty: Vec<(B256, B256)> = c
        .data()
        .frame
        .cache
        .iter()
        .filter(|(_, w)| w.known != Some(w.value))
        .map(|(k, w)| (*k, w.value))
        .collect();
    if !dirty.is_empty() && msg(&c).is_static {
        return fail("storage write in a static call");
    }
    let address = msg(&c).address;
    for (key, value) in dirty {
        let slot = U256::from_be_bytes(key.0);
        let value_u = U256::from_be_bytes(value.0);
        // Nitro checks the 2,300 sentry once for the flush, not per slot; a
        // slot it cannot pay for runs the frame out of gas.
        let gas = chain(&mut c).sstore_gas(&s, address, slot, value_u);
        buy_gas(&mut c, gas, Cat::Storage)?;
        chain(&mut c).sstore(address, slot, value_u);
        if let Some(w) = c.data_mut().frame.cache.get_mut(&key) {
            w.known = Some(value);
        }
    }
    if clear != 0 {
        c.data_mut().frame.cache.clear();
    }
    Ok(())
}

/// Runs `f` with the chain taken out of the store (for nested frames).
fn with_chain<R>(c: &mut Caller<'_, Host>, f: impl FnOnce(Box<Chain>) -> (Box<Chain>, R)) -> R {
    let taken = c.data_mut().chain.take().expect("the chain is in the store while its frame runs");
    let (back, result) = f(taken);
    c.data_mut().chain = Some(back);
    result
}

#[allow(clippy::too_many_arguments)]
fn do_call(
    c: &mut Caller<'_, Host>,
    kind: CallKind,
    to: u32,
    data: u32,
    len: u32,
    value: U256,
    gas_req: u64,
    ret_len: u32,
) -> HResult<u32> {
    let s = schedule(c);
    // Nitro reads the calldata twice: out of the program, then into geth.
    buy_ink(c, s.call_ink + 2 * read_price(&s, u64::from(len)))?;
    let to = read_address(c, to)?;
    let input = Bytes::from(read_mem(c, data, len)?);
    let parent = msg(c).clone();
    let failed = |c: &mut Caller<'_, Host>| -> HResult<u32> {
        c.data_mut().frame.return_data = Bytes::new();
        write_mem(c, ret_len, &0_u32.to_le_bytes())?;
        Ok(CALL_FAILED)
    };
    if parent.is_static && !value.is_zero() {
        // ErrWriteProtection: a failed call that costs nothing.
        return failed(c);
    }

    // WasmCallCost, step by step, each step checked against the gas left; a
    // call that cannot pay its base cost fails and takes all the gas.
    let gas_left = gas_left(c);
    let gas_req = gas_req.min(gas_left);
    let transfers = !value.is_zero();
    let mut base = s.warm_storage_read_gas;
    let mut affordable = base <= gas_left;
    if affordable && chain(c).warm_account(to) {
        base += s.cold_account_access_gas - s.warm_storage_read_gas;
        affordable = base <= gas_left;
    }
    if affordable && transfers && chain(c).is_empty(to) {
        base += s.call_new_account_gas;
        affordable = base <= gas_left;
    }
    if affordable && transfers {
        base += s.call_value_transfer_gas;
        affordable = base <= gas_left;
    }
    if !affordable {
        buy_gas(c, gas_left, Cat::Call)?;
        return failed(c);
    }
    // 63/64 of what is left after the base cost, then the stipend on top.
    let mut gas = ((gas_left - base) * 63 / 64).min(gas_req);
    if transfers {
        gas += s.call_stipend;
    }

    let message = match kind {
        CallKind::Call | CallKind::Static => Message {
            caller: parent.address,
            address: to,
            code_address: to,
            value,
            input,
            gas,
            is_static: parent.is_static || kind == CallKind::Static,
            transfers_value: kind == CallKind::Call,
            delegate: false,
        },
        CallKind::Delegate => Message {
            caller: parent.caller,
            address: parent.address,
            code_address: to,
            value: parent.value,
            input,
            gas,
            is_static: parent.is_static,
            transfers_value: false,
            delegate: true,
        },
    };
    let rt = Arc::clone(&c.data().rt);
    let result = with_chain(c, |ch| execute(ch, &rt, &message));
    // Nitro's doCall: the caller pays the base cost and all the callee used,
    // the stipend included (the EVM gives the stipend for free).
    buy_gas(c, base, Cat::Call)?;
    buy_gas(c, gas.saturating_sub(result.gas_left), Cat::Nested)?;
    let out_len = u32::try_from(result.output.len()).unwrap_or(u32::MAX);
    c.data_mut().frame.return_data = result.output;
    write_mem(c, ret_len, &out_len.to_le_bytes())?;
    Ok(if result.outcome == Outcome::Success { 0 } else { CALL_FAILED })
}

/// Status a call hostio returns for a callee that did not succeed (Nitro's
/// status byte for any error, a revert included).
const CALL_FAILED: u32 = 2;

fn do_create(
    c: &mut Caller<'_, Host>,
    code: u32,
    len: u32,
    endowment: u32,
    salt: Option<B256>,
    out: u32,
    ret_len: u32,
) -> HResult<()> {
    let s = schedule(c);
    let ptrs = if salt.is_some() { 4 } else { 3 };
    buy_ink(c, s.hostio_ink + ptrs * s.ptr_ink + s.evm_api_ink)?;
    // Nitro reads the init code twice (from the program, then into geth).
    buy_ink(c, 2 * read_price(&s, u64::from(len)))?;
    if msg(c).is_static {
        return fail("create in a static call");
    }
    let init = read_mem(c, code, len)?;
    let value = U256::from_be_bytes(read_word(c, endowment)?.0);
    let words = u64::from(len).div_ceil(32);
    let mut gas = s.create_gas;
    if salt.is_some() {
        gas += s.keccak_word_gas * words;
    }
    buy_gas(c, gas, Cat::Call)?;
    let creator = msg(c).address;
    let rt = Arc::clone(&c.data().rt);
    let created = with_chain(c, |mut ch| {
        let result = create(&mut ch, &rt, creator, &init, value, salt);
        (ch, result)
    });
    c.data_mut().frame.return_data = Bytes::new();
    let address = created.unwrap_or(Address::ZERO);
    write_mem(c, out, address.as_slice())?;
    write_mem(c, ret_len, &0_u32.to_le_bytes())
}

/// Deploys the Stylus program embedded in `init` from `creator`.
pub(crate) fn create(
    ch: &mut Chain,
    rt: &Runtime,
    creator: Address,
    init: &[u8],
    value: U256,
    salt: Option<B256>,
) -> Option<Address> {
    let checkpoint = ch.checkpoint();
    let nonce = ch.bump_nonce(creator);
    let address = match salt {
        Some(salt) => creator.create2(salt, keccak256(init)),
        None => creator.create(nonce),
    };
    ch.warm_account(address);
    let wasm = Program::wasm_from_code(init).ok()?;
    let Ok(program) = Program::activate(&wasm, &rt.engine, &rt.schedule, false, true) else {
        return None;
    };
    if ch.account(address).is_some_and(|a| a.program.is_some() || a.nonce > 0)
        || !ch.transfer(creator, address, value)
    {
        ch.revert_to(checkpoint);
        return None;
    }
    ch.install(address, Arc::new(program), false);
    // EIP-161: a new contract starts with nonce 1.
    ch.bump_nonce(address);
    Some(address)
}

/// Executes one message call and returns the chain with the result.
pub(crate) fn execute(
    mut ch: Box<Chain>,
    rt: &Arc<Runtime>,
    m: &Message,
) -> (Box<Chain>, FrameResult) {
    let halt = |gas_left| FrameResult { outcome: Outcome::Halt, output: Bytes::new(), gas_left };
    if ch.tx.depth >= MAX_CALL_DEPTH {
        return (ch, halt(m.gas));
    }
    let checkpoint = ch.checkpoint();
    if m.transfers_value && !m.value.is_zero() && !ch.transfer(m.caller, m.address, m.value) {
        return (ch, halt(m.gas));
    }
    let program = ch.account(m.code_address).and_then(|a| a.program.clone().map(|p| (p, a.cached)));
    let Some((program, cached)) = program else {
        // No code: a plain value transfer.
        return (
            ch,
            FrameResult { outcome: Outcome::Success, output: Bytes::new(), gas_left: m.gas },
        );
    };

    // Nitro counts the frames open per acting address, delegate frames
    // excepted: a delegate call runs as its caller without entering again.
    if !m.delegate {
        *ch.tx.active.entry(m.address).or_default() += 1;
    }
    let reentrant = ch.tx.active.get(&m.address).copied().unwrap_or(0) > 1;
    if reentrant {
        ch.tx.reentries.push(m.address);
    }
    // ArbOS 60+: a program called earlier in this block pays the cached
    // entry cost. The cache is not rolled back when the call fails.
    let recent = ch.world.touch_recent(program.code_hash, rt.schedule.recent_programs);
    let cached = cached || recent;
    ch.tx.depth += 1;
    let pages_before = ch.tx.pages_open;
    let (mut ch, result) = run_program(ch, rt, m, &program, cached, reentrant);
    ch.tx.pages_open = pages_before;
    ch.tx.depth -= 1;
    if !m.delegate {
        if let Some(n) = ch.tx.active.get_mut(&m.address) {
            *n -= 1;
        }
    }
    if result.outcome != Outcome::Success {
        ch.revert_to(checkpoint);
    }
    (ch, result)
}

#[allow(clippy::too_many_lines)] // one frame's life, entry to result, in order
fn run_program(
    mut ch: Box<Chain>,
    rt: &Arc<Runtime>,
    m: &Message,
    program: &Program,
    cached: bool,
    reentrant: bool,
) -> (Box<Chain>, FrameResult) {
    let s = &rt.schedule;
    let out_of_gas = FrameResult { outcome: Outcome::OutOfGas, output: Bytes::new(), gas_left: 0 };
    // Program entry: memory footprint, cached cost, and init cost if not cached.
    let memory_gas = s.memory_gas(program.footprint, ch.tx.pages_open, ch.tx.pages_ever);
    let mut entry_gas = program.cached_gas(s);
    if !cached {
        entry_gas += program.init_gas(s);
    }
    let Some(gas) = m.gas.checked_sub(memory_gas.saturating_add(entry_gas)) else {
        ch.tx.breakdown.other_ink += m.gas * u64::from(s.ink_price);
        return (ch, out_of_gas);
    };
    ch.tx.breakdown.memory_gas += memory_gas;
    ch.tx.breakdown.entry_gas += entry_gas;
    ch.tx.pages_open = ch.tx.pages_open.saturating_add(program.footprint);
    ch.tx.pages_ever = ch.tx.pages_ever.max(ch.tx.pages_open);
    let ink_start = s.gas_to_ink(gas);

    let host = Host {
        chain: Some(ch),
        rt: Arc::clone(rt),
        frame: Frame { msg: Some(m.clone()), reentrant, ..Frame::default() },
    };
    let mut store = Store::new(&rt.engine, host);
    let Ok(instance) = rt.linker.instantiate_and_start(&mut store, &program.module) else {
        let mut host = store.into_data();
        let mut ch = host.chain.take().expect("chain returns with the store");
        ch.tx.breakdown.other_ink += ink_start;
        return (ch, out_of_gas);
    };
    let export_global = |store: &Store<Host>, name| match instance.get_export(store, name) {
        Some(Extern::Global(g)) => Some(g),
        _ => None,
    };
    let ink = export_global(&store, INK_GLOBAL);
    let status = export_global(&store, STATUS_GLOBAL);
    let depth = export_global(&store, DEPTH_GLOBAL);
    let depth_low = export_global(&store, DEPTH_LOW_GLOBAL);
    let max_depth = Val::I32(s.max_stack_depth.cast_signed());
    for global in [depth, depth_low].into_iter().flatten() {
        global.set(&mut store, max_depth.clone()).expect("depth globals are mutable i32s");
    }
    let memory = instance.get_memory(&store, "memory");
    {
        let frame = &mut store.data_mut().frame;
        frame.ink = ink;
        frame.status = status;
        frame.memory = memory;
    }
    if let Some(g) = ink {
        g.set(&mut store, Val::I64(ink_start.cast_signed())).expect("ink global is a mutable i64");
    }
    let len = u32::try_from(m.input.len()).unwrap_or(u32::MAX);
    let entry = instance.get_typed_func::<u32, u32>(&store, "user_entrypoint");
    let run = entry.and_then(|f| f.call(&mut store, len));

    let ink_end = ink.map_or(0, |g| match g.get(&store) {
        Val::I64(v) => v.cast_unsigned(),
        _ => 0,
    });
    let out_of_ink_flag = status.is_some_and(|g| matches!(g.get(&store), Val::I32(1)));
    let read_i32 = |g: Option<Global>| match g.map(|g| g.get(&store)) {
        Some(Val::I32(v)) => Some(v.cast_unsigned()),
        _ => None,
    };
    // A trap with no stack left is Nitro's out of stack (checked before out
    // of ink); the lowest stack left says how deep the call went.
    let out_of_stack = run.is_err() && read_i32(depth) == Some(0);
    let deepest = read_i32(depth_low).map(|low| s.max_stack_depth.saturating_sub(low));
    let mut host = store.into_data();
    let mut ch = host.chain.take().expect("chain returns with the store");
    let frame = host.frame;
    if let Some(words) = deepest {
        let seen = ch.tx.stack_words.entry(m.code_address).or_default();
        *seen = (*seen).max(words);
    }
    if out_of_stack {
        ch.tx.traps.push(format!("{}: out of stack", m.code_address));
    } else if let Err(e) = &run {
        if e.downcast_ref::<Escape>().is_none() && !out_of_ink_flag {
            ch.tx.traps.push(format!("{}: {e}", m.code_address));
        }
    }

    let (outcome, keep_gas) = match &run {
        Ok(0) => (Outcome::Success, true),
        Ok(_) => (Outcome::Revert, true),
        // Out of stack: Nitro's ErrDepth, which consumes the frame's gas.
        Err(_) if out_of_stack => (Outcome::Halt, false),
        Err(e) => match e.downcast_ref::<Escape>() {
            Some(Escape::OutOfInk) => (Outcome::OutOfGas, false),
            Some(Escape::Exit(0)) => (Outcome::Success, true),
            None if out_of_ink_flag => (Outcome::OutOfGas, false),
            None if e.as_trap_code() == Some(wasmi::TrapCode::StackOverflow) => {
                (Outcome::Halt, false)
            }
            // Other exits, host failures and traps revert and keep the gas.
            _ => (Outcome::Revert, true),
        },
    };
    let price = u64::from(s.ink_price);
    let spent = i128::from(ink_start) - i128::from(ink_end);
    let compute = spent - frame.host_ink - i128::from(frame.lost_ink);
    let b = &mut ch.tx.breakdown;
    b.compute_ink += u64::try_from(compute.max(0)).unwrap_or(0);
    b.other_ink += frame.lost_ink;
    let gas_left = if keep_gas {
        b.other_ink += ink_end % price;
        ink_end / price
    } else {
        b.other_ink += ink_end;
        0
    };
    // Data written with write_result counts only when the program returned
    // or exited; traps and host failures revert with empty data.
    let finished = match &run {
        Ok(_) => true,
        Err(e) => matches!(e.downcast_ref::<Escape>(), Some(Escape::Exit(_))),
    };
    let output = if finished { Bytes::from(frame.output) } else { Bytes::new() };
    (ch, FrameResult { outcome, output, gas_left })
}
