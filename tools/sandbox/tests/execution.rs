//! Execution, journaling, re-entry, static calls, value and snapshots, on
//! hand-written WAT programs that import `vm_hooks` like SDK contracts do.

use alloy_primitives::{Address, Bytes, U256};
use bulwark_sandbox::{Outcome, Sandbox, SandboxError, Tx};

const ALICE: Address = Address::repeat_byte(0xA1);

/// Slot 0 counter: loads, increments the low byte, caches, flushes, returns
/// the new value. Reverts (after writing) when called with one byte `0x01`.
const COUNTER: &str = r#"(module
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "storage_load_bytes32" (func $load (param i32 i32)))
  (import "vm_hooks" "storage_cache_bytes32" (func $cache (param i32 i32)))
  (import "vm_hooks" "storage_flush_cache" (func $flush (param i32)))
  (import "vm_hooks" "msg_reentrant" (func $reentrant (result i32)))
  (import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))
  (memory (export "memory") 1)
  (func (export "user_entrypoint") (param $len i32) (result i32)
    call $reentrant
    if i32.const 1 return end
    i32.const 0 call $pay
    i32.const 100 call $read_args
    i32.const 0 i32.const 32 call $load
    i32.const 63
    i32.const 63 i32.load8_u i32.const 1 i32.add
    i32.store8
    i32.const 0 i32.const 32 call $cache
    i32.const 0 call $flush
    i32.const 32 i32.const 32 call $write_result
    local.get $len i32.const 1 i32.eq
    if (result i32) i32.const 100 i32.load8_u else i32.const 0 end))"#;

/// Calls the address in the first 20 bytes of its input with the rest as
/// calldata, returns what the callee returned and reverts if it failed.
/// Reverts when re-entered, like an SDK contract without `reentrant`.
const FORWARDER: &str = r#"(module
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "msg_reentrant" (func $reentrant (result i32)))
  (import "vm_hooks" "call_contract" (func $call (param i32 i32 i32 i32 i64 i32) (result i32)))
  (import "vm_hooks" "static_call_contract" (func $scall (param i32 i32 i32 i64 i32) (result i32)))
  (import "vm_hooks" "read_return_data" (func $rrd (param i32 i32 i32) (result i32)))
  (import "vm_hooks" "msg_value" (func $msg_value (param i32)))
  (memory (export "memory") 1 1)
  (func (export "user_entrypoint") (param $len i32) (result i32) (local $st i32)
    call $reentrant
    if i32.const 1 return end
    local.get $len i32.eqz
    if i32.const 0 return end
    i32.const 0 call $read_args
    i32.const 1000 call $msg_value
    i32.const 0 i32.const 20 local.get $len i32.const 20 i32.sub
    i32.const 1000 i64.const -1 i32.const 2000
    call $call
    local.set $st
    i32.const 3000 i32.const 0 i32.const 2000 i32.load call $rrd drop
    i32.const 3000 i32.const 2000 i32.load call $write_result
    local.get $st))"#;

/// Loops until it runs out of gas.
const SPIN: &str = r#"(module (memory (export "memory") 1 1)
  (func (export "user_entrypoint") (param i32) (result i32)
    loop br 0 end
    i32.const 0))"#;

fn deploy(sb: &mut Sandbox, wat_src: &str) -> Address {
    let wasm = wat::parse_str(wat_src).expect("test WAT parses");
    sb.deploy(ALICE, &wasm, None, U256::ZERO).expect("test program deploys").0
}

fn forward(target: Address, rest: &[u8]) -> Bytes {
    let mut v = target.to_vec();
    v.extend_from_slice(rest);
    v.into()
}

#[test]
fn counter_persists_and_reverted_call_rolls_back() {
    let mut sb = Sandbox::new();
    let counter = deploy(&mut sb, COUNTER);
    let r = sb.call_raw(ALICE, counter, Bytes::new()).unwrap();
    assert_eq!(r.outcome, Outcome::Success);
    assert_eq!(U256::from_be_slice(&r.output), U256::from(1));
    let r = sb.call_raw(ALICE, counter, vec![0_u8, 0]).unwrap();
    assert_eq!(U256::from_be_slice(&r.output), U256::from(2));
    assert_eq!(sb.storage(counter, U256::ZERO), U256::from(2));

    // Writes, flushes, then reverts: the write is rolled back and the
    // revert data (what write_result wrote) comes back.
    let r = sb.call_raw(ALICE, counter, vec![1_u8]).unwrap();
    assert_eq!(r.outcome, Outcome::Revert);
    assert_eq!(U256::from_be_slice(&r.output), U256::from(3));
    assert_eq!(sb.storage(counter, U256::ZERO), U256::from(2));
}

#[test]
fn the_footprint_counts_slots_and_contracts() {
    let mut sb = Sandbox::new();
    let counter = deploy(&mut sb, COUNTER);
    let r = sb.transact(&Tx::call(ALICE, counter, Bytes::new())).unwrap();
    let footprint = |contracts| bulwark_sandbox::Footprint {
        slots_accessed: 1,
        slots_by_contract: vec![(counter, 1)],
        slots_changed: 1,
        contracts,
    };
    assert_eq!(r.footprint, footprint(1));
    // Through a forwarder: two contracts, the same slot, all the counter's.
    let a = deploy(&mut sb, FORWARDER);
    let r = sb.transact(&Tx::call(ALICE, a, forward(counter, &[]))).unwrap();
    assert_eq!(r.footprint, footprint(2));
    // A reverted write changes nothing.
    let r = sb.transact(&Tx::call(ALICE, counter, Bytes::from(vec![1u8]))).unwrap();
    assert_eq!(r.footprint.slots_changed, 0);
}

#[test]
fn storage_gas_follows_eip_2929_and_2200() {
    let mut sb = Sandbox::new();
    let counter = deploy(&mut sb, COUNTER);
    // First call: cold SLOAD 2,100 + 5 API gas, then 0 -> 1 (slot now warm): 20,000.
    let r = sb.call_raw(ALICE, counter, Bytes::new()).unwrap();
    assert_eq!(r.gas.storage_gas, 2_105 + 20_000);
    // Second call: cold SLOAD again (new transaction), then 1 -> 2: 2,900.
    let r = sb.call_raw(ALICE, counter, Bytes::new()).unwrap();
    assert_eq!(r.gas.storage_gas, 2_105 + 2_900);
    // The receipt's parts add up to the gas used.
    assert_eq!(r.gas_used, r.gas.total_gas(10_000) - r.gas.refund_gas);
}

#[test]
fn nested_call_returns_data_and_reentry_reverts() {
    let mut sb = Sandbox::new();
    let counter = deploy(&mut sb, COUNTER);
    let a = deploy(&mut sb, FORWARDER);
    let b = deploy(&mut sb, FORWARDER);

    // A -> counter: counter's return data comes back through A.
    let r = sb.call_raw(ALICE, a, forward(counter, &[])).unwrap();
    assert_eq!(r.outcome, Outcome::Success, "{r:?}");
    assert_eq!(U256::from_be_slice(&r.output), U256::from(1));

    // A -> B -> counter is fine (no contract twice on the stack).
    let r = sb.call_raw(ALICE, a, forward(b, &forward(counter, &[]))).unwrap();
    assert_eq!(r.outcome, Outcome::Success);
    assert_eq!(sb.storage(counter, U256::ZERO), U256::from(2));
    assert!(r.reentries.is_empty());

    // A -> B -> A: A is re-entered and reverts; everything rolls back.
    let r = sb.call_raw(ALICE, a, forward(b, &forward(a, &forward(counter, &[])))).unwrap();
    assert_eq!(r.outcome, Outcome::Revert);
    assert_eq!(sb.storage(counter, U256::ZERO), U256::from(2));
    // The receipt names the program that was entered twice.
    assert_eq!(r.reentries, vec![a]);

    // A -> counter where counter reverts after writing: A reverts with the
    // counter's revert data.
    let r = sb.call_raw(ALICE, a, forward(counter, &[1])).unwrap();
    assert_eq!(r.outcome, Outcome::Revert);
    assert_eq!(U256::from_be_slice(&r.output), U256::from(3));
    assert_eq!(sb.storage(counter, U256::ZERO), U256::from(2));
}

#[test]
fn the_caller_pays_the_stipend_its_callee_used() {
    // The same call to the counter with and without value: the counter's
    // work is the same, so the difference is what the value costs. On the
    // EVM that is 9,000 less the 2,300 stipend the callee spent; on Nitro
    // the caller pays for all the callee used, stipend included: 9,000.
    let mut sb = Sandbox::new();
    let a = deploy(&mut sb, FORWARDER);
    let counter = deploy(&mut sb, COUNTER);
    sb.set_balance(ALICE, U256::from(1_000));
    let warm_up = sb.call_raw(ALICE, a, forward(counter, &[])).unwrap();
    assert!(warm_up.success());
    let plain = sb.call_raw(ALICE, a, forward(counter, &[])).unwrap();
    let tx = Tx::call(ALICE, a, forward(counter, &[])).value(U256::from(5));
    let valued = sb.transact(&tx).unwrap();
    assert!(plain.success() && valued.success(), "{valued:?}");
    assert_eq!(sb.balance(counter), U256::from(5));
    assert_eq!(valued.gas_used - plain.gas_used, 9_000);
}

#[test]
fn writes_in_a_static_call_fail() {
    let mut sb = Sandbox::new();
    let counter = deploy(&mut sb, COUNTER);
    let r = sb.static_call_raw(ALICE, counter, Bytes::new()).unwrap();
    assert_eq!(r.outcome, Outcome::Revert);
    assert_eq!(sb.storage(counter, U256::ZERO), U256::ZERO);
}

#[test]
fn value_moves_with_calls_and_reverts_restore_it() {
    let mut sb = Sandbox::new();
    let a = deploy(&mut sb, FORWARDER);
    let bob = Address::repeat_byte(0xB0);
    sb.set_balance(ALICE, U256::from(1_000));

    // A forwards its msg.value to Bob.
    let tx = Tx::call(ALICE, a, forward(bob, &[])).value(U256::from(300));
    let r = sb.transact(&tx).unwrap();
    assert!(r.success(), "{r:?}");
    assert_eq!(sb.balance(ALICE), U256::from(700));
    assert_eq!(sb.balance(bob), U256::from(300));
    assert_eq!(sb.balance(a), U256::ZERO);
    // Value transfer to a new account (Bob is cold and empty): Nitro's
    // doCall charges the whole base, 2,600 + 25,000 + 9,000; the stipend
    // Bob (no code) did not use comes back with the rest of his gas.
    assert_eq!(r.gas.call_gas, 2_600 + 25_000 + 9_000);

    // A value call to an EOA with too little balance is rejected up front.
    assert!(sb.transact(&Tx::call(bob, ALICE, Bytes::new()).value(U256::from(301))).is_err());
}

#[test]
fn snapshots_restore_state_and_time() {
    let mut sb = Sandbox::new();
    let counter = deploy(&mut sb, COUNTER);
    let t0 = sb.block().timestamp;
    let snap = sb.snapshot();
    sb.call_raw(ALICE, counter, Bytes::new()).unwrap();
    sb.advance_time(3_600);
    sb.mine(2);
    assert_eq!(sb.block().timestamp, t0 + 3_602);
    sb.revert_to(snap).unwrap();
    assert_eq!(sb.storage(counter, U256::ZERO), U256::ZERO);
    assert_eq!(sb.block().timestamp, t0);
    // A snapshot can be used again.
    sb.call_raw(ALICE, counter, Bytes::new()).unwrap();
    sb.revert_to(snap).unwrap();
    assert_eq!(sb.storage(counter, U256::ZERO), U256::ZERO);
}

#[test]
fn running_out_of_gas_consumes_the_limit() {
    let mut sb = Sandbox::new();
    let spin = deploy(&mut sb, SPIN);
    let r = sb.transact(&Tx::call(ALICE, spin, Bytes::new()).gas_limit(200_000)).unwrap();
    assert_eq!(r.outcome, Outcome::OutOfGas);
    // On chain the receipt's gasUsed is the limit: L2 plus the L1 gas.
    assert_eq!(r.gas_used + r.gas_used_for_l1, 200_000);
    assert_eq!(r.total_gas_used(), 200_000);
}

#[test]
fn a_trap_reverts_empty_and_the_receipt_says_where() {
    let mut sb = Sandbox::new();
    let trapping = deploy(
        &mut sb,
        r#"(module (memory (export "memory") 1 1)
          (func (export "user_entrypoint") (param i32) (result i32)
            i32.const 70000 i32.load))"#,
    );
    // A forwarder calls it: the inner frame traps, the outer reverts.
    let a = deploy(&mut sb, FORWARDER);
    let r = sb.transact(&Tx::call(ALICE, a, forward(trapping, &[]))).unwrap();
    assert_eq!(r.outcome, Outcome::Revert);
    assert!(r.output.is_empty());
    assert_eq!(r.traps.len(), 1, "{:?}", r.traps);
    assert!(r.traps[0].starts_with(&trapping.to_string()), "{}", r.traps[0]);
    assert!(r.traps[0].contains("out of bounds"), "{}", r.traps[0]);
    // A clean revert is not a trap.
    let counter = deploy(&mut sb, COUNTER);
    let r = sb.transact(&Tx::call(ALICE, counter, Bytes::from(vec![1u8]))).unwrap();
    assert_eq!(r.outcome, Outcome::Revert);
    assert!(r.traps.is_empty());
}

#[test]
fn unknown_import_fails_deployment_with_its_name() {
    let mut sb = Sandbox::new();
    let wasm = wat::parse_str(
        r#"(module
          (import "vm_hooks" "teleport" (func))
          (memory (export "memory") 1 1)
          (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
    )
    .unwrap();
    let err = sb.deploy(ALICE, &wasm, None, U256::ZERO).unwrap_err();
    assert_eq!(err.to_string(), "No such import teleport in vm_hooks for user");
}

#[test]
fn block_values_are_under_test_control() {
    let mut sb = Sandbox::new();
    let clock = deploy(
        &mut sb,
        r#"(module
          (import "vm_hooks" "block_timestamp" (func $ts (result i64)))
          (import "vm_hooks" "block_number" (func $num (result i64)))
          (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
          (memory (export "memory") 1 1)
          (func (export "user_entrypoint") (param i32) (result i32)
            i32.const 0 call $ts i64.store
            i32.const 8 call $num i64.store
            i32.const 0 i32.const 16 call $write_result
            i32.const 0))"#,
    );
    sb.set_timestamp(1_800_000_000);
    sb.block_mut().number = 77;
    let r = sb.call_raw(ALICE, clock, Bytes::new()).unwrap();
    let ts = u64::from_le_bytes(r.output[0..8].try_into().unwrap());
    let num = u64::from_le_bytes(r.output[8..16].try_into().unwrap());
    assert_eq!((ts, num), (1_800_000_000, 77));
}

#[test]
fn calls_pay_the_calldata_read_twice_and_return_data_pays_the_api_base() {
    // A static call with 100 bytes of calldata to an account without code,
    // then a read of 10 bytes of its (empty) return data.
    let mut sb = Sandbox::new();
    let caller = deploy(
        &mut sb,
        r#"(module
          (import "vm_hooks" "static_call_contract" (func $scall (param i32 i32 i32 i64 i32) (result i32)))
          (import "vm_hooks" "read_return_data" (func $rrd (param i32 i32 i32) (result i32)))
          (memory (export "memory") 1 1)
          (func (export "user_entrypoint") (param i32) (result i32)
            (drop (call $scall (i32.const 0) (i32.const 32) (i32.const 100) (i64.const -1) (i32.const 200)))
            (drop (call $rrd (i32.const 300) (i32.const 0) (i32.const 10)))
            i32.const 0))"#,
    );
    let r = sb.call_raw(ALICE, caller, Bytes::new()).unwrap();
    assert!(r.success(), "{r:?}");
    // The call: 83,193 ink, plus the read price of 100 bytes twice,
    // 2 x (16,381 + 55 x 68). read_return_data: 8,400 + 59,673, plus the
    // write price of nothing to copy, 5,040.
    let call = 83_193 + 2 * (16_381 + 55 * 68);
    let read_return = 8_400 + 59_673 + 5_040;
    assert_eq!(r.gas.hostio_ink, call + read_return);
    // The zero address is cold: 100 + 2,500.
    assert_eq!(r.gas.call_gas, 2_600);
}

#[test]
fn from_arbos_60_a_repeat_call_in_a_block_pays_the_cached_entry() {
    let entries = |schedule: bulwark_sandbox::pricing::GasSchedule| {
        let mut sb = Sandbox::with_schedule(schedule.clone());
        let counter = deploy(&mut sb, COUNTER);
        let program = sb.program(counter).unwrap();
        let full = program.cached_gas(&schedule) + program.init_gas(&schedule);
        let cached = program.cached_gas(&schedule);
        let mut call = || sb.call_raw(ALICE, counter, Bytes::new()).unwrap().gas.entry_gas;
        let (first, second) = (call(), call());
        sb.mine(1);
        let next_block = sb.call_raw(ALICE, counter, Bytes::new()).unwrap().gas.entry_gas;
        (full, cached, [first, second, next_block])
    };
    let (full, cached, seen) = entries(bulwark_sandbox::pricing::GasSchedule::arbos_61());
    assert_eq!(seen, [full, cached, full]);
    let (full, _, seen) = entries(bulwark_sandbox::pricing::GasSchedule::arbos_51());
    assert_eq!(seen, [full, full, full]);
}

#[test]
fn the_value_stack_runs_out_where_nitros_depth_meter_says() {
    // $r recurses N times. Its frame, counted by hand as Nitro's depth
    // checker counts it: 4 values at once (the meter's 2 over the `if`'s
    // result slot and the call's result) + 0 locals + 4 = 8 words; the entry
    // point's: 3 + 0 + 4 = 7.
    let mut sb = Sandbox::new();
    let program = deploy(
        &mut sb,
        r#"(module
          (import "vm_hooks" "read_args" (func $read_args (param i32)))
          (memory (export "memory") 1 1)
          (func $r (param i32) (result i32)
            local.get 0 i32.eqz
            if (result i32) i32.const 0 else local.get 0 i32.const 1 i32.sub call $r end)
          (func (export "user_entrypoint") (param i32) (result i32)
            i32.const 0 call $read_args
            i32.const 0 i32.load
            call $r))"#,
    );
    assert_eq!(sb.program(program).unwrap().frames, vec![8, 7]);
    let depth = |n: u32| Bytes::from(n.to_le_bytes().to_vec());
    let r = sb.call_raw(ALICE, program, depth(100)).unwrap();
    assert!(r.success(), "{r:?}");
    assert_eq!(r.stack_words[&program], 7 + 8 * 101);
    // 22,000 words: a frame enters while more than its size is left, so
    // 2,749 frames of $r fit (21,993 - 8 x 2,748 = 9 > 8) and 2,750 do not.
    let r = sb.call_raw(ALICE, program, depth(2_748)).unwrap();
    assert!(r.success(), "{r:?}");
    let limit = 1_000_000;
    let tx = Tx::call(ALICE, program, depth(2_749)).gas_limit(limit);
    let r = sb.transact(&tx).unwrap();
    assert_eq!(r.outcome, Outcome::Halt);
    assert!(r.traps.iter().any(|t| t.ends_with("out of stack")), "{:?}", r.traps);
    assert_eq!(r.total_gas_used(), limit, "out of stack consumes all the gas");
}

#[test]
fn a_storage_load_needs_nitros_required_gas_even_when_it_costs_less() {
    // Two loads of one slot: the second is answered by the call's storage
    // cache for a few gas, yet Nitro's host requires a cold SLOAD's 2,100,
    // the cache's 10 and the EVM API's 5 (2,115) to be left before it runs.
    let mut sb = Sandbox::new();
    let loads = deploy(
        &mut sb,
        r#"(module
          (import "vm_hooks" "storage_load_bytes32" (func $load (param i32 i32)))
          (memory (export "memory") 1 1)
          (func (export "user_entrypoint") (param i32) (result i32)
            i32.const 0 i32.const 32 call $load
            i32.const 0 i32.const 32 call $load
            i32.const 0))"#,
    );
    assert_eq!(sb.schedule().storage_load_required_gas(), 2_100 + 10 + 5);
    // No L1 gas, so that the limit's own encoding moves nothing.
    sb.block_mut().l1_price_per_unit = U256::ZERO;
    // Every run in a block of its own, so each pays the same program entry.
    sb.set_block_per_transaction(true);
    let run = |sb: &mut Sandbox, limit: u64| {
        sb.transact(&Tx::call(ALICE, loads, Bytes::new()).gas_limit(limit)).unwrap()
    };
    let used = run(&mut sb, 1_000_000).gas_used;
    // The least gas limit that succeeds, by bisection.
    let (mut low, mut high) = (used, used + 10_000);
    assert_eq!(run(&mut sb, high).outcome, Outcome::Success);
    while high - low > 1 {
        let mid = u64::midpoint(low, high);
        if run(&mut sb, mid).outcome == Outcome::Success {
            high = mid;
        } else {
            low = mid;
        }
    }
    let failing = run(&mut sb, low);
    assert_eq!(failing.outcome, Outcome::OutOfGas);
    assert_eq!(failing.gas_used, low, "running short of the required gas consumes the limit");
    // At the least limit, the gas left over is the requirement less what the
    // cached load and the return cost after the check: almost all of 2,115.
    let left_over = high - used;
    assert!((2_100..=2_115).contains(&left_over), "{left_over} gas left over");
}

#[test]
fn the_l1_gas_comes_out_of_the_gas_limit_before_the_program_runs() {
    let mut sb = Sandbox::new();
    let spin = deploy(&mut sb, SPIN);
    let intrinsic = sb.intrinsic_gas(&[]);
    let limit = 100_000;
    let r = sb.transact(&Tx::call(ALICE, spin, Bytes::new()).gas_limit(limit)).unwrap();
    assert_eq!(r.outcome, Outcome::OutOfGas);
    assert!(r.gas_used_for_l1 > 0);
    // The program ran on the limit less the intrinsic and the L1 gas.
    let program_ink =
        r.gas.compute_ink + r.gas.hostio_ink + r.gas.other_ink + r.gas.entry_gas * 10_000;
    assert_eq!(program_ink, (limit - intrinsic - r.gas_used_for_l1) * 10_000);
    // A limit that covers the intrinsic gas but not the poster's is refused
    // before anything runs, as Nitro's gas-charging hook refuses it.
    // (The limit is part of the signed transaction, so its L1 gas moves a
    // little with it.)
    let short = intrinsic + 1_000;
    let refused = sb.transact(&Tx::call(ALICE, spin, Bytes::new()).gas_limit(short));
    assert!(
        matches!(refused, Err(SandboxError::IntrinsicGas { limit, intrinsic: needed })
            if limit == short && needed.abs_diff(intrinsic + r.gas_used_for_l1) < 200),
        "{refused:?}"
    );
}
