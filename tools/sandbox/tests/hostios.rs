//! Host functions beyond storage and calls: hashing, logs, early exit,
//! account queries, delegate calls and contract creation.

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use bulwark_sandbox::{Outcome, Sandbox};

const ALICE: Address = Address::repeat_byte(0xA1);

fn deploy(sb: &mut Sandbox, src: &str) -> Address {
    let wasm = wat::parse_str(src).expect("test WAT parses");
    sb.deploy(ALICE, &wasm, None, U256::ZERO).unwrap().0
}

/// Imports shared by the programs below.
const IMPORTS: &str = r#"
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "native_keccak256" (func $keccak (param i32 i32 i32)))
  (import "vm_hooks" "emit_log" (func $emit_log (param i32 i32 i32)))
  (import "vm_hooks" "exit_early" (func $exit (param i32)))
  (import "vm_hooks" "account_balance" (func $balance (param i32 i32)))
  (import "vm_hooks" "account_codehash" (func $codehash (param i32 i32)))
  (import "vm_hooks" "account_code_size" (func $code_size (param i32) (result i32)))
  (import "vm_hooks" "delegate_call_contract" (func $dcall (param i32 i32 i32 i64 i32) (result i32)))
  (import "vm_hooks" "create2" (func $create2 (param i32 i32 i32 i32 i32 i32)))
  (import "vm_hooks" "storage_load_bytes32" (func $load (param i32 i32)))
  (import "vm_hooks" "storage_cache_bytes32" (func $cache (param i32 i32)))
  (import "vm_hooks" "storage_flush_cache" (func $flush (param i32)))
  (import "vm_hooks" "contract_address" (func $self (param i32)))
  (import "console" "log_txt" (func $log_txt (param i32 i32)))
  (memory (export "memory") 2 2)"#;

/// Dispatches on the first input byte:
/// 1: keccak of the rest; 2: LOG1 with topic = keccak(rest), data = rest;
/// 3: `exit_early(0)` with 4 bytes; 4: `exit_early(1)` with 4 bytes;
/// 5: balance, code hash and code size of the address in the rest;
/// 6: delegate call to the address in the rest (20 bytes), no calldata;
/// 7: create2 with salt 0 from the init code in the rest;
/// 8: store 0x2a in slot 0 (no re-entry check) and print to the console.
fn multi_src() -> String {
    format!(
        r#"(module {IMPORTS}
  (func (export "user_entrypoint") (param $len i32) (result i32) (local $op i32) (local $n i32)
    i32.const 0 call $read_args
    i32.const 0 i32.load8_u local.set $op
    local.get $len i32.const 1 i32.sub local.set $n
    (if (i32.eq (local.get $op) (i32.const 1)) (then
      i32.const 1 local.get $n i32.const 4096 call $keccak
      i32.const 4096 i32.const 32 call $write_result
      i32.const 0 return))
    (if (i32.eq (local.get $op) (i32.const 2)) (then
      ;; topic at 4096, then the data right after it at 4128
      i32.const 1 local.get $n i32.const 4096 call $keccak
      (memory.copy (i32.const 4128) (i32.const 1) (local.get $n))
      i32.const 4096 local.get $n i32.const 32 i32.add i32.const 1 call $emit_log
      i32.const 0 return))
    (if (i32.eq (local.get $op) (i32.const 3)) (then
      i32.const 0 i32.const 4 call $write_result
      i32.const 0 call $exit))
    (if (i32.eq (local.get $op) (i32.const 4)) (then
      i32.const 0 i32.const 4 call $write_result
      i32.const 1 call $exit))
    (if (i32.eq (local.get $op) (i32.const 5)) (then
      i32.const 1 i32.const 4096 call $balance
      i32.const 1 i32.const 4128 call $codehash
      (i32.store (i32.const 4160) (call $code_size (i32.const 1)))
      i32.const 4096 i32.const 68 call $write_result
      i32.const 0 return))
    (if (i32.eq (local.get $op) (i32.const 6)) (then
      (call $dcall (i32.const 1) (i32.const 0) (i32.const 0) (i64.const -1) (i32.const 4096))
      return))
    (if (i32.eq (local.get $op) (i32.const 7)) (then
      (call $create2 (i32.const 1) (local.get $n) (i32.const 8192) (i32.const 8192)
                     (i32.const 4096) (i32.const 4128))
      i32.const 4096 i32.const 20 call $write_result
      i32.const 0 return))
    (if (i32.eq (local.get $op) (i32.const 8)) (then
      (i32.store8 (i32.const 4127) (i32.const 42))
      i32.const 8192 i32.const 4096 call $cache
      i32.const 0 call $flush
      i32.const 1 i32.const 5 call $log_txt
      i32.const 0 return))
    i32.const 1))"#
    )
}

fn sandbox_with_multi() -> (Sandbox, Address) {
    let mut sb = Sandbox::new();
    sb.allow_console(true);
    let multi = deploy(&mut sb, &multi_src());
    (sb, multi)
}

fn op(code: u8, rest: &[u8]) -> Bytes {
    let mut v = vec![code];
    v.extend_from_slice(rest);
    v.into()
}

#[test]
fn keccak_matches_and_is_priced() {
    let (mut sb, multi) = sandbox_with_multi();
    let data = b"bulwark clearinghouse: 40 bytes of data!";
    let r = sb.call_raw(ALICE, multi, op(1, data)).unwrap();
    assert_eq!(B256::from_slice(&r.output), keccak256(data));
    let s = sb.schedule().clone();
    let expected = s.read_args_ink(41) + s.keccak_ink(40) + s.write_result_ink(32);
    assert_eq!(r.gas.hostio_ink, expected);
}

#[test]
fn logs_are_recorded_and_refused_in_static_calls() {
    let (mut sb, multi) = sandbox_with_multi();
    let r = sb.call_raw(ALICE, multi, op(2, b"hello")).unwrap();
    assert!(r.success(), "{r:?}");
    assert_eq!(r.logs.len(), 1);
    assert_eq!(r.logs[0].address, multi);
    assert_eq!(r.logs[0].topics, vec![keccak256(b"hello")]);
    assert_eq!(r.logs[0].data.as_ref(), b"hello");
    assert_eq!(r.gas.log_gas, 375 + 375 + 8 * 5);
    let r = sb.static_call_raw(ALICE, multi, op(2, b"hello")).unwrap();
    assert_eq!(r.outcome, Outcome::Revert);
    assert!(r.logs.is_empty());
}

#[test]
fn exit_early_returns_or_reverts_with_the_result() {
    let (mut sb, multi) = sandbox_with_multi();
    let r = sb.call_raw(ALICE, multi, op(3, b"abc")).unwrap();
    assert_eq!(r.outcome, Outcome::Success);
    assert_eq!(r.output.as_ref(), b"\x03abc");
    let r = sb.call_raw(ALICE, multi, op(4, b"abc")).unwrap();
    assert_eq!(r.outcome, Outcome::Revert);
    assert_eq!(r.output.as_ref(), b"\x04abc");
}

#[test]
fn account_queries_and_their_access_gas() {
    let (mut sb, multi) = sandbox_with_multi();
    let bob = Address::repeat_byte(0xB0);
    sb.set_balance(bob, U256::from(12_345));
    let r = sb.call_raw(ALICE, multi, op(5, bob.as_slice())).unwrap();
    assert_eq!(U256::from_be_slice(&r.output[..32]), U256::from(12_345));
    // An account without code: keccak of the empty string, size 0.
    assert_eq!(B256::from_slice(&r.output[32..64]), keccak256([]));
    assert_eq!(&r.output[64..68], &[0, 0, 0, 0]);
    // Balance cold (2,600), code hash warm (100), code size warm plus
    // Nitro's 700 code surcharge.
    assert_eq!(r.gas.account_gas, 2_600 + 100 + (700 + 100));

    let r = sb.call_raw(ALICE, multi, op(5, multi.as_slice())).unwrap();
    let program = sb.program(multi).unwrap();
    assert_eq!(B256::from_slice(&r.output[32..64]), program.code_hash);
    let size = u32::from_le_bytes(r.output[64..68].try_into().unwrap());
    assert_eq!(size as usize, program.code.len());
    // A missing account has a zero code hash.
    let nobody = Address::repeat_byte(0x77);
    let r = sb.call_raw(ALICE, multi, op(5, nobody.as_slice())).unwrap();
    assert_eq!(B256::from_slice(&r.output[32..64]), B256::ZERO);
}

#[test]
fn delegate_call_runs_in_the_callers_storage_and_is_not_a_reentry() {
    let (mut sb, multi) = sandbox_with_multi();
    let other = deploy(&mut sb, &multi_src());
    // `other` has no op byte in empty calldata, so it reverts: status 1.
    let r = sb.call_raw(ALICE, multi, op(6, other.as_slice())).unwrap();
    assert_eq!(r.outcome, Outcome::Revert);

    // A library that writes 9 + msg_reentrant() to slot 0: the delegate
    // frame acts as `multi`, which is on the stack, but Nitro does not count
    // a delegate frame as entering a program, so it is not re-entrant.
    let library = deploy(
        &mut sb,
        r#"(module
          (import "vm_hooks" "storage_cache_bytes32" (func $cache (param i32 i32)))
          (import "vm_hooks" "storage_flush_cache" (func $flush (param i32)))
          (import "vm_hooks" "msg_reentrant" (func $reentrant (result i32)))
          (memory (export "memory") 1 1)
          (func (export "user_entrypoint") (param i32) (result i32)
            (i32.store8 (i32.const 63) (i32.add (i32.const 9) (call $reentrant)))
            i32.const 0 i32.const 32 call $cache
            i32.const 0 call $flush
            i32.const 0))"#,
    );
    let r = sb.call_raw(ALICE, multi, op(6, library.as_slice())).unwrap();
    assert!(r.success(), "{r:?}");
    // The write lands in the caller's storage, not the library's.
    assert_eq!(sb.storage(multi, U256::ZERO), U256::from(9));
    assert!(r.reentries.is_empty(), "{:?}", r.reentries);
    assert_eq!(sb.storage(library, U256::ZERO), U256::ZERO);
}

#[test]
fn create2_deploys_at_the_predicted_address() {
    let (mut sb, factory) = sandbox_with_multi();
    let child = wat::parse_str(
        r#"(module (memory (export "memory") 1 1)
          (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
    )
    .unwrap();
    // Init code: any EVM prelude followed by the Stylus code.
    let mut init = vec![0x60, 0x00, 0x60, 0x00, 0xF3];
    init.extend_from_slice(&bulwark_sandbox::program::STYLUS_CODE_PREFIX);
    init.extend_from_slice(&bulwark_sandbox::activation::compress(&child));
    let r = sb.call_raw(ALICE, factory, op(7, &init)).unwrap();
    assert!(r.success(), "{r:?}");
    let created = Address::from_slice(&r.output[..20]);
    assert_eq!(created, factory.create2(B256::ZERO, keccak256(&init)));
    assert!(sb.program(created).is_some());
    assert!(sb.call_raw(ALICE, created, Bytes::new()).unwrap().success());
    // The same salt and code again: the address is taken, zero is returned.
    let r = sb.call_raw(ALICE, factory, op(7, &init)).unwrap();
    assert_eq!(Address::from_slice(&r.output[..20]), Address::ZERO);
}

#[test]
fn console_output_is_captured() {
    let (mut sb, multi) = sandbox_with_multi();
    let r = sb.call_raw(ALICE, multi, op(8, b"hello")).unwrap();
    assert!(r.success());
    assert_eq!(r.console, vec!["hello".to_string()]);
    assert_eq!(sb.storage(multi, U256::ZERO), U256::from(42));
}
